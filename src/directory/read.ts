import type { Static } from '@sinclair/typebox'
import { emailKey } from '../email.js'
import { NotFoundError } from '../errors.js'
import type { ConnectionRow } from '../store/queries/connections.js'
import type { DirGroupRow } from '../store/queries/dir-groups.js'
import type { DirRoleRow } from '../store/queries/dir-roles.js'
import type { DirUserRow, UserFilter } from '../store/queries/dir-users.js'
import type { Queries } from '../store/queries/index.js'
import type { Rows, Seek } from '../store/queries/page.js'
import type { DirUserStatus } from '../store/tables.js'
import { presentGroup, presentPerson, presentRole, presentUser } from './present.js'
import type { GroupListQuery, Person, RoleListQuery, UnifiedGroup, UnifiedRole, UnifiedUser, UserListQuery } from './schemas/unified.js'

/*
 * The unified reads, shared by the /directory routes and the CLI: filters in the API's vocabulary in,
 * presented models out. A list reads one forward keyset page and presents it in the same transaction.
 */

/** Accounts that hold access now. Lists of people default to these; `status` picks one status instead. */
export const LIVE_STATUSES: readonly DirUserStatus[] = ['active', 'invited']
export const ALL_STATUSES: readonly DirUserStatus[] = ['active', 'invited', 'deleted']

/** A list query's filters, as the API spells them: the query less its page parameters (`limit`, `cursor`). */
export type Filters<Q> = Omit<Q, 'limit' | 'cursor'>

/** The filters of `/directory/users` and `/directory/people`. */
export type UserQuery = Filters<Static<typeof UserListQuery>>
/** The filters of `/directory/groups`. */
export type GroupQuery = Filters<Static<typeof GroupListQuery>>
/** The filters of `/directory/roles`. */
export type RoleQuery = Filters<Static<typeof RoleListQuery>>

/** One page read and presented: its rows key the cursors around it, `result` is what the answer shows of them. */
export type PresentedPage<R, I> = Rows<R> & { result: I[] }

/** A page whose rows present on their own. */
export function presentEach<R, I>(page: Rows<R>, present: (row: R) => I): PresentedPage<R, I> {
  return { ...page, result: page.rows.map(present) }
}

/**
 * Turns API filters into a store filter. `role` is a Segment role id or name as users hold it, or the
 * directory id of a synced role (resolved to its Segment id).
 */
export async function userFilter(q: Queries, query: UserQuery, statuses: readonly DirUserStatus[]): Promise<UserFilter> {
  const filter: UserFilter = { statuses: query.status ? [query.status] : statuses }
  if (query.connection_id !== undefined) filter.connectionId = query.connection_id
  if (query.email !== undefined) filter.emailKey = emailKey(query.email)
  if (query.group_id !== undefined) filter.groupId = query.group_id
  if (query.q !== undefined) filter.search = query.q
  if (query.role !== undefined) filter.role = await roleFilter(q, query.role)
  return filter
}

/**
 * A directory role id stands for its Segment role id within its own connection; anything else is matched as
 * a Segment role id or name in every connection (built-in roles share their ids across workspaces).
 */
export async function roleFilter(q: Queries, role: string): Promise<NonNullable<UserFilter['role']>> {
  const synced = await q.dirRoles.find(role)
  return synced ? { id: synced.remote_id, connectionId: synced.connection_id } : { idOrName: role }
}

export async function connectionsById(q: Queries): Promise<Map<string, ConnectionRow>> {
  return new Map((await q.connections.all()).map((c) => [c.id, c]))
}

/** Presents each row with its connection. */
async function withConnections<R extends { connection_id: string }, I>(
  q: Queries,
  rows: readonly R[],
  present: (row: R, connection: ConnectionRow) => I,
): Promise<I[]> {
  if (rows.length === 0) return []
  const connections = await connectionsById(q)
  return rows.flatMap((row) => {
    const connection = connections.get(row.connection_id)
    // A row outlives its connection only inside a transaction deleting both: nothing to show.
    return connection ? [present(row, connection)] : []
  })
}

/** One row presented with its connection; a 404 naming `id` when either is gone. */
async function presentFound<R extends { connection_id: string }, I>(
  q: Queries,
  what: string,
  row: R | undefined,
  present: (row: R, connection: ConnectionRow) => I,
): Promise<I> {
  const connection = row ? await q.connections.find(row.connection_id) : undefined
  if (!row || !connection) throw new NotFoundError(what, 'id')
  return present(row, connection)
}

