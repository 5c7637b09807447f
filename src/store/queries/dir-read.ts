import { type Expression, type Kysely, type SelectQueryBuilder, type SqlBool, sql } from 'kysely'
import type { Database, DirUserStatus } from '../tables.js'
import type { DirGroupRow, DirRoleRow, DirUserRow } from './dir-sync.js'
import type { Rows } from './page.js'

// Rows per IN list: far below SQLite's and PostgreSQL's parameter limits.
const CHUNK = 500

/** Which accounts a directory read selects. Every field narrows; `statuses` is never empty. */
export interface UserFilter {
  statuses: readonly DirUserStatus[]
  connectionId?: string
  /** Lower-cased email: exact match. */
  emailKey?: string
  /** Accounts that are members of this directory group. */
  groupId?: string
  /**
   * Accounts holding the role directly or through a group: by Segment role id, or by name (any case);
   * with `connectionId`, only in that connection (a synced role of one connection).
   */
  role?: { id: string; connectionId?: string } | { idOrName: string }
  /** Lower-cased substring of the email or the name. */
  search?: string
}

export interface GroupFilter {
  includeDeleted: boolean
  connectionId?: string
  /** Groups granting the role (same matching as for users). */
  role?: UserFilter['role']
  search?: string
}

export interface RoleFilter {
  includeDeleted: boolean
  connectionId?: string
  search?: string
}

export interface WorkspaceFilter {
  connectionId?: string
  search?: string
}

/** A forward keyset page: rows after `after` (null = from the start). */
export interface After {
  after: string | null
  limit: number
}

/** `like` needs its own escaping: the value is matched literally. */
const escapeLike = (text: string) => text.replace(/[\\%_]/g, (c) => `\\${c}`)
const contains = (text: string) => `%${escapeLike(text.toLowerCase())}%`

/** Case-insensitive `like` with `\` as the escape character, the same on SQLite and PostgreSQL. */
function likeCi(column: Expression<unknown>, pattern: string): Expression<SqlBool> {
  return sql<SqlBool>`lower(${column}) like ${pattern} escape '\\'`
}

/**
 * Patterns matching one role inside the canonical JSON of `dir_users.roles` / `dir_groups.roles`
 * (`[{"id":…,"name":…,"resources":[…],…}]`, keys sorted). A role object is the only one whose `id` is
 * followed by `name`, and the only one with a `name` at all (resources carry `id`, `labels`, `type`), so a
 * resource id never matches a role id. Substring search on JSON text keeps it one query on both dialects.
 */
function rolePatterns(role: NonNullable<UserFilter['role']>): string[] {
  const id = 'id' in role ? role.id : role.idOrName
  const patterns = [contains(`{"id":${JSON.stringify(id)},"name":`)]
  if ('idOrName' in role) patterns.push(contains(`"name":${JSON.stringify(role.idOrName)}`))
  return patterns
}

function inChunks<T>(items: readonly T[]): T[][] {
  const out: T[][] = []
  for (let i = 0; i < items.length; i += CHUNK) out.push(items.slice(i, i + CHUNK))
  return out
}

async function forward<O extends Record<string, unknown>>(
  // biome-ignore lint/suspicious/noExplicitAny: the builder's table set differs per list; only the key column matters here
  query: SelectQueryBuilder<any, any, O>,
  column: string,
  page: After,
): Promise<Rows<O>> {
  let q = query.orderBy(column).limit(page.limit + 1)
  if (page.after !== null) q = q.where(column, '>', page.after)
  const rows = await q.execute()
  const hasMore = rows.length > page.limit
  if (hasMore) rows.pop()
  return { rows, hasMore }
}

