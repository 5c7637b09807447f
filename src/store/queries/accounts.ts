import type { Insertable, Kysely, Selectable } from 'kysely'
import type { AccountEventTable, AccountLinkTable, AccountSessionTable, AccountTable, Database } from '../tables.js'
import { type Rows, type Seek, seekPage } from './page.js'

export type AccountRow = Selectable<AccountTable>
export type SessionRow = Selectable<AccountSessionTable>
export type LinkRow = Selectable<AccountLinkTable>
export type AccountEventRow = Selectable<AccountEventTable>

/** A workspace the person belongs to: a `users` row with their email key. */
export interface MembershipRow {
  workspace_id: string
  slug: string
  workspace_name: string
  user_id: string
  email: string
  user_name: string
}

/** Newest-first position in the security log: (created_at, id) of the row to continue from. */
export type EventSeek = Seek

/** People (accounts), their sessions, single-use links and security log. */
export function accountQueries(db: Kysely<Database>) {
  return {
    /** Inserts unless an account with this email key exists (made by a concurrent request). */
    async insertIfAbsent(row: Insertable<AccountTable>): Promise<void> {
      await db
        .insertInto('accounts')
        .values(row)
        .onConflict((oc) => oc.column('email_key').doNothing())
        .execute()
    },
    find(id: string): Promise<AccountRow | undefined> {
      return db.selectFrom('accounts').selectAll().where('id', '=', id).executeTakeFirst()
    },
    findByEmailKey(emailKey: string): Promise<AccountRow | undefined> {
      return db.selectFrom('accounts').selectAll().where('email_key', '=', emailKey).executeTakeFirst()
    },
    async update(
      id: string,
      changes: Partial<Pick<AccountRow, 'password_hash' | 'password_changed_at' | 'name' | 'instance_admin'>>,
      at: string,
    ) {
      await db
        .updateTable('accounts')
        .set({ ...changes, updated_at: at })
        .where('id', '=', id)
        .execute()
    },
    instanceAdmins(): Promise<AccountRow[]> {
      return db.selectFrom('accounts').selectAll().where('instance_admin', '=', 1).orderBy('email_key').execute()
    },

    /** The workspaces whose members include this email, oldest membership first. */
    memberships(emailKey: string): Promise<MembershipRow[]> {
      return db
        .selectFrom('users as u')
        .innerJoin('workspaces as w', 'w.id', 'u.workspace_id')
        .select(['w.id as workspace_id', 'w.slug', 'w.name as workspace_name', 'u.id as user_id', 'u.email', 'u.name as user_name'])
        .where('u.email_key', '=', emailKey)
        .orderBy('u.created_at')
        .orderBy('u.id')
        .execute()
    },

    async insertSession(row: Insertable<AccountSessionTable>): Promise<void> {
      await db.insertInto('account_sessions').values(row).execute()
    },
    /** The session with this secret hash and its account, whatever its state (the caller judges expiry). */
    findSessionByHash(secretHash: string) {
      return db
        .selectFrom('account_sessions as s')
        .innerJoin('accounts as a', 'a.id', 's.account_id')
        .select([
          's.id as session_id',
          's.created_at as session_created_at',
          's.last_seen_at',
          's.expires_at',
          's.revoked_at',
          's.mfa_at',
          'a.id as account_id',
          'a.email',
          'a.email_key',
          'a.name',
          'a.instance_admin',
          'a.password_hash',
        ])
        .where('s.secret_hash', '=', secretHash)
        .executeTakeFirst()
    },
    /** Moves `last_seen_at` forward unless another request (on any replica) already did since `staleBefore`. */
    async touchSession(id: string, at: string, staleBefore: string): Promise<void> {
      await db
        .updateTable('account_sessions')
        .set({ last_seen_at: at })
        .where('id', '=', id)
        .where('last_seen_at', '<', staleBefore)
        .execute()
    },
    /** Live sessions: not revoked, before their absolute end, seen since `idleSince`; newest first. */
    liveSessions(accountId: string, now: string, idleSince: string, limit: number): Promise<SessionRow[]> {
      return db
        .selectFrom('account_sessions')
        .selectAll()
        .where('account_id', '=', accountId)
        .where('revoked_at', 'is', null)
        .where('expires_at', '>', now)
        .where('last_seen_at', '>', idleSince)
        .orderBy('created_at', 'desc')
        .orderBy('id', 'desc')
        .limit(limit)
        .execute()
    },
    /** Revokes one live session of the account; false when it has none by that id. */
    async revokeSession(accountId: string, id: string, at: string): Promise<boolean> {
      const res = await db
        .updateTable('account_sessions')
        .set({ revoked_at: at })
        .where('account_id', '=', accountId)
        .where('id', '=', id)
        .where('revoked_at', 'is', null)
        .where('expires_at', '>', at)
        .executeTakeFirst()
      return Number(res.numUpdatedRows) > 0
    },
    /** Revokes the session with this secret hash, whoever's it is (a browser signing in again leaves its old one). */
    async revokeSessionByHash(secretHash: string, at: string): Promise<void> {
      await db
        .updateTable('account_sessions')
        .set({ revoked_at: at })
        .where('secret_hash', '=', secretHash)
        .where('revoked_at', 'is', null)
        .execute()
    },
    /** Revokes every live session of the account but `exceptId`; returns how many. */
    async revokeSessions(accountId: string, at: string, exceptId?: string): Promise<number> {
      let q = db
        .updateTable('account_sessions')
        .set({ revoked_at: at })
        .where('account_id', '=', accountId)
        .where('revoked_at', 'is', null)
        .where('expires_at', '>', at)
      if (exceptId !== undefined) q = q.where('id', '!=', exceptId)
      return Number((await q.executeTakeFirst()).numUpdatedRows)
    },
    /** Deletes the account's sessions that can no longer be used (the security log keeps their story). */
    async pruneSessions(accountId: string, now: string, idleSince: string): Promise<void> {
      await db
        .deleteFrom('account_sessions')
        .where('account_id', '=', accountId)
        .where((eb) => eb.or([eb('revoked_at', 'is not', null), eb('expires_at', '<=', now), eb('last_seen_at', '<=', idleSince)]))
        .execute()
    },

    async insertLink(row: LinkRow): Promise<void> {
      await db.insertInto('account_links').values(row).execute()
    },
    findLinkByHash(secretHash: string) {
      return db
        .selectFrom('account_links as l')
        .innerJoin('accounts as a', 'a.id', 'l.account_id')
        .select(['l.id', 'l.account_id', 'l.purpose', 'l.created_at', 'l.expires_at', 'l.used_at', 'a.email', 'a.name'])
        .where('l.secret_hash', '=', secretHash)
        .executeTakeFirst()
    },
    /** Marks the link used if it still may be (unused, unexpired); false when another request got there first. */
    async useLink(id: string, at: string): Promise<boolean> {
      const res = await db
        .updateTable('account_links')
        .set({ used_at: at })
        .where('id', '=', id)
        .where('used_at', 'is', null)
        .where('expires_at', '>', at)
        .executeTakeFirst()
      return Number(res.numUpdatedRows) > 0
    },
    /** Ends every unused link of the account (its password just changed: older links must not change it again). */
    async retireLinks(accountId: string, at: string): Promise<void> {
      await db.updateTable('account_links').set({ used_at: at }).where('account_id', '=', accountId).where('used_at', 'is', null).execute()
    },

    async insertEvent(row: AccountEventRow): Promise<void> {
      await db.insertInto('account_events').values(row).execute()
    },
    /** Newest first; "after" walks towards older events. Seeks on (created_at, id), never OFFSET. */
    events(accountId: string, seek: EventSeek): Promise<Rows<AccountEventRow>> {
      return seekPage(db.selectFrom('account_events').selectAll().where('account_id', '=', accountId), ['created_at', 'id'], seek, 'desc')
    },
  }
}
