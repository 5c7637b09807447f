import { type Kysely, sql } from 'kysely'
import type { Database } from '../tables.js'

/**
 * Row counts live in columns, moved by deltas in the transaction that adds or removes the rows: a
 * delta is exact under concurrent writers, where recounting from a snapshot could lose an update.
 */
export async function bumpWorkspace(
  db: Kysely<Database>,
  workspaceId: string,
  column: 'user_count' | 'invite_count' | 'group_count',
  delta: number,
): Promise<void> {
  if (delta === 0) return
  await db
    .updateTable('workspaces')
    .set({ [column]: sql`${sql.ref(column)} + ${delta}` })
    .where('id', '=', workspaceId)
    .execute()
}

/** Applies one delta per group, from the group ids of the rows inserted or deleted (one entry per row). */
export async function bumpGroups(
  db: Kysely<Database>,
  column: 'member_count' | 'invite_count',
  groupIds: readonly string[],
  sign: 1 | -1,
): Promise<void> {
  const deltas = new Map<string, number>()
  for (const id of groupIds) deltas.set(id, (deltas.get(id) ?? 0) + sign)
  for (const [id, delta] of deltas) {
    await db
      .updateTable('user_groups')
      .set({ [column]: sql`${sql.ref(column)} + ${delta}` })
      .where('id', '=', id)
      .execute()
  }
}

const MEMBERSHIP = {
  member: { table: 'group_members', subject: 'user_id', count: 'member_count' },
  invite: { table: 'group_invites', subject: 'invite_id', count: 'invite_count' },
} as const

/**
 * Deletes the group memberships of these subjects (users or invites), in one group or across a workspace,
 * and moves each group's count by what was really deleted.
 */
export async function deleteMemberships(
  db: Kysely<Database>,
  kind: keyof typeof MEMBERSHIP,
  scope: { groupId: string } | { workspaceId: string },
  subjectIds: readonly string[],
): Promise<void> {
  if (subjectIds.length === 0) return
  const m = MEMBERSHIP[kind]
  const deleted = await db
    .deleteFrom(m.table)
    .where(m.subject, 'in', subjectIds)
    .where('groupId' in scope ? 'group_id' : 'workspace_id', '=', 'groupId' in scope ? scope.groupId : scope.workspaceId)
    .returning('group_id')
    .execute()
  await bumpGroups(
    db,
    m.count,
    deleted.map((r) => r.group_id),
    -1,
  )
}
