import type { Kysely, Selectable } from 'kysely'
import type { Database, UserGroupTable } from '../tables.js'
import { chunks, inChunks } from './chunks.js'
import { addMemberships, bumpWorkspace, deleteMemberships } from './counts.js'
import type { InviteRow, UserRow } from './members.js'
import { type Rows, type Seek, seekPage } from './page.js'

/** memberCount counts members (users), never pending invites. */
export type GroupRow = Selectable<UserGroupTable>

export function groupQueries(db: Kysely<Database>) {
  const columns = ['id', 'workspace_id', 'name', 'name_key', 'created_at', 'member_count', 'invite_count'] as const
  const select = () => db.selectFrom('user_groups').select(columns)
  /**
   * The workspace's memberships joined with their groups, scoped by the membership row (it only ever joins a
   * group and a user of its own workspace): a `g.workspace_id` term makes SQLite walk every group of the
   * workspace instead of the member's index.
   */
  const groupsOfMembers = (workspaceId: string) =>
    db.selectFrom('group_members as m').innerJoin('user_groups as g', 'g.id', 'm.group_id').where('m.workspace_id', '=', workspaceId)

  return {
    async insert(row: Omit<GroupRow, 'member_count' | 'invite_count'>): Promise<void> {
      await db.insertInto('user_groups').values(row).execute()
      await bumpWorkspace(db, row.workspace_id, 'group_count', 1)
    },
    find(workspaceId: string, id: string): Promise<GroupRow | undefined> {
      return select().where('workspace_id', '=', workspaceId).where('id', '=', id).executeTakeFirst()
    },
    async findByNameKey(workspaceId: string, nameKey: string): Promise<{ id: string } | undefined> {
      return db
        .selectFrom('user_groups')
        .select('id')
        .where('workspace_id', '=', workspaceId)
        .where('name_key', '=', nameKey)
        .executeTakeFirst()
    },
    async rename(workspaceId: string, id: string, name: string, nameKey: string): Promise<void> {
      await db
        .updateTable('user_groups')
        .set({ name, name_key: nameKey })
        .where('workspace_id', '=', workspaceId)
        .where('id', '=', id)
        .execute()
    },
    async delete(workspaceId: string, id: string): Promise<void> {
      const res = await db.deleteFrom('user_groups').where('workspace_id', '=', workspaceId).where('id', '=', id).executeTakeFirst()
      await bumpWorkspace(db, workspaceId, 'group_count', -Number(res.numDeletedRows))
    },
    list(workspaceId: string, seek: Seek): Promise<Rows<GroupRow>> {
      return seekPage(select().where('workspace_id', '=', workspaceId), 'id', seek)
    },
    async count(workspaceId: string): Promise<number> {
      const row = await db.selectFrom('workspaces').select('group_count').where('id', '=', workspaceId).executeTakeFirst()
      return Number(row?.group_count ?? 0)
    },

    // --- members (users) ---
    listMembers(workspaceId: string, groupId: string, seek: Seek): Promise<Rows<UserRow>> {
      return seekPage(
        db
          .selectFrom('group_members as m')
          .innerJoin('users as u', 'u.id', 'm.user_id')
          .selectAll('u')
          // Scoped by the membership row alone (it only ever joins a group and a user of its own workspace): a
          // `u.workspace_id` term makes SQLite walk every user of the workspace and sort (20x slower at 20,000).
          .where('m.workspace_id', '=', workspaceId)
          .where('m.group_id', '=', groupId),
        'm.user_id',
        seek,
      )
    },
    async countMembers(workspaceId: string, groupId: string): Promise<number> {
      const row = await db
        .selectFrom('user_groups')
        .select('member_count')
        .where('workspace_id', '=', workspaceId)
        .where('id', '=', groupId)
        .executeTakeFirst()
      return Number(row?.member_count ?? 0)
    },
    async memberIds(workspaceId: string, groupId: string): Promise<string[]> {
      const rows = await db
        .selectFrom('group_members')
        .select('user_id')
        .where('workspace_id', '=', workspaceId)
        .where('group_id', '=', groupId)
        .execute()
      return rows.map((r) => r.user_id)
    },
    /** Adds the workspace's users to its group; ids of another workspace (group or user) add nothing. */
    async addMembers(workspaceId: string, groupId: string, userIds: readonly string[], at: string): Promise<void> {
      for (const c of chunks(userIds)) await addMemberships(db, 'member', { workspaceId, groupId }, c, at)
    },
    async removeMembers(workspaceId: string, groupId: string, userIds: readonly string[]): Promise<void> {
      for (const c of chunks(userIds)) await deleteMemberships(db, 'member', { workspaceId, groupId }, c)
    },
    /** Groups a user belongs to, keyed by group id. */
    listGroupsOfUser(workspaceId: string, userId: string, seek: Seek): Promise<Rows<{ id: string; name: string }>> {
      return seekPage(groupsOfMembers(workspaceId).select(['g.id', 'g.name']).where('m.user_id', '=', userId), 'm.group_id', seek)
    },
    /** The groups of each of these users (a page of them), by name. */
    groupsOfUsers(workspaceId: string, userIds: readonly string[]): Promise<{ user_id: string; id: string; name: string }[]> {
      return inChunks(userIds, (c) =>
        groupsOfMembers(workspaceId)
          .select(['m.user_id', 'g.id', 'g.name'])
          .where('m.user_id', 'in', c)
          .orderBy('g.name_key')
          .orderBy('g.id')
          .execute(),
      )
    },
    async countGroupsOfUser(workspaceId: string, userId: string): Promise<number> {
      const row = await db
        .selectFrom('group_members')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('workspace_id', '=', workspaceId)
        .where('user_id', '=', userId)
        .executeTakeFirstOrThrow()
      return Number(row.n)
    },
    /** Memberships of these users, for cleaning up and auditing a delete. */
    membershipsOfUsers(workspaceId: string, userIds: readonly string[]): Promise<{ group_id: string; user_id: string }[]> {
      return inChunks(userIds, (c) =>
        db
          .selectFrom('group_members')
          .select(['group_id', 'user_id'])
          .where('workspace_id', '=', workspaceId)
          .where('user_id', 'in', c)
          .execute(),
      )
    },

    // --- pending invites in a group ---
    listInvites(workspaceId: string, groupId: string, seek: Seek): Promise<Rows<InviteRow>> {
      return seekPage(
        db
          .selectFrom('group_invites as gi')
          .innerJoin('invites as i', 'i.id', 'gi.invite_id')
          .selectAll('i')
          // Scoped by the membership row alone, as listMembers is.
          .where('gi.workspace_id', '=', workspaceId)
          .where('gi.group_id', '=', groupId),
        'gi.invite_id',
        seek,
      )
    },
    async countInvites(workspaceId: string, groupId: string): Promise<number> {
      const row = await db
        .selectFrom('user_groups')
        .select('invite_count')
        .where('workspace_id', '=', workspaceId)
        .where('id', '=', groupId)
        .executeTakeFirst()
      return Number(row?.invite_count ?? 0)
    },
    async inviteIds(workspaceId: string, groupId: string): Promise<string[]> {
      const rows = await db
        .selectFrom('group_invites')
        .select('invite_id')
        .where('workspace_id', '=', workspaceId)
        .where('group_id', '=', groupId)
        .execute()
      return rows.map((r) => r.invite_id)
    },
    /** Adds the workspace's pending invites to its group; ids of another workspace (group or invite) add nothing. */
    async addInvites(workspaceId: string, groupId: string, inviteIds: readonly string[], at: string): Promise<void> {
      for (const c of chunks(inviteIds)) await addMemberships(db, 'invite', { workspaceId, groupId }, c, at)
    },
    async removeInvites(workspaceId: string, groupId: string, inviteIds: readonly string[]): Promise<void> {
      for (const c of chunks(inviteIds)) await deleteMemberships(db, 'invite', { workspaceId, groupId }, c)
    },
    /** Group ids each of these invites belongs to (what an accepted invite carries over). */
    groupsOfInvites(workspaceId: string, inviteIds: readonly string[]): Promise<{ group_id: string; invite_id: string }[]> {
      return inChunks(inviteIds, (c) =>
        db
          .selectFrom('group_invites')
          .select(['group_id', 'invite_id'])
          .where('workspace_id', '=', workspaceId)
          .where('invite_id', 'in', c)
          .execute(),
      )
    },
    namesOf(workspaceId: string, groupIds: readonly string[]): Promise<{ id: string; name: string }[]> {
      return inChunks(groupIds, (c) =>
        db.selectFrom('user_groups').select(['id', 'name']).where('workspace_id', '=', workspaceId).where('id', 'in', c).execute(),
      )
    },
  }
}
