import type { AccountEventRow, SessionRow } from '../store/queries/accounts.js'
import type { Queries } from '../store/queries/index.js'
import type { CsrfTokens } from './csrf.js'
import { SESSION_IDLE_MS } from './sessions.js'

/** Who is signed in: what GET /console/api/session answers, and what signing in answers. */
export async function sessionView(
  q: Queries,
  csrf: CsrfTokens,
  who: { accountId: string; email: string; emailKey: string; name: string; instanceAdmin: boolean },
  session: { id: string; createdAt: string; expiresAt: string },
) {
  const memberships = await q.accounts.memberships(who.emailKey)
  const totp = await q.mfa.totp(who.accountId)
  return {
    account: { id: who.accountId, email: who.email, name: who.name, instanceAdmin: who.instanceAdmin },
    workspaces: memberships.map((m) => ({ id: m.workspace_id, slug: m.slug, name: m.workspace_name, userId: m.user_id })),
    session: { id: session.id, createdAt: session.createdAt, expiresAt: session.expiresAt },
    mfa: { enabled: totp?.totp_enabled_at != null, passedAt: await q.mfa.sessionMfaAt(session.id) },
    csrfToken: csrf.tokenFor(session.id),
  }
}

export function toSessionEntry(row: SessionRow, currentId: string) {
  const idleEnd = new Date(new Date(row.last_seen_at).getTime() + SESSION_IDLE_MS).toISOString()
  return {
    id: row.id,
    current: row.id === currentId,
    createdAt: row.created_at,
    lastSeenAt: row.last_seen_at,
    // Whichever comes first: the absolute end, or the idle end if nothing uses it before then.
    expiresAt: idleEnd < row.expires_at ? idleEnd : row.expires_at,
    ip: row.ip,
    userAgent: row.user_agent,
  }
}

export function toEventEntry(row: AccountEventRow) {
  return {
    id: row.id,
    type: row.type,
    createdAt: row.created_at,
    ip: row.ip,
    userAgent: row.user_agent,
    detail: row.detail === null ? {} : (JSON.parse(row.detail) as Record<string, unknown>),
  }
}