/** Presents account rows with their groups and the roles those grant, as of now. */
export async function presentUsers(q: Queries, rows: readonly DirUserRow[]): Promise<UnifiedUser[]> {
  if (rows.length === 0) return []
  const groups = await q.dirGroups.ofUsers(rows.map((r) => r.id))
  return withConnections(q, rows, (row, connection) => presentUser(row, connection, groups.get(row.id) ?? []))
}

/** Users: every status unless `status` narrows it (tombstones are part of the record: `status: deleted`). */
export async function listUsers(q: Queries, query: UserQuery, seek: Seek): Promise<PresentedPage<DirUserRow, UnifiedUser>> {
  const page = await q.dirUsers.list(await userFilter(q, query, ALL_STATUSES), seek)
  return { ...page, result: await presentUsers(q, page.rows) }
}

export async function getUser(q: Queries, id: string): Promise<UnifiedUser> {
  const row = await q.dirUsers.find(id)
  const [user] = row ? await presentUsers(q, [row]) : []
  if (!user) throw new NotFoundError(`User ${id}`, 'id')
  return user
}

async function peopleOf(q: Queries, emailKeys: readonly string[], statuses: readonly DirUserStatus[]): Promise<Person[]> {
  const accounts = await presentUsers(q, await q.dirUsers.accountsOf(emailKeys, statuses))
  const byKey = new Map<string, UnifiedUser[]>()
  for (const account of accounts) {
    const key = emailKey(account.email)
    const list = byKey.get(key)
    if (list) list.push(account)
    else byKey.set(key, [account])
  }
  return emailKeys.map((key) => presentPerson(key, byKey.get(key) ?? []))
}

/**
 * People: one per lower-cased email with an account matching every filter. The filters choose people;
 * each person then shows all their accounts of the chosen statuses (live ones unless `status` is given),
 * so a person found through one workspace still shows their access everywhere.
 */
export async function listPeople(q: Queries, query: UserQuery, seek: Seek): Promise<PresentedPage<string, Person>> {
  const statuses = query.status ? [query.status] : LIVE_STATUSES
  const page = await q.dirUsers.listPeople(await userFilter(q, query, statuses), seek)
  const keys = page.rows.map((r) => r.email_key)
  return { rows: keys, hasMore: page.hasMore, result: await peopleOf(q, keys, statuses) }
}

/** One person; 404 only when the directory never saw the email. A person without live accounts has `accounts: []`. */
export async function getPerson(q: Queries, email: string, status?: DirUserStatus): Promise<Person> {
  const key = emailKey(email)
  if (!(await q.dirUsers.hasAccount(key))) throw new NotFoundError(`Person ${email}`, 'email')
  const [person] = await peopleOf(q, [key], status ? [status] : LIVE_STATUSES)
  return person as Person
}

/** The filters groups and roles share, in the store's words: live rows unless `include_deleted`. */
function catalogFilter({ connection_id, q: search, include_deleted }: RoleQuery) {
  return {
    includeDeleted: include_deleted === true,
    ...(connection_id === undefined ? {} : { connectionId: connection_id }),
    ...(search === undefined ? {} : { search }),
  }
}

/** Groups; `role` picks those granting it, as `roleFilter` reads it. */
export async function listGroups(q: Queries, query: GroupQuery, seek: Seek): Promise<PresentedPage<DirGroupRow, UnifiedGroup>> {
  const role = query.role === undefined ? {} : { role: await roleFilter(q, query.role) }
  const page = await q.dirGroups.list({ ...catalogFilter(query), ...role }, seek)
  return { ...page, result: await withConnections(q, page.rows, presentGroup) }
}

export async function getGroup(q: Queries, id: string): Promise<UnifiedGroup> {
  return presentFound(q, `Group ${id}`, await q.dirGroups.find(id), presentGroup)
}

/** Roles: each connection's role catalog. */
export async function listRoles(q: Queries, query: RoleQuery, seek: Seek): Promise<PresentedPage<DirRoleRow, UnifiedRole>> {
  const page = await q.dirRoles.list(catalogFilter(query), seek)
  return { ...page, result: await withConnections(q, page.rows, presentRole) }
}

export async function getRole(q: Queries, id: string): Promise<UnifiedRole> {
  return presentFound(q, `Role ${id}`, await q.dirRoles.find(id), presentRole)
}
