import { emailKey } from '../email.js'
import { newId } from '../ids.js'
import type { AccountRow } from '../store/queries/accounts.js'
import type { Queries } from '../store/queries/index.js'
import { type ActedBy, type Client, recordEvent } from './events.js'
import { issueLink, type LinkMailer } from './links.js'

/**
 * The account of this email. An email that is a member of some workspace gets one on first need (no password
 * yet); with `always`, any email does (instance admins need not be members). Other emails get none.
 */
export async function accountForEmail(
  q: Queries,
  email: string,
  create: 'members' | 'always',
  at: string,
): Promise<AccountRow | undefined> {
  const key = emailKey(email)
  const existing = await q.accounts.findByEmailKey(key)
  if (existing) return existing
  const [first] = await q.accounts.memberships(key)
  if (!first && create === 'members') return undefined
  // A request on another replica may make it at the same moment: the unique email key keeps one, we read it back.
  await q.accounts.insertIfAbsent({
    id: newId(),
    email: first?.email ?? email.trim(),
    email_key: key,
    name: first?.user_name ?? '',
    password_hash: null,
    password_changed_at: null,
    instance_admin: 0,
    created_at: at,
    updated_at: at,
  })
  return q.accounts.findByEmailKey(key)
}

export interface InstanceAdminAdded {
  account: AccountRow
  /** The outbox message with a set-password link, queued because the account had no password yet. */
  messageId: string | undefined
}

/**
 * Makes the email an instance admin, with an account if it had none. Without a password yet, a set-password
 * link is queued (read it with `gatehouse outbox` when no SMTP server is configured).
 */
export async function addInstanceAdmin(
  q: Queries,
  mailer: LinkMailer,
  email: string,
  client: Client,
  now: Date,
  /** Who did it, for the security log (an instance admin in the console); the operator API and CLI leave it out. */
  by?: ActedBy,
): Promise<InstanceAdminAdded> {
  const at = now.toISOString()
  const account = (await accountForEmail(q, email, 'always', at)) as AccountRow
  if (account.instance_admin !== 1) {
    await q.accounts.update(account.id, { instance_admin: 1 }, at)
    await recordEvent(q, account.id, 'instance_admin_added', client, at, by)
  }
  const queued = account.password_hash === null ? await issueLink(q, mailer, account, 'set_password', now) : undefined
  return { account: { ...account, instance_admin: 1 }, messageId: queued?.messageId }
}

/** Takes instance admin away; the account stays. False when the email is not an instance admin. */
export async function removeInstanceAdmin(q: Queries, email: string, client: Client, at: string, by?: ActedBy): Promise<boolean> {
  const account = await q.accounts.findByEmailKey(emailKey(email))
  if (account?.instance_admin !== 1) return false
  await q.accounts.update(account.id, { instance_admin: 0 }, at)
  await recordEvent(q, account.id, 'instance_admin_removed', client, at, by)
  return true
}

/** An instance admin as the operator API and the CLI show one. */
export function toInstanceAdmin(account: AccountRow) {
  return {
    id: account.id,
    email: account.email,
    name: account.name,
    hasPassword: account.password_hash !== null,
    createdAt: account.created_at,
  }
}
