import type { Kysely, Selectable, SelectQueryBuilder, Updateable } from 'kysely'
import type { Database, DirUserStatus, DirUserTable } from '../tables.js'
import { chunks, inChunks } from './chunks.js'
import { type RoleMatch, roleConnection, rolePatterns } from './dir-roles.js'
import { type Rows, type Seek, seekPage } from './page.js'
import { containsPattern, likeCi } from './text-match.js'

export type DirUserRow = Selectable<DirUserTable>

/** Which accounts a directory read selects. Every field narrows; `statuses` is never empty. */
export interface UserFilter {
  statuses: readonly DirUserStatus[]
  connectionId?: string
  /** Lower-cased email: exact match. */
  emailKey?: string
  /** Accounts that are members of this directory group. */
  groupId?: string
  /** Accounts holding the role directly or through a group. */
  role?: RoleMatch
  /** Lower-cased substring of the email or the name. */
  search?: string
}

/** The accounts (members and invites) synced from each connection, and the people they make up. */
export function dirUserQueries(db: Kysely<Database>) {
  function matching<O>(query: SelectQueryBuilder<Database, 'dir_users', O>, f: UserFilter): SelectQueryBuilder<Database, 'dir_users', O> {
    let q = query.where('dir_users.status', 'in', [...f.statuses])
    if (f.connectionId !== undefined) q = q.where('dir_users.connection_id', '=', f.connectionId)
    if (f.emailKey !== undefined) q = q.where('dir_users.email_key', '=', f.emailKey)
    if (f.groupId !== undefined)
      q = q.where(
        'dir_users.id',
        'in',
        db.selectFrom('dir_memberships').select('dir_memberships.user_id').where('group_id', '=', f.groupId),
      )
    if (f.role !== undefined) q = holding(q, f.role)
    if (f.search !== undefined) {
      const pattern = containsPattern(f.search)
      q = q.where((eb) => eb.or([likeCi(eb.ref('dir_users.email_key'), pattern), likeCi(eb.ref('dir_users.name'), pattern)]))
    }
    return q
  }

  /** Accounts holding the role directly or through a group they are a member of. */
  function holding<O>(query: SelectQueryBuilder<Database, 'dir_users', O>, role: RoleMatch): SelectQueryBuilder<Database, 'dir_users', O> {
    const patterns = rolePatterns(role)
    const viaGroup = db
      .selectFrom('dir_memberships')
      .innerJoin('dir_groups', 'dir_groups.id', 'dir_memberships.group_id')
      .select('dir_memberships.user_id')
      .where((eb) => eb.or(patterns.map((p) => likeCi(eb.ref('dir_groups.roles'), p))))
    const q = query.where((eb) => eb.or([...patterns.map((p) => likeCi(eb.ref('dir_users.roles'), p)), eb('dir_users.id', 'in', viaGroup)]))
    const connectionId = roleConnection(role)
    return connectionId === undefined ? q : q.where('dir_users.connection_id', '=', connectionId)
  }

  return {
    list(f: UserFilter, seek: Seek): Promise<Rows<DirUserRow>> {
      return seekPage(matching(db.selectFrom('dir_users').selectAll('dir_users'), f), 'dir_users.id', seek)
    },
    find(id: string): Promise<DirUserRow | undefined> {
      return db.selectFrom('dir_users').selectAll().where('id', '=', id).executeTakeFirst()
    },
    ofConnection(connectionId: string): Promise<DirUserRow[]> {
      return db.selectFrom('dir_users').selectAll().where('connection_id', '=', connectionId).orderBy('id').execute()
    },
    byIds(ids: readonly string[]): Promise<DirUserRow[]> {
      return inChunks(ids, (c) => db.selectFrom('dir_users').selectAll().where('id', 'in', c).execute())
    },
    /** Accounts of the connection by status: what the remote's list totals should equal. */
    async countsByStatus(connectionId: string): Promise<Record<DirUserStatus, number>> {
      const rows = await db
        .selectFrom('dir_users')
        .select(['status', (eb) => eb.fn.countAll<number>().as('n')])
        .where('connection_id', '=', connectionId)
        .groupBy('status')
        .execute()
      const counts = { active: 0, invited: 0, deleted: 0 }
      for (const r of rows) counts[r.status] = Number(r.n)
      return counts
    },
    async insert(rows: readonly DirUserRow[]): Promise<void> {
      for (const c of chunks(rows)) await db.insertInto('dir_users').values(c).execute()
    },
    async update(id: string, changes: Updateable<DirUserTable>): Promise<void> {
      await db.updateTable('dir_users').set(changes).where('id', '=', id).execute()
    },

    // --- people (accounts grouped by lower-cased email) ---
    /** Lower-cased emails with at least one account matching the filter, in order. */
    listPeople(f: UserFilter, seek: Seek): Promise<Rows<{ email_key: string }>> {
      return seekPage(matching(db.selectFrom('dir_users').select('dir_users.email_key').distinct(), f), 'dir_users.email_key', seek)
    },
    accountsOf(emailKeys: readonly string[], statuses: readonly DirUserStatus[]): Promise<DirUserRow[]> {
      return inChunks(emailKeys, (keys) =>
        db
          .selectFrom('dir_users')
          .selectAll()
          .where('email_key', 'in', keys)
          .where('status', 'in', [...statuses])
          .orderBy('email_key')
          .orderBy('connection_id')
          .execute(),
      )
    },
    async hasAccount(emailKey: string): Promise<boolean> {
      return (await db.selectFrom('dir_users').select('id').where('email_key', '=', emailKey).limit(1).executeTakeFirst()) !== undefined
    },
  }
}
