import { randomInt } from 'node:crypto'
import { Secret, TOTP } from 'otpauth'
import QRCode from 'qrcode'
import { hashSecret } from '../auth/secrets.js'
import { emailKey } from '../email.js'
import { ConflictError, MfaEnrollmentRequiredError, MfaVerificationRequiredError, ValidationError } from '../errors.js'
import { newId } from '../ids.js'
import { queueMail } from '../mail/outbox.js'
import type { AccountRow } from '../store/queries/accounts.js'
import type { Queries } from '../store/queries/index.js'
import type { AccountsContext } from './context.js'
import { type ActedBy, type Client, recordEvent } from './events.js'
import { mfaResetMessage } from './messages.js'
import { dummyHash, verifyPassword } from './passwords.js'
import type { SignedIn } from './sessions.js'

/*
 * MFA: a TOTP authenticator (RFC 6238: SHA-1, 6 digits, 30-second steps, one step of clock drift either way)
 * and 10 single-use recovery codes. The TOTP secret is sealed with the server's key (it must be read back to
 * check codes); recovery codes are random enough (60 bits) for a plain SHA-256. A TOTP code works once: the
 * last time step used is kept, and a code of that step or an earlier one is refused.
 */

const ISSUER = 'Gatehouse'
export const RECOVERY_CODE_COUNT = 10
const RECOVERY_ALPHABET = 'abcdefghijklmnopqrstuvwxyz234567'

/** A second factor as a form sends it: one of the two. */
export interface SecondFactor {
  totpCode?: string | undefined
  recoveryCode?: string | undefined
}

export type FactorUsed = 'totp' | 'recovery_code'

function totpOf(secretBase32: string, email: string): TOTP {
  return new TOTP({ issuer: ISSUER, label: email, algorithm: 'SHA1', digits: 6, period: 30, secret: Secret.fromBase32(secretBase32) })
}

/** The six digits of a code as typed ("123 456" from an app that groups them), or undefined if it is not one. */
function digitsOf(code: string): string | undefined {
  const digits = code.replace(/[\s-]/g, '')
  return /^\d{6}$/.test(digits) ? digits : undefined
}

/** The time step a code belongs to (this one or one either side), or undefined when it belongs to none. */
function stepOf(totp: TOTP, code: string, now: number): number | undefined {
  const digits = digitsOf(code)
  if (digits === undefined) return undefined
  const delta = totp.validate({ token: digits, timestamp: now, window: 1 })
  return delta === null ? undefined : totp.counter({ timestamp: now }) + delta
}

function normaliseRecoveryCode(code: string): string {
  return code.toLowerCase().replace(/[^a-z0-9]/g, '')
}

function newRecoveryCode(): string {
  const chars = Array.from({ length: 12 }, () => RECOVERY_ALPHABET[randomInt(RECOVERY_ALPHABET.length)])
  return `${chars.slice(0, 4).join('')}-${chars.slice(4, 8).join('')}-${chars.slice(8).join('')}`
}

/** New recovery codes replace the old ones (in the caller's transaction); the codes are returned once, only hashes stay. */
async function issueRecoveryCodes(q: Queries, accountId: string, at: string): Promise<string[]> {
  const codes = Array.from({ length: RECOVERY_CODE_COUNT }, newRecoveryCode)
  await q.mfa.replaceRecoveryCodes(
    accountId,
    codes.map((code) => ({
      id: newId(),
      account_id: accountId,
      code_hash: hashSecret(normaliseRecoveryCode(code)),
      created_at: at,
      used_at: null,
    })),
  )
  return codes
}

/** The QR code of a text as rows of modules ('1' dark), for the console to draw as SVG (its CSP allows no data: images). */
function qrRows(text: string): string[] {
  const { modules } = QRCode.create(text, { errorCorrectionLevel: 'M' })
  const rows: string[] = []
  for (let y = 0; y < modules.size; y++) {
    let row = ''
    for (let x = 0; x < modules.size; x++) row += modules.get(x, y) ? '1' : '0'
    rows.push(row)
  }
  return rows
}

export async function mfaStatus(q: Queries, accountId: string) {
  const totp = await q.mfa.totp(accountId)
  const enabledAt = totp?.totp_enabled_at ?? null
  return { enabled: enabledAt !== null, enabledAt, recoveryCodesLeft: enabledAt === null ? 0 : await q.mfa.recoveryCodesLeft(accountId) }
}

/**
 * Checks a TOTP or recovery code of an account with MFA on and uses it up, in the caller's transaction.
 * Undefined when it is wrong, reused, or the account has no MFA.
 */
