import type { CookieSerializeOptions } from '@fastify/cookie'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { hashSecret } from '../auth/secrets.js'
import { newId, randomBase62 } from '../ids.js'
import type { Queries } from '../store/queries/index.js'
import type { Store } from '../store/store.js'
import type { Client } from './events.js'
import type { PublicSite } from './site.js'

export const SESSION_COOKIE = 'gatehouse_session'
const HOUR_MS = 3600_000
/** Absolute end of a session: Segment's sessions last 7 days. */
export const SESSION_LIFETIME_MS = 7 * 24 * HOUR_MS
/** A session nobody used for this long ends before its absolute end. */
export const SESSION_IDLE_MS = 24 * HOUR_MS
/** `last_seen_at` moves at most this often: one write a minute per active session, not one per request. */
export const TOUCH_EVERY_MS = 60_000
/** The session list shows at most this many (newest first). */
export const MAX_LISTED_SESSIONS = 100

/** The signed-in person behind a console request. */
export interface SignedIn {
  sessionId: string
  sessionCreatedAt: string
  expiresAt: string
  accountId: string
  email: string
  emailKey: string
  name: string
  instanceAdmin: boolean
  /** When this session passed MFA; null: it began on the password (or a link) alone. */
  mfaAt: string | null
}

export function clientOf(req: FastifyRequest): Client {
  const agent = req.headers['user-agent']
  return { ip: req.ip ?? null, userAgent: typeof agent === 'string' && agent !== '' ? agent.slice(0, 512) : null }
}

/** A new session for the account, in the caller's transaction; the secret goes in the cookie, only its hash in the store. */
export async function startSession(q: Queries, accountId: string, client: Client, now: Date, mfaPassed = false) {
  const id = newId()
  const secret = randomBase62(43) // 256 bits
  const at = now.toISOString()
  const expiresAt = new Date(now.getTime() + SESSION_LIFETIME_MS).toISOString()
  await q.accounts.insertSession({
    id,
    secret_hash: hashSecret(secret),
    account_id: accountId,
    created_at: at,
    last_seen_at: at,
    expires_at: expiresAt,
    revoked_at: null,
    ip: client.ip,
    user_agent: client.userAgent,
    mfa_at: mfaPassed ? at : null,
  })
  return { id, secret, createdAt: at, expiresAt }
}

/** The idle cutoff: sessions last seen at or before it have ended. */
export function idleSince(now: Date): string {
  return new Date(now.getTime() - SESSION_IDLE_MS).toISOString()
}

/** Deletes the account's ended sessions (at each sign-in, so they do not pile up). */
export function pruneSessions(q: Queries, accountId: string, now: Date): Promise<void> {
  return q.accounts.pruneSessions(accountId, now.toISOString(), idleSince(now))
}

/** The live session a cookie's secret belongs to, or undefined; notes that it was seen (at most once a minute). */
export async function resumeSession(store: Store, secret: string, now = store.clock.now()): Promise<SignedIn | undefined> {
  const row = await store.read((q) => q.accounts.findSessionByHash(hashSecret(secret)))
  const at = now.toISOString()
  if (!row || row.revoked_at !== null || row.expires_at <= at || row.last_seen_at <= idleSince(now)) return undefined
  const staleBefore = new Date(now.getTime() - TOUCH_EVERY_MS).toISOString()
  if (row.last_seen_at < staleBefore) await store.write((q) => q.accounts.touchSession(row.session_id, at, staleBefore))
  return {
    sessionId: row.session_id,
    sessionCreatedAt: row.session_created_at,
    expiresAt: row.expires_at,
    accountId: row.account_id,
    email: row.email,
    emailKey: row.email_key,
    name: row.name,
    instanceAdmin: row.instance_admin === 1,
    mfaAt: row.mfa_at,
  }
}

/** HttpOnly (scripts never see it), SameSite=Lax (not sent by other sites' subrequests), Secure over https. */
function cookieOptions(site: PublicSite): CookieSerializeOptions {
  return { path: '/', httpOnly: true, sameSite: 'lax', secure: site.secure }
}

export function setSessionCookie(reply: FastifyReply, site: PublicSite, secret: string): void {
  reply.setCookie(SESSION_COOKIE, secret, { ...cookieOptions(site), maxAge: SESSION_LIFETIME_MS / 1000 })
}

export function clearSessionCookie(reply: FastifyReply, site: PublicSite): void {
  reply.clearCookie(SESSION_COOKIE, cookieOptions(site))
}