/** The unified read API's queries over the synced directory (the sync engine writes these tables). */
export function dirReadQueries(db: Kysely<Database>) {
  function whereUsers<O>(query: SelectQueryBuilder<Database, 'dir_users', O>, f: UserFilter): SelectQueryBuilder<Database, 'dir_users', O> {
    let q = query.where('dir_users.status', 'in', [...f.statuses])
    if (f.connectionId !== undefined) q = q.where('dir_users.connection_id', '=', f.connectionId)
    if (f.emailKey !== undefined) q = q.where('dir_users.email_key', '=', f.emailKey)
    if (f.groupId !== undefined)
      q = q.where(
        'dir_users.id',
        'in',
        db.selectFrom('dir_memberships').select('dir_memberships.user_id').where('group_id', '=', f.groupId),
      )
    if (f.role !== undefined) {
      const patterns = rolePatterns(f.role)
      const viaGroup = db
        .selectFrom('dir_memberships')
        .innerJoin('dir_groups', 'dir_groups.id', 'dir_memberships.group_id')
        .select('dir_memberships.user_id')
        .where((eb) => eb.or(patterns.map((p) => likeCi(eb.ref('dir_groups.roles'), p))))
      q = q.where((eb) => eb.or([...patterns.map((p) => likeCi(eb.ref('dir_users.roles'), p)), eb('dir_users.id', 'in', viaGroup)]))
      if ('connectionId' in f.role && f.role.connectionId !== undefined) q = q.where('dir_users.connection_id', '=', f.role.connectionId)
    }
    if (f.search !== undefined) {
      const pattern = contains(f.search)
      q = q.where((eb) => eb.or([likeCi(eb.ref('dir_users.email_key'), pattern), likeCi(eb.ref('dir_users.name'), pattern)]))
    }
    return q
  }

  return {
    // --- accounts ---
    listUsers(f: UserFilter, page: After): Promise<Rows<DirUserRow>> {
      return forward(whereUsers(db.selectFrom('dir_users').selectAll('dir_users'), f), 'dir_users.id', page)
    },
    findUser(id: string): Promise<DirUserRow | undefined> {
      return db.selectFrom('dir_users').selectAll().where('id', '=', id).executeTakeFirst()
    },
    /** The groups each account is a member of (tombstoned groups included: memberships say what access is). */
    async groupsOfUsers(userIds: readonly string[]): Promise<Map<string, DirGroupRow[]>> {
      const out = new Map<string, DirGroupRow[]>()
      for (const ids of inChunks(userIds)) {
        const rows = await db
          .selectFrom('dir_memberships')
          .innerJoin('dir_groups', 'dir_groups.id', 'dir_memberships.group_id')
          .selectAll('dir_groups')
          .select('dir_memberships.user_id as member_id')
          .where('dir_memberships.user_id', 'in', ids)
          .execute()
        for (const { member_id, ...group } of rows) {
          const list = out.get(member_id)
          if (list) list.push(group)
          else out.set(member_id, [group])
        }
      }
      return out
    },

    // --- people (accounts grouped by lower-cased email) ---
    /** Lower-cased emails with at least one account matching the filter, in order. */
    listPeople(f: UserFilter, page: After): Promise<Rows<{ email_key: string }>> {
      return forward(whereUsers(db.selectFrom('dir_users').select('dir_users.email_key').distinct(), f), 'dir_users.email_key', page)
    },
    async accountsOf(emailKeys: readonly string[], statuses: readonly DirUserStatus[]): Promise<DirUserRow[]> {
      const rows: DirUserRow[] = []
      for (const keys of inChunks(emailKeys))
        rows.push(
          ...(await db
            .selectFrom('dir_users')
            .selectAll()
            .where('email_key', 'in', keys)
            .where('status', 'in', [...statuses])
            .orderBy('email_key')
            .orderBy('connection_id')
            .execute()),
        )
      return rows
    },
    async hasAccount(emailKey: string): Promise<boolean> {
      return (await db.selectFrom('dir_users').select('id').where('email_key', '=', emailKey).limit(1).executeTakeFirst()) !== undefined
    },

    // --- groups, roles, workspaces ---
    listGroups(f: GroupFilter, page: After): Promise<Rows<DirGroupRow>> {
      let q = db.selectFrom('dir_groups').selectAll()
      if (!f.includeDeleted) q = q.where('deleted_at', 'is', null)
      if (f.connectionId !== undefined) q = q.where('connection_id', '=', f.connectionId)
      if (f.search !== undefined) {
        const pattern = contains(f.search)
        q = q.where((eb) => likeCi(eb.ref('name'), pattern))
      }
      if (f.role !== undefined) {
        const patterns = rolePatterns(f.role)
        q = q.where((eb) => eb.or(patterns.map((p) => likeCi(eb.ref('roles'), p))))
        if ('connectionId' in f.role && f.role.connectionId !== undefined) q = q.where('connection_id', '=', f.role.connectionId)
      }
      return forward(q, 'id', page)
    },
    findGroup(id: string): Promise<DirGroupRow | undefined> {
      return db.selectFrom('dir_groups').selectAll().where('id', '=', id).executeTakeFirst()
    },
    listRoles(f: RoleFilter, page: After): Promise<Rows<DirRoleRow>> {
      let q = db.selectFrom('dir_roles').selectAll()
      if (!f.includeDeleted) q = q.where('deleted_at', 'is', null)
      if (f.connectionId !== undefined) q = q.where('connection_id', '=', f.connectionId)
      if (f.search !== undefined) {
        const pattern = contains(f.search)
        q = q.where((eb) => likeCi(eb.ref('name'), pattern))
      }
      return forward(q, 'id', page)
    },
    findRole(id: string): Promise<DirRoleRow | undefined> {
      return db.selectFrom('dir_roles').selectAll().where('id', '=', id).executeTakeFirst()
    },
    listWorkspaces(f: WorkspaceFilter, page: After) {
      let q = db.selectFrom('dir_connections').selectAll()
      if (f.connectionId !== undefined) q = q.where('id', '=', f.connectionId)
      if (f.search !== undefined) {
        const pattern = contains(f.search)
        q = q.where((eb) => eb.or([likeCi(eb.ref('remote_workspace_slug'), pattern), likeCi(eb.ref('remote_workspace_name'), pattern)]))
      }
      return forward(q, 'id', page)
    },
  }
}
