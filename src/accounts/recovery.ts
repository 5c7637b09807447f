import { hashSecret } from '../auth/secrets.js'
import { emailKey } from '../email.js'
import { ConflictError, MfaRequiredError, NotFoundError } from '../errors.js'
import type { Queries } from '../store/queries/index.js'
import { accountForEmail } from './accounts.js'
import type { AccountsContext } from './context.js'
import { type Client, recordEvent } from './events.js'
import { issueLink, linkProblem, linkStatus } from './links.js'
import { checkOneFactor, type SecondFactor, spendSecondFactor, wrongCode } from './mfa.js'
import { checkPasswordPolicy, hashPassword } from './passwords.js'
import { openSession, type StartedSession } from './sign-in.js'

/**
 * "Forgot your password?": a reset link for an account with a password, a set-password link for a member who
 * has none yet (the account is made now if need be), nothing for anyone else. The caller answers the same in
 * every case; beyond the per-email budget nothing more is sent, silently.
 */
export async function requestPasswordReset(ctx: AccountsContext, email: string, client: Client): Promise<void> {
  const mayMail = await ctx.throttle.resetRequest(emailKey(email), client.ip ?? 'unknown')
  // A write transaction whether or not the email is known, so both take about as long.
  await ctx.store.write(async (q) => {
    const now = q.clock.now()
    const at = now.toISOString()
    const account = mayMail ? await accountForEmail(q, email, 'members', at) : await q.accounts.findByEmailKey(emailKey(email))
    if (!account || !mayMail) return
    const purpose = account.password_hash === null ? 'set_password' : 'reset_password'
    await issueLink(q, ctx, account, purpose, now)
    await recordEvent(q, account.id, 'password_reset_requested', client, at, { purpose })
  })
  ctx.mailQueued()
}

/** What a link is for and whether it can still be used, for the console page that opens it. */
export async function inspectLink(ctx: AccountsContext, secret: string, client: Client) {
  const link = await findLink(ctx, secret, client)
  return {
    purpose: link.purpose,
    email: link.email,
    name: link.name,
    status: linkStatus(link, ctx.store.clock.now()),
    expiresAt: link.expires_at,
    mfaRequired: await hasMfa(ctx, link.account_id),
  }
}

/**
 * Uses a set-password or reset link: sets the password (and the name, if given), ends every session and
 * every other link of the account, and signs in with a new session. A link works once, even when two
 * requests race for it. For an account with MFA the link is one factor only (whoever reads the mailbox): it
 * also needs a code, and a wrong one changes nothing and counts as a failed sign-in.
 */
export async function redeemLink(
  ctx: AccountsContext,
  secret: string,
  input: { password: string; name?: string | undefined; previousSecret: string | undefined } & SecondFactor,
  client: Client,
): Promise<StartedSession> {
  checkOneFactor(input)
  const link = await usableLink(ctx, secret, client, 'password')
  const mfa = await hasMfa(ctx, link.account_id)
  if (mfa && input.totpCode === undefined && input.recoveryCode === undefined) throw new MfaRequiredError()
  const spent = mfa ? await ctx.throttle.signIn(emailKey(link.email), client.ip ?? 'unknown') : undefined
  await checkPasswordPolicy(input.password, link.email, 'password')
  const hash = await hashPassword(input.password)
  const started = await ctx.store.write(async (q) => {
    const now = q.clock.now()
    const at = now.toISOString()
    // Checked first: a wrong code rolls the whole change back, the link stays usable.
    if (mfa && (await spendSecondFactor(q, ctx, { id: link.account_id, email: link.email }, input, now)) === undefined)
      throw wrongCode(input)
    await useOnce(q, link, now)
    const name = input.name?.trim()
    await q.accounts.update(link.account_id, { password_hash: hash, password_changed_at: at, ...(name ? { name } : {}) }, at)
    await q.accounts.retireLinks(link.account_id, at)
    const endedSessions = await q.accounts.revokeSessions(link.account_id, at)
    await recordEvent(q, link.account_id, 'link_used', client, at, { purpose: link.purpose })
    await recordEvent(q, link.account_id, 'password_changed', client, at, { via: link.purpose, endedSessions })
    return signInAfterLink(q, ctx, link, input.previousSecret, client, now, mfa)
  })
  await spent?.refund()
  return started
}

/**
 * Uses a sign-in link (the demo prints one): signs in as POST /console/api/session does, once. The password,
 * other sessions and other links stay as they are.
 */
export async function signInWithLink(
  ctx: AccountsContext,
  secret: string,
  input: { previousSecret: string | undefined },
  client: Client,
): Promise<StartedSession> {
  const link = await usableLink(ctx, secret, client, 'session')
  if (await hasMfa(ctx, link.account_id))
    throw new ConflictError('This account uses MFA: sign in with your password and a code instead of this link')
  return ctx.store.write(async (q) => {
    const now = q.clock.now()
    await useOnce(q, link, now)
    await recordEvent(q, link.account_id, 'link_used', client, now.toISOString(), { purpose: link.purpose })
    return signInAfterLink(q, ctx, link, input.previousSecret, client, now)
  })
}

type FoundLink = Awaited<ReturnType<typeof findLink>>

/** The link, if it is for this use and still valid (409 otherwise, with its status). */
async function usableLink(ctx: AccountsContext, secret: string, client: Client, use: 'password' | 'session'): Promise<FoundLink> {
  const link = await findLink(ctx, secret, client)
  if (use === 'password' && link.purpose === 'sign_in') throw new ConflictError('This link signs in; it cannot set a password')
  if (use === 'session' && link.purpose !== 'sign_in') throw new ConflictError('This link sets a password; choose one with it to sign in')
  const status = linkStatus(link, ctx.store.clock.now())
  if (status !== 'valid') throw new ConflictError(linkProblem(status), { data: { status } })
  return link
}

/** Marks the link used in the transaction; 409 when another request used it a moment ago, or it expired meanwhile. */
async function useOnce(q: Queries, link: FoundLink, now: Date): Promise<void> {
  if (await q.accounts.useLink(link.id, now.toISOString())) return
  const status = linkStatus(link, now) === 'expired' ? 'expired' : 'used'
  throw new ConflictError(linkProblem(status), { data: { status } })
}

/** The new session a used link opens; the browser's earlier session, if any, ends. */
async function signInAfterLink(
  q: Queries,
  ctx: AccountsContext,
  link: FoundLink,
  previousSecret: string | undefined,
  client: Client,
  now: Date,
  mfaPassed = false,
): Promise<StartedSession> {
  const account = await q.accounts.find(link.account_id)
  if (!account) throw new NotFoundError('Link')
  if (previousSecret !== undefined) await q.accounts.revokeSessionByHash(hashSecret(previousSecret), now.toISOString())
  return openSession(q, ctx, account, client, now, { via: link.purpose === 'sign_in' ? 'sign_in_link' : 'link' }, mfaPassed)
}

async function hasMfa(ctx: AccountsContext, accountId: string): Promise<boolean> {
  return (await ctx.store.read((q) => q.mfa.totp(accountId)))?.totp_enabled_at != null
}

/** The link with this secret; unknown secrets spend from the address's budget (404, then 429). */
async function findLink(ctx: AccountsContext, secret: string, client: Client) {
  const spent = await ctx.throttle.link(client.ip ?? 'unknown')
  const link = await ctx.store.read((q) => q.accounts.findLinkByHash(hashSecret(secret)))
  if (!link) throw new NotFoundError('Link')
  await spent.refund()
  return link
}
