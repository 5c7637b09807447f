import type { Kysely, Selectable, Updateable } from 'kysely'
import type { Database, DirGroupTable, DirMembershipTable } from '../tables.js'
import { chunks, inChunks } from './chunks.js'
import { type RoleMatch, roleConnection, rolePatterns } from './dir-roles.js'
import { type Rows, type Seek, seekPage } from './page.js'
import { containsPattern, likeCi } from './text-match.js'

export type DirGroupRow = Selectable<DirGroupTable>
export type DirMembershipRow = Selectable<DirMembershipTable>

export interface GroupFilter {
  includeDeleted: boolean
  connectionId?: string
  /** Groups granting the role. */
  role?: RoleMatch
  search?: string
}

/** The groups synced from each connection, and their memberships. */
export function dirGroupQueries(db: Kysely<Database>) {
  return {
    ofConnection(connectionId: string): Promise<DirGroupRow[]> {
      return db.selectFrom('dir_groups').selectAll().where('connection_id', '=', connectionId).orderBy('id').execute()
    },
    find(id: string): Promise<DirGroupRow | undefined> {
      return db.selectFrom('dir_groups').selectAll().where('id', '=', id).executeTakeFirst()
    },
    list(f: GroupFilter, seek: Seek): Promise<Rows<DirGroupRow>> {
      let q = db.selectFrom('dir_groups').selectAll()
      if (!f.includeDeleted) q = q.where('deleted_at', 'is', null)
      if (f.connectionId !== undefined) q = q.where('connection_id', '=', f.connectionId)
      if (f.search !== undefined) {
        const pattern = containsPattern(f.search)
        q = q.where((eb) => likeCi(eb.ref('name'), pattern))
      }
      if (f.role !== undefined) {
        const patterns = rolePatterns(f.role)
        q = q.where((eb) => eb.or(patterns.map((p) => likeCi(eb.ref('roles'), p))))
        const connectionId = roleConnection(f.role)
        if (connectionId !== undefined) q = q.where('connection_id', '=', connectionId)
      }
      return seekPage(q, 'id', seek)
    },
    /** Live groups of the connection: what the remote's group total should equal. */
    async liveCount(connectionId: string): Promise<number> {
      const row = await db
        .selectFrom('dir_groups')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('connection_id', '=', connectionId)
        .where('deleted_at', 'is', null)
        .executeTakeFirstOrThrow()
      return Number(row.n)
    },
    /** The groups each account is a member of (tombstoned groups included: memberships say what access is). */
    async ofUsers(userIds: readonly string[]): Promise<Map<string, DirGroupRow[]>> {
      const rows = await inChunks(userIds, (ids) =>
        db
          .selectFrom('dir_memberships')
          .innerJoin('dir_groups', 'dir_groups.id', 'dir_memberships.group_id')
          .selectAll('dir_groups')
          .select('dir_memberships.user_id as member_id')
          .where('dir_memberships.user_id', 'in', ids)
          .execute(),
      )
      const out = new Map<string, DirGroupRow[]>()
      for (const { member_id, ...group } of rows) {
        const list = out.get(member_id)
        if (list) list.push(group)
        else out.set(member_id, [group])
      }
      return out
    },
    async insert(rows: readonly DirGroupRow[]): Promise<void> {
      for (const c of chunks(rows)) await db.insertInto('dir_groups').values(c).execute()
    },
    async update(id: string, changes: Updateable<DirGroupTable>): Promise<void> {
      await db.updateTable('dir_groups').set(changes).where('id', '=', id).execute()
    },

    // --- memberships ---
    memberships(connectionId: string): Promise<DirMembershipRow[]> {
      return db.selectFrom('dir_memberships').selectAll().where('connection_id', '=', connectionId).execute()
    },
    async addMembers(rows: readonly DirMembershipRow[]): Promise<void> {
      for (const c of chunks(rows)) await db.insertInto('dir_memberships').values(c).execute()
    },
    async removeMembers(pairs: readonly { group_id: string; user_id: string }[]): Promise<void> {
      const byGroup = new Map<string, string[]>()
      for (const p of pairs) {
        const list = byGroup.get(p.group_id)
        if (list) list.push(p.user_id)
        else byGroup.set(p.group_id, [p.user_id])
      }
      for (const [groupId, userIds] of byGroup)
        for (const c of chunks(userIds))
          await db.deleteFrom('dir_memberships').where('group_id', '=', groupId).where('user_id', 'in', c).execute()
    },
  }
}
