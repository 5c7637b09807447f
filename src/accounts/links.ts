import type { CredentialCipher } from '../auth/credentials.js'
import { hashSecret } from '../auth/secrets.js'
import { newId, randomBase62 } from '../ids.js'
import { queueMail } from '../mail/outbox.js'
import type { AccountRow, LinkRow } from '../store/queries/accounts.js'
import type { Queries } from '../store/queries/index.js'
import type { LinkPurpose } from '../store/tables.js'
import { resetPasswordMessage, setPasswordMessage } from './messages.js'
import type { PublicSite } from './site.js'

const HOUR_MS = 3600_000

/** How long each kind of link works: a reset must be used soon; a first password may wait for a week. */
export const LINK_LIFETIME_MS: Record<LinkPurpose, number> = {
  reset_password: HOUR_MS,
  set_password: 7 * 24 * HOUR_MS,
  sign_in: HOUR_MS / 4,
}

const LIFETIME_IN_WORDS: Record<LinkPurpose, string> = { reset_password: '1 hour', set_password: '7 days', sign_in: '15 minutes' }

export type LinkStatus = 'valid' | 'expired' | 'used'

/** What a link mail is written with. */
export interface LinkMailer {
  cipher: CredentialCipher
  site: PublicSite
}

/**
 * Makes a single-use link for the account and queues the mail carrying it, in the caller's transaction. The
 * secret exists only in the sealed mail: the store keeps its SHA-256. Returns the link and the outbox message id.
 */
export async function issueLink(
  q: Queries,
  mailer: LinkMailer,
  account: AccountRow,
  purpose: 'set_password' | 'reset_password',
  now: Date,
) {
  const { link, secret } = await createLink(q, account, purpose, now, LINK_LIFETIME_MS[purpose])
  const mail = { to: account.email, name: account.name, url: mailer.site.linkUrl(secret), validFor: LIFETIME_IN_WORDS[purpose] }
  const messageId = await queueMail(
    q,
    mailer.cipher,
    purpose === 'set_password' ? setPasswordMessage(mail) : resetPasswordMessage(mail),
    now,
  )
  return { link, messageId }
}

/**
 * A sign-in link, in the caller's transaction, with no mail: the caller hands the secret over itself (the demo
 * prints it once). The store keeps only its SHA-256.
 */
export function issueSignInLink(q: Queries, account: AccountRow, now: Date, lifetimeMs = LINK_LIFETIME_MS.sign_in) {
  return createLink(q, account, 'sign_in', now, lifetimeMs)
}

async function createLink(q: Queries, account: AccountRow, purpose: LinkPurpose, now: Date, lifetimeMs: number) {
  const secret = randomBase62(43)
  const link: LinkRow = {
    id: newId(),
    secret_hash: hashSecret(secret),
    account_id: account.id,
    purpose,
    created_at: now.toISOString(),
    expires_at: new Date(now.getTime() + lifetimeMs).toISOString(),
    used_at: null,
  }
  await q.accounts.insertLink(link)
  return { link, secret }
}

export function linkStatus(link: Pick<LinkRow, 'used_at' | 'expires_at'>, now: Date): LinkStatus {
  if (link.used_at !== null) return 'used'
  return link.expires_at <= now.toISOString() ? 'expired' : 'valid'
}

/** What the console says about a link it cannot use. */
export function linkProblem(status: Exclude<LinkStatus, 'valid'>): string {
  return status === 'used' ? 'This link was already used; ask for a new one' : 'This link has expired; ask for a new one'
}
