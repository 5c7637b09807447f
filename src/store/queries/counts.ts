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

/** Applies one delta per group of the workspace, from the group ids of the rows inserted or deleted (one entry per row). */
export async function bumpGroups(
  db: Kysely<Database>,
  workspaceId: string,
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
      .where('workspace_id', '=', workspaceId)
      .where('id', '=', id)
      .execute()
  }
}

const MEMBERSHIP = {
  member: { table: 'group_members', subject: 'user_id', subjects: 'users', count: 'member_count' },
  invite: { table: 'group_invites', subject: 'invite_id', subjects: 'invites', count: 'invite_count' },
} as const

/** A user's membership of a group, or a pending invite's. */
type MembershipKind = keyof typeof MEMBERSHIP
/** One group of the workspace, or (without `groupId`) the whole workspace. */
export type MembershipScope = { workspaceId: string; groupId?: string }

/**
 * Adds these subjects (users or invites) to a group, both only if they belong to the workspace: the rows come
 * from a join of the group with the subjects inside the workspace, so a foreign id adds nothing. Existing
 * memberships are kept; each group's count moves by what was really inserted.
 */
export async function addMemberships(
  db: Kysely<Database>,
  kind: MembershipKind,
  scope: Required<MembershipScope>,
  subjectIds: readonly string[],
  at: string,
): Promise<void> {
  if (subjectIds.length === 0) return
  const m = MEMBERSHIP[kind]
  // Both membership tables have the same shape (group_id, subject, workspace_id, created_at), and both subject
  // tables have (id, workspace_id): one statement serves both kinds, typed as the members' tables since Kysely
  // cannot type a statement over a union of tables.
  const subject = m.subject as 'user_id'
  const rows = db
    .selectFrom('user_groups as g')
    .innerJoin(`${m.subjects as 'users'} as s`, 's.workspace_id', 'g.workspace_id')
    .select(['g.id as group_id', 's.id as subject_id', 'g.workspace_id', sql<string>`${at}`.as('created_at')])
    .where('g.workspace_id', '=', scope.workspaceId)
    .where('g.id', '=', scope.groupId)
    .where('s.id', 'in', subjectIds)
  const added = await db
    .insertInto(m.table as 'group_members')
    .columns(['group_id', subject, 'workspace_id', 'created_at'])
    .expression(rows)
    .onConflict((oc) => oc.columns(['group_id', subject]).doNothing())
    .returning('group_id')
    .execute()
  await bumpGroups(
    db,
    scope.workspaceId,
    m.count,
    added.map((r) => r.group_id),
    1,
  )
}

/**
 * Deletes the group memberships of these subjects (users or invites), in one group of the workspace or across
 * it, and moves each group's count by what was really deleted.
 */
export async function deleteMemberships(
  db: Kysely<Database>,
  kind: MembershipKind,
  scope: MembershipScope,
  subjectIds: readonly string[],
): Promise<void> {
  if (subjectIds.length === 0) return
  const m = MEMBERSHIP[kind]
  let q = db.deleteFrom(m.table).where('workspace_id', '=', scope.workspaceId).where(m.subject, 'in', subjectIds)
  if (scope.groupId !== undefined) q = q.where('group_id', '=', scope.groupId)
  const deleted = await q.returning('group_id').execute()
  await bumpGroups(
    db,
    scope.workspaceId,
    m.count,
    deleted.map((r) => r.group_id),
    -1,
  )
}
