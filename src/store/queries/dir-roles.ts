import type { Kysely, Selectable, Updateable } from 'kysely'
import type { Database, DirRoleTable } from '../tables.js'
import { chunks } from './chunks.js'
import { type Rows, type Seek, seekPage } from './page.js'
import { containsPattern, likeCi } from './text-match.js'

export type DirRoleRow = Selectable<DirRoleTable>

/**
 * A role as the read filters name it: a Segment role id within one connection (a synced role), or a
 * Segment role id or name (any case) in every connection (built-in roles share their ids across workspaces).
 */
export type RoleMatch = { id: string; connectionId?: string } | { idOrName: string }

export interface RoleFilter {
  includeDeleted: boolean
  connectionId?: string
  search?: string
}

/**
 * Patterns matching one role inside the canonical JSON of `dir_users.roles` / `dir_groups.roles`
 * (`[{"id":…,"name":…,"resources":[…],…}]`, keys sorted). A role object is the only one whose `id` is
 * followed by `name`, and the only one with a `name` at all (resources carry `id`, `labels`, `type`), so a
 * resource id never matches a role id. Substring search on JSON text keeps it one query on both dialects.
 */
export function rolePatterns(role: RoleMatch): string[] {
  const id = 'id' in role ? role.id : role.idOrName
  const patterns = [containsPattern(`{"id":${JSON.stringify(id)},"name":`)]
  if ('idOrName' in role) patterns.push(containsPattern(`"name":${JSON.stringify(role.idOrName)}`))
  return patterns
}

/** The connection a role match is confined to, if any. */
export const roleConnection = (role: RoleMatch): string | undefined => ('connectionId' in role ? role.connectionId : undefined)

/** The roles synced from each connection. */
export function dirRoleQueries(db: Kysely<Database>) {
  return {
    ofConnection(connectionId: string): Promise<DirRoleRow[]> {
      return db.selectFrom('dir_roles').selectAll().where('connection_id', '=', connectionId).orderBy('id').execute()
    },
    find(id: string): Promise<DirRoleRow | undefined> {
      return db.selectFrom('dir_roles').selectAll().where('id', '=', id).executeTakeFirst()
    },
    list(f: RoleFilter, seek: Seek): Promise<Rows<DirRoleRow>> {
      let q = db.selectFrom('dir_roles').selectAll()
      if (!f.includeDeleted) q = q.where('deleted_at', 'is', null)
      if (f.connectionId !== undefined) q = q.where('connection_id', '=', f.connectionId)
      if (f.search !== undefined) {
        const pattern = containsPattern(f.search)
        q = q.where((eb) => likeCi(eb.ref('name'), pattern))
      }
      return seekPage(q, 'id', seek)
    },
    async insert(rows: readonly DirRoleRow[]): Promise<void> {
      for (const c of chunks(rows)) await db.insertInto('dir_roles').values(c).execute()
    },
    async update(id: string, changes: Updateable<DirRoleTable>): Promise<void> {
      await db.updateTable('dir_roles').set(changes).where('id', '=', id).execute()
    },
  }
}
