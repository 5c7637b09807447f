import { type Kysely, sql } from 'kysely'
import type { Database } from '../tables.js'
import { type Rows, type Seek, seekPage } from './page.js'
import { containsPattern } from './text-match.js'

/** An account as the instance admins' list shows it: no password hash or TOTP secret, only whether there is one. */
export interface AccountListRow {
  id: string
  email: string
  email_key: string
  name: string
  has_password: number
  mfa_on: number
  instance_admin: number
  workspaces: number
  created_at: string
}

/** Every account of the server, for instance admins: searched by a part of the email or name, in email order. */
export function accountSearchQueries(db: Kysely<Database>) {
  function matching(search: string | undefined) {
    let q = db.selectFrom('accounts as a')
    if (search !== undefined) {
      const pattern = containsPattern(search)
      // lower() on the name as PostgreSQL's LIKE is case-sensitive; email_key is lower-case already.
      q = q.where(sql<boolean>`(lower(a.name) like ${pattern} escape '\\' or a.email_key like ${pattern} escape '\\')`)
    }
    return q
  }
  return {
    /** Keyset pages on the unique email key; the workspaces count is an indexed look-up per row of the page. */
    list(search: string | undefined, seek: Seek): Promise<Rows<AccountListRow>> {
      const q = matching(search).select((eb) => [
        'a.id',
        'a.email',
        'a.email_key',
        'a.name',
        'a.instance_admin',
        'a.created_at',
        eb.case().when('a.password_hash', 'is not', null).then(1).else(0).end().as('has_password'),
        eb.case().when('a.totp_enabled_at', 'is not', null).then(1).else(0).end().as('mfa_on'),
        eb
          .selectFrom('users as u')
          .whereRef('u.email_key', '=', 'a.email_key')
          .select((c) => c.fn.countAll<number>().as('n'))
          .as('workspaces'),
      ])
      return seekPage(q, 'a.email_key', seek) as Promise<Rows<AccountListRow>>
    },
    /** Sessions still usable: not revoked, before their absolute end, seen since `idleSince`. */
    async liveSessionCount(accountId: string, now: string, idleSince: string): Promise<number> {
      const row = await db
        .selectFrom('account_sessions')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('account_id', '=', accountId)
        .where('revoked_at', 'is', null)
        .where('expires_at', '>', now)
        .where('last_seen_at', '>', idleSince)
        .executeTakeFirstOrThrow()
      return Number(row.n)
    },
    async count(search: string | undefined): Promise<number> {
      const row = await matching(search)
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow()
      return Number(row.n)
    },
  }
}