export async function spendSecondFactor(
  q: Queries,
  ctx: Pick<AccountsContext, 'cipher'>,
  account: Pick<AccountRow, 'id' | 'email'>,
  factor: SecondFactor,
  now: Date,
): Promise<FactorUsed | undefined> {
  const state = await q.mfa.totp(account.id)
  if (!state?.totp_enabled_at || !state.totp_secret_sealed) return undefined
  if (factor.totpCode !== undefined) {
    const step = stepOf(totpOf(ctx.cipher.open(state.totp_secret_sealed), account.email), factor.totpCode, now.getTime())
    return step !== undefined && (await q.mfa.takeStep(account.id, step)) ? 'totp' : undefined
  }
  if (factor.recoveryCode !== undefined) {
    const used = await q.mfa.spendRecoveryCode(account.id, hashSecret(normaliseRecoveryCode(factor.recoveryCode)), now.toISOString())
    return used ? 'recovery_code' : undefined
  }
  return undefined
}

/** One of the two, not both: a form sends the one the person typed. */
export function checkOneFactor(factor: SecondFactor): void {
  if (factor.totpCode !== undefined && factor.recoveryCode !== undefined)
    throw new ValidationError('Send totpCode or recoveryCode, not both', 'recoveryCode')
}

/** The 422 of a wrong code, naming the field that held it. */
export function wrongCode(factor: SecondFactor): ValidationError {
  return factor.recoveryCode !== undefined
    ? new ValidationError('That recovery code is not correct, or was used already', 'recoveryCode')
    : new ValidationError('That code is not correct, or was used already: wait for the next one', 'totpCode')
}

/**
 * Checks a signed-in person's code (step-up, new recovery codes): wrong codes spend from the email's sign-in
 * budget, as wrong passwords do; the first right one is refunded. `accept` runs in the same transaction.
 */
async function withSecondFactor<T>(
  ctx: AccountsContext,
  who: SignedIn,
  factor: SecondFactor,
  client: Client,
  accept: (q: Queries, used: FactorUsed, at: string) => Promise<T>,
): Promise<T> {
  checkOneFactor(factor)
  if (factor.totpCode === undefined && factor.recoveryCode === undefined) throw new ValidationError('Enter a code', 'totpCode')
  const spent = await ctx.throttle.passwordCheck(who.emailKey)
  const now = ctx.store.clock.now()
  const at = now.toISOString()
  const outcome = await ctx.store.write(async (q) => {
    const state = await q.mfa.totp(who.accountId)
    if (!state?.totp_enabled_at) throw new ConflictError('Multi-factor authentication is not on for your account: set it up first')
    const used = await spendSecondFactor(q, ctx, { id: who.accountId, email: who.email }, factor, now)
    return used === undefined ? undefined : { value: await accept(q, used, at) }
  })
  if (outcome === undefined) {
    await ctx.store.write((q) => recordEvent(q, who.accountId, 'mfa_failed', client, at, { sessionId: who.sessionId }))
    throw wrongCode(factor)
  }
  await spent.refund()
  return outcome.value
}

/**
 * Starts setting up TOTP: a new secret, kept sealed and pending until a code from it confirms it. Starting
 * again replaces a pending secret; an account with MFA on must turn it off first (409).
 */
export async function startTotp(ctx: AccountsContext, who: SignedIn) {
  const secret = new Secret({ size: 20 }).base32
  const uri = totpOf(secret, who.email).toString()
  await ctx.store.write(async (q) => {
    const state = await q.mfa.totp(who.accountId)
    if (state?.totp_enabled_at)
      throw new ConflictError('Multi-factor authentication is on already: turn it off first to set up a new authenticator')
    const at = q.clock.now().toISOString()
    await q.mfa.setTotp(who.accountId, { totp_secret_sealed: ctx.cipher.seal(secret), totp_enabled_at: null, totp_last_step: null }, at)
  })
  return { secret, uri, qr: qrRows(uri) }
}

/**
 * Turns TOTP on with a first code from the pending secret: answers 10 new recovery codes (once), marks this
 * session as having passed MFA, and ends the account's other sessions: they began on the password alone, and
 * someone who set up MFA because they feared for their password should not leave a stranger's session open.
 */
export async function confirmTotp(ctx: AccountsContext, who: SignedIn, code: string, client: Client) {
  const spent = await ctx.throttle.passwordCheck(who.emailKey)
  const now = ctx.store.clock.now()
  const at = now.toISOString()
  const confirmed = await ctx.store.write(async (q) => {
    const state = await q.mfa.totp(who.accountId)
    if (state?.totp_enabled_at) throw new ConflictError('Multi-factor authentication is on already')
    if (!state?.totp_secret_sealed) throw new ConflictError('Start setting up the authenticator first (POST /console/api/account/mfa/totp)')
    const step = stepOf(totpOf(ctx.cipher.open(state.totp_secret_sealed), who.email), code, now.getTime())
    if (step === undefined) return undefined
    await q.mfa.setTotp(who.accountId, { totp_secret_sealed: state.totp_secret_sealed, totp_enabled_at: at, totp_last_step: step }, at)
    const recoveryCodes = await issueRecoveryCodes(q, who.accountId, at)
    await q.mfa.markSession(who.sessionId, at)
    const endedSessions = await q.accounts.revokeSessions(who.accountId, at, who.sessionId)
    await recordEvent(q, who.accountId, 'mfa_enabled', client, at, { method: 'totp', endedSessions })
    return { recoveryCodes, endedSessions }
  })
  if (confirmed === undefined)
    throw new ValidationError('That code is not correct: check the clock of your device, then try the next code', 'code')
  await spent.refund()
  return confirmed
}

