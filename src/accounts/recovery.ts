import { hashSecret } from '../auth/secrets.js'
import { ConflictError, NotFoundError } from '../errors.js'
import { emailKey } from '../iam/operations/members.js'
import { accountForEmail } from './accounts.js'
import type { AccountsContext } from './context.js'
import { type Client, recordEvent } from './events.js'
import { issueLink, linkProblem, linkStatus } from './links.js'
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
    const now = new Date()
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
  return { purpose: link.purpose, email: link.email, name: link.name, status: linkStatus(link, new Date()), expiresAt: link.expires_at }
}

/**
 * Uses a set-password or reset link: sets the password (and the name, if given), ends every session and
 * every other link of the account, and signs in with a new session. A link works once, even when two
 * requests race for it.
 */
export async function redeemLink(
  ctx: AccountsContext,
  secret: string,
  input: { password: string; name?: string | undefined; previousSecret: string | undefined },
  client: Client,
): Promise<StartedSession> {
  const link = await findLink(ctx, secret, client)
  if (link.purpose === 'sign_in') throw new ConflictError('This link signs in; it cannot set a password')
  const status = linkStatus(link, new Date())
  if (status !== 'valid') throw new ConflictError(linkProblem(status), { data: { status } })
  await checkPasswordPolicy(input.password, link.email, 'password')
  const hash = await hashPassword(input.password)
  return ctx.store.write(async (q) => {
    const now = new Date()
    const at = now.toISOString()
    if (!(await q.accounts.useLink(link.id, at))) {
      // Another request used it a moment ago, or it expired in the meantime.
      const status = linkStatus(link, now) === 'expired' ? 'expired' : 'used'
      throw new ConflictError(linkProblem(status), { data: { status } })
    }
    const name = input.name?.trim()
    await q.accounts.update(link.account_id, { password_hash: hash, password_changed_at: at, ...(name ? { name } : {}) }, at)
    await q.accounts.retireLinks(link.account_id, at)
    const endedSessions = await q.accounts.revokeSessions(link.account_id, at)
    await recordEvent(q, link.account_id, 'link_used', client, at, { purpose: link.purpose })
    await recordEvent(q, link.account_id, 'password_changed', client, at, { via: link.purpose, endedSessions })
    const account = await q.accounts.find(link.account_id)
    if (!account) throw new NotFoundError('Link')
    if (input.previousSecret !== undefined) await q.accounts.revokeSessionByHash(hashSecret(input.previousSecret), at)
    return openSession(q, ctx, account, client, now, { via: 'link' })
  })
}

/** The link with this secret; unknown secrets spend from the address's budget (404, then 429). */
async function findLink(ctx: AccountsContext, secret: string, client: Client) {
  const spent = await ctx.throttle.link(client.ip ?? 'unknown')
  const link = await ctx.store.read((q) => q.accounts.findLinkByHash(hashSecret(secret)))
  if (!link) throw new NotFoundError('Link')
  await spent.refund()
  return link
}
