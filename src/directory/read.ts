import { NotFoundError, ValidationError } from '../errors.js'
import type { ConnectionRow } from '../store/queries/connections.js'
import type { After, UserFilter } from '../store/queries/dir-read.js'
import type { DirUserRow } from '../store/queries/dir-sync.js'
import type { Queries } from '../store/queries/index.js'
import type { Rows } from '../store/queries/page.js'
import type { DirUserStatus } from '../store/tables.js'
import { CursorCodec } from '../wire/cursor.js'
import type { UnifiedUser } from './model.js'
import { type PersonAccount, presentPerson, presentUser } from './present.js'
import { emailKey } from './sync/plan.js'

/*
 * The unified reads, shared by the /directory routes and the CLI: filters in the API's vocabulary in,
 * presented models out. Lists are forward keyset pages (`{result, next_cursor}`).
 */

/** Accounts that hold access now. Lists of people default to these; `status` picks one status instead. */
export const LIVE_STATUSES: readonly DirUserStatus[] = ['active', 'invited']
export const ALL_STATUSES: readonly DirUserStatus[] = ['active', 'invited', 'deleted']

/** The filters of `/directory/users` and `/directory/people`, as the API spells them. */
export interface UserQuery {
  connection_id?: string
  email?: string
  status?: DirUserStatus
  group_id?: string
  role?: string
  q?: string
}

export interface Page<T> {
  result: T[]
  next_cursor: string | null
}

/** Opaque, signed cursors over one list's key column (a cursor from one list is refused by another). */
export class ListCursors {
  private readonly codec: CursorCodec

  constructor(secret: string) {
    this.codec = new CursorCodec(secret)
  }

  /** The key to continue after; a cursor this list did not issue is a 422. */
  after(list: string, cursor: string | undefined): string | null {
    if (cursor === undefined) return null
    let key: string[] | null
    try {
      const position = this.codec.decode(list, cursor)
      key = position.direction === 'after' ? position.key : null
    } catch {
      key = null
    }
    if (key?.length !== 1) throw new ValidationError('cursor is not a cursor this list issued', 'cursor')
    return key[0] as string
  }

  next<T>(list: string, rows: Rows<T>, keyOf: (row: T) => string): string | null {
    const last = rows.rows.at(-1)
    return rows.hasMore && last !== undefined ? this.codec.encode(list, { direction: 'after', key: [keyOf(last)] }) : null
  }
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
  const synced = await q.dirRead.findRole(role)
  return synced ? { id: synced.remote_id, connectionId: synced.connection_id } : { idOrName: role }
}

export async function connectionsById(q: Queries): Promise<Map<string, ConnectionRow>> {
  return new Map((await q.connections.all()).map((c) => [c.id, c]))
}

/** Presents account rows with their groups and the roles those grant, as of now. */
export async function presentUsers(q: Queries, rows: readonly DirUserRow[]): Promise<UnifiedUser[]> {
  if (rows.length === 0) return []
  const groups = await q.dirRead.groupsOfUsers(rows.map((r) => r.id))
  const connections = await connectionsById(q)
  return rows.flatMap((row) => {
    const connection = connections.get(row.connection_id)
    // A row outlives its connection only inside a transaction deleting both: nothing to show.
    return connection ? [presentUser(row, connection, groups.get(row.id) ?? [])] : []
  })
}

/** Users: every status unless `status` narrows it (tombstones are part of the record: `status: deleted`). */
export async function listUsers(q: Queries, query: UserQuery, page: After): Promise<{ users: UnifiedUser[]; rows: Rows<DirUserRow> }> {
  const rows = await q.dirRead.listUsers(await userFilter(q, query, ALL_STATUSES), page)
  return { users: await presentUsers(q, rows.rows), rows }
}

export async function getUser(q: Queries, id: string): Promise<UnifiedUser> {
  const row = await q.dirRead.findUser(id)
  const [user] = row ? await presentUsers(q, [row]) : []
  if (!user) throw new NotFoundError(`User ${id}`, 'id')
  return user
}

export type PresentedPerson = ReturnType<typeof presentPerson>

async function peopleOf(q: Queries, emailKeys: readonly string[], statuses: readonly DirUserStatus[]): Promise<PresentedPerson[]> {
  const accounts = await presentUsers(q, await q.dirRead.accountsOf(emailKeys, statuses))
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
export async function listPeople(q: Queries, query: UserQuery, page: After): Promise<{ people: PresentedPerson[]; rows: Rows<string> }> {
  const statuses = query.status ? [query.status] : LIVE_STATUSES
  const keys = await q.dirRead.listPeople(await userFilter(q, query, statuses), page)
  const rows = { rows: keys.rows.map((r) => r.email_key), hasMore: keys.hasMore }
  return { people: await peopleOf(q, rows.rows, statuses), rows }
}

/** One person; 404 only when the directory never saw the email. A person without live accounts has `accounts: []`. */
export async function getPerson(q: Queries, email: string, status?: DirUserStatus): Promise<PresentedPerson> {
  const key = emailKey(email)
  if (!(await q.dirRead.hasAccount(key))) throw new NotFoundError(`Person ${email}`, 'email')
  const [person] = await peopleOf(q, [key], status ? [status] : LIVE_STATUSES)
  return person as PresentedPerson
}

export type { PersonAccount }
