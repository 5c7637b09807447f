import { hashSecret } from '../auth/secrets.js'
import { emailKey } from '../email.js'
import { MfaRequiredError, UnauthorizedError, ValidationError } from '../errors.js'
import type { AccountRow } from '../store/queries/accounts.js'
import type { Queries } from '../store/queries/index.js'
import type { AccountsContext } from './context.js'
import { type Client, recordEvent } from './events.js'
import { checkOneFactor, type SecondFactor, spendSecondFactor, wrongCode } from './mfa.js'
import { checkPasswordPolicy, dummyHash, hashPassword, verifyPassword } from './passwords.js'
import { sessionView } from './present.js'
import { pruneSessions, type SignedIn, startSession } from './sessions.js'

/** One answer for an unknown email, an account without a password and a wrong password: nothing to enumerate. */
export const WRONG_CREDENTIALS = 'Unauthorized: the email or password is not correct'

export type SessionView = Awaited<ReturnType<typeof sessionView>>

/** A new session and what the console shows of it; the secret goes in the cookie. */
export interface StartedSession {
  view: SessionView
  secret: string
}

/**
 * Checks the password (and, for an account with MFA, the code) and starts a new session. Every attempt spends
 * from the email's and the address's budgets first (a good one is refunded), and takes one scrypt whether or
 * not the email has an account. The right password without a code answers `mfa-required` (refunded: it is the
 * first half of a good sign-in); a wrong code is a failed sign-in like a wrong password.
 */
export async function signIn(
  ctx: AccountsContext,
  input: { email: string; password: string; previousSecret: string | undefined } & SecondFactor,
  client: Client,
): Promise<StartedSession> {
  checkOneFactor(input)
  const key = emailKey(input.email)
  const spent = await ctx.throttle.signIn(key, client.ip ?? 'unknown')
  const account = await ctx.store.read((q) => q.accounts.findByEmailKey(key))
  const stored = account?.password_hash ?? null
  const matches = await verifyPassword(stored ?? (await dummyHash()), input.password)
  if (!account || stored === null || !matches) {
    if (account) {
      const at = ctx.store.clock.now().toISOString()
      const reason = stored === null ? 'no_password' : 'wrong_password'
      await ctx.store.write((q) => recordEvent(q, account.id, 'sign_in_failed', client, at, { reason }))
    }
    throw new UnauthorizedError(WRONG_CREDENTIALS)
  }
  const hasMfa = (await ctx.store.read((q) => q.mfa.totp(account.id)))?.totp_enabled_at != null
  if (hasMfa && input.totpCode === undefined && input.recoveryCode === undefined) {
    await spent.refund()
    throw new MfaRequiredError()
  }
  const started = await ctx.store.write(async (q) => {
    const now = q.clock.now()
    const factor = hasMfa ? await spendSecondFactor(q, ctx, account, input, now) : undefined
    if (hasMfa && factor === undefined) return undefined
    // The browser's earlier session, if any, ends: it is replaced, not left behind in the list.
    if (input.previousSecret !== undefined) await q.accounts.revokeSessionByHash(hashSecret(input.previousSecret), now.toISOString())
    return openSession(q, ctx, account, client, now, { via: 'password', ...(factor ? { mfa: factor } : {}) }, factor !== undefined)
  })
  if (started === undefined) {
    const at = ctx.store.clock.now().toISOString()
    const reason = input.recoveryCode !== undefined ? 'wrong_recovery_code' : 'wrong_totp_code'
    await ctx.store.write((q) => recordEvent(q, account.id, 'sign_in_failed', client, at, { reason }))
    throw wrongCode(input)
  }
  await spent.refund()
  return started
}

/** Starts a session for the account (after a password check or a link), logs it, and presents it. */
export async function openSession(
  q: Queries,
  ctx: AccountsContext,
  account: AccountRow,
  client: Client,
  now: Date,
  detail: Record<string, string>,
  mfaPassed = false,
): Promise<StartedSession> {
  await pruneSessions(q, account.id, now)
  const session = await startSession(q, account.id, client, now, mfaPassed)
  const at = now.toISOString()
  await recordEvent(q, account.id, 'sign_in', client, at, { sessionId: session.id, ...detail })
  const view = await sessionView(
    q,
    ctx.csrf,
    {
      accountId: account.id,
      email: account.email,
      emailKey: account.email_key,
      name: account.name,
      instanceAdmin: account.instance_admin === 1,
    },
    session,
  )
  return { view, secret: session.secret }
}

/**
 * Changes the password of the signed-in person, who must give the current one (a session left open on a
 * shared computer is not enough). Every other session ends, and so does every unused link.
 */
export async function changePassword(
  ctx: AccountsContext,
  who: SignedIn,
  input: { currentPassword: string; newPassword: string },
  client: Client,
): Promise<{ endedSessions: number }> {
  const spent = await ctx.throttle.passwordCheck(who.emailKey)
  const account = await ctx.store.read((q) => q.accounts.find(who.accountId))
  const stored = account?.password_hash ?? null
  const matches = await verifyPassword(stored ?? (await dummyHash()), input.currentPassword)
  if (!account || stored === null || !matches) throw new ValidationError('The current password is not correct', 'currentPassword')
  await spent.refund()
  await checkPasswordPolicy(input.newPassword, account.email, 'newPassword')
  const hash = await hashPassword(input.newPassword)
  return ctx.store.write(async (q) => {
    const at = q.clock.now().toISOString()
    await q.accounts.update(account.id, { password_hash: hash, password_changed_at: at }, at)
    await q.accounts.retireLinks(account.id, at)
    const endedSessions = await q.accounts.revokeSessions(account.id, at, who.sessionId)
    await recordEvent(q, account.id, 'password_changed', client, at, { via: 'account', endedSessions })
    return { endedSessions }
  })
}
