import { setImmediate as nextTurn } from 'node:timers/promises'
import { bySubject } from '../../iam/present.js'
import { roleName } from '../../iam/rules/roles.js'
import type { Queries } from '../../store/queries/index.js'
import type { UserFilter, UserRow } from '../../store/queries/members.js'
import { pages } from '../../store/queries/page.js'
import type { Store } from '../../store/store.js'
import { describeGrant } from './access-words.js'

/** Users read per transaction: memory stays flat however many the workspace has. */
export const CSV_BATCH = 500

export const USERS_CSV_COLUMNS = ['id', 'name', 'email', 'roles', 'access', 'groups'] as const

/**
 * A cell as a spreadsheet should read it: text starting with = + - @ tab or CR is prefixed with ' so it is never
 * run as a formula (CSV injection); commas, quotes and line breaks are quoted (RFC 4180).
 */
export function csvCell(value: string): string {
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe
}

const csvLine = (cells: readonly string[]) => `${cells.map(csvCell).join(',')}\r\n`

/**
 * The workspace's users the filter keeps, as CSV lines, in id order: one keyset batch per short read
 * transaction, so the export neither holds the store nor buffers the list; the stream pulls the next batch only
 * when the client has taken the previous one.
 */
export async function* usersCsv(store: Store, workspaceId: string, filter: UserFilter): AsyncGenerator<string> {
  yield csvLine(USERS_CSV_COLUMNS)
  const batches = pages(
    (seek) =>
      store.read(async (q) => {
        const page = await q.users.listFiltered(workspaceId, filter, seek)
        return { ...page, text: await userLines(q, workspaceId, page.rows) }
      }),
    (u) => [u.id],
    CSV_BATCH,
  )
  for await (const batch of batches) {
    if (batch.text !== '') yield batch.text
    // SQLite reads synchronously: let other requests (and the socket) have the event loop between batches.
    await nextTurn()
  }
}

/** The CSV lines of one batch of users, with their roles, access and groups read in the same transaction. */
async function userLines(q: Queries, workspaceId: string, rows: readonly UserRow[]): Promise<string> {
  const ids = rows.map((u) => u.id)
  const permissions = bySubject(await q.permissions.ofSubjects(workspaceId, 'user', ids))
  const groups = new Map<string, string[]>()
  for (const m of await q.groups.groupsOfUsers(workspaceId, ids)) groups.set(m.user_id, [...(groups.get(m.user_id) ?? []), m.name])
  return rows
    .map((u) => {
      const own = permissions.get(u.id) ?? []
      const roles = own.map((p) => roleName(p.role_id)).join('; ')
      const access = own.map((p) => describeGrant(p).summary).join('; ')
      return csvLine([u.id, u.name, u.email, roles, access, (groups.get(u.id) ?? []).join('; ')])
    })
    .join('')
}