/** Turns MFA off (the current password is asked: an open session alone is not enough), forgetting the secret and the codes. */
export async function disableMfa(ctx: AccountsContext, who: SignedIn, currentPassword: string, client: Client): Promise<void> {
  const spent = await ctx.throttle.passwordCheck(who.emailKey)
  const account = await ctx.store.read((q) => q.accounts.find(who.accountId))
  const stored = account?.password_hash ?? null
  const matches = await verifyPassword(stored ?? (await dummyHash()), currentPassword)
  if (!account || stored === null || !matches) throw new ValidationError('The current password is not correct', 'currentPassword')
  await spent.refund()
  await ctx.store.write(async (q) => {
    const state = await q.mfa.totp(who.accountId)
    if (!state?.totp_secret_sealed) throw new ConflictError('Multi-factor authentication is not on for your account')
    const at = q.clock.now().toISOString()
    await clearMfa(q, who.accountId, at)
    await recordEvent(q, who.accountId, 'mfa_disabled', client, at, { sessionId: who.sessionId })
  })
}

async function clearMfa(q: Queries, accountId: string, at: string): Promise<void> {
  await q.mfa.setTotp(accountId, { totp_secret_sealed: null, totp_enabled_at: null, totp_last_step: null }, at)
  await q.mfa.replaceRecoveryCodes(accountId, [])
}

/** New recovery codes for a TOTP code (the old ones stop working). */
export function regenerateRecoveryCodes(ctx: AccountsContext, who: SignedIn, totpCode: string, client: Client): Promise<string[]> {
  return withSecondFactor(ctx, who, { totpCode }, client, async (q, _used, at) => {
    const codes = await issueRecoveryCodes(q, who.accountId, at)
    await recordEvent(q, who.accountId, 'mfa_recovery_codes_regenerated', client, at)
    return codes
  })
}

/** Step-up: the current session passes MFA (it began with a link, or before MFA was set up elsewhere). */
export function verifySession(ctx: AccountsContext, who: SignedIn, factor: SecondFactor, client: Client): Promise<string> {
  return withSecondFactor(ctx, who, factor, client, async (q, used, at) => {
    await q.mfa.markSession(who.sessionId, at)
    await recordEvent(q, who.accountId, 'mfa_verified', client, at, { sessionId: who.sessionId, via: used })
    return at
  })
}

/**
 * An instance admin (or the operator) resets someone's MFA, for a person who lost their authenticator and
 * their codes: the secret and codes go, every session ends, and the person is told by mail. Undefined when
 * the email has no account.
 */
export async function resetMfa(
  q: Queries,
  ctx: AccountsContext,
  email: string,
  /** `operator`, or the instance admin who did it. */
  by: 'operator' | ActedBy,
  client: Client,
  now: Date,
) {
  const account = await q.accounts.findByEmailKey(emailKey(email))
  if (!account) return undefined
  const at = now.toISOString()
  const hadMfa = (await q.mfa.totp(account.id))?.totp_enabled_at != null
  await clearMfa(q, account.id, at)
  const endedSessions = await q.accounts.revokeSessions(account.id, at)
  await recordEvent(q, account.id, 'mfa_reset', client, at, { ...(by === 'operator' ? { by } : by), hadMfa, endedSessions })
  const messageId = await queueMail(
    q,
    ctx.cipher,
    mfaResetMessage({ to: account.email, name: account.name, url: `${ctx.site.url}/console/sign-in` }),
    now,
  )
  return { hadMfa, endedSessions, messageId }
}

/**
 * A workspace's Require MFA, met when a session enters the workspace: without MFA set up the person is asked
 * to set it up; with it, a session that has not passed it is asked for a code. Other workspaces stay open.
 */
export async function checkWorkspaceMfa(q: Queries, workspaceId: string, who: Pick<SignedIn, 'accountId' | 'mfaAt'>): Promise<void> {
  if (!(await q.mfa.requireMfa(workspaceId))) return
  const state = await q.mfa.totp(who.accountId)
  if (!state?.totp_enabled_at) throw new MfaEnrollmentRequiredError()
  if (who.mfaAt === null) throw new MfaVerificationRequiredError()
}
