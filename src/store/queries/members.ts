import { type Kysely, type SelectQueryBuilder, sql } from 'kysely'
import type { Database, InviteTable, UserTable } from '../tables.js'
import { chunks, inChunks } from './chunks.js'
import { bumpWorkspace, deleteMemberships } from './counts.js'
import { type Rows, type Seek, seekPage } from './page.js'
import { containsPattern } from './text-match.js'

export type UserRow = UserTable
export type InviteRow = InviteTable

/** New rows land in the workspace the call names (whose count it moves), whatever the rows say. */
function inWorkspace<T>(workspaceId: string, rows: readonly T[]): (T & { workspace_id: string })[] {
  return rows.map((row) => ({ ...row, workspace_id: workspaceId }))
}

/** What the console's member list narrows by; either may be absent. */
export interface UserFilter {
  /** A case-insensitive substring of the name or the email. */
  search?: string | undefined
  /** Only users holding this role directly (not through a group). */
  roleId?: string | undefined
}

/** The workspace's permissions granting this role to a user (a user's are deleted with it, so each names a member). */
function roleHolders(db: Kysely<Database>, workspaceId: string, roleId: string) {
  return db
    .selectFrom('permissions')
    .where('workspace_id', '=', workspaceId)
    .where('role_id', '=', roleId)
    .where('subject_type', '=', 'user')
}

/**
 * The workspace's users narrowed by the filter. A role is an indexed semi-join on (workspace_id, role_id); a
 * search reads the rows in key order until a page matches (a scan at worst, but never more than one walk).
 */
function filteredUsers(db: Kysely<Database>, workspaceId: string, filter: UserFilter): SelectQueryBuilder<Database, 'users', UserRow> {
  let q = db.selectFrom('users').selectAll().where('workspace_id', '=', workspaceId)
  if (filter.roleId !== undefined) q = q.where('id', 'in', roleHolders(db, workspaceId, filter.roleId).select('subject_id'))
  if (filter.search !== undefined) {
    const pattern = containsPattern(filter.search)
    // lower() on both sides, as PostgreSQL's LIKE is case-sensitive (SQLite's lower() folds ASCII only); email_key is lower-case.
    q = q.where(sql<boolean>`(lower(name) like ${pattern} escape '\\' or email_key like ${pattern} escape '\\')`)
  }
  return q
}

/** Workspace members (users). */
export function userQueries(db: Kysely<Database>) {
  return {
    /** Inserts users of one workspace. */
    async insertMany(workspaceId: string, rows: readonly Omit<UserRow, 'workspace_id'>[]): Promise<void> {
      for (const chunk of chunks(rows)) await db.insertInto('users').values(inWorkspace(workspaceId, chunk)).execute()
      await bumpWorkspace(db, workspaceId, 'user_count', rows.length)
    },
    find(workspaceId: string, id: string): Promise<UserRow | undefined> {
      return db.selectFrom('users').selectAll().where('workspace_id', '=', workspaceId).where('id', '=', id).executeTakeFirst()
    },
    findByIds(workspaceId: string, ids: readonly string[]): Promise<UserRow[]> {
      return inChunks(ids, (c) => db.selectFrom('users').selectAll().where('workspace_id', '=', workspaceId).where('id', 'in', c).execute())
    },
    findByEmailKeys(workspaceId: string, keys: readonly string[]): Promise<UserRow[]> {
      return inChunks(keys, (c) =>
        db.selectFrom('users').selectAll().where('workspace_id', '=', workspaceId).where('email_key', 'in', c).execute(),
      )
    },
    /** Renames one person's users in one workspace (a person's name is theirs everywhere). */
    async rename(workspaceId: string, emailKey: string, name: string): Promise<void> {
      await db.updateTable('users').set({ name }).where('workspace_id', '=', workspaceId).where('email_key', '=', emailKey).execute()
    },
    list(workspaceId: string, seek: Seek): Promise<Rows<UserRow>> {
      return seekPage(db.selectFrom('users').selectAll().where('workspace_id', '=', workspaceId), 'id', seek)
    },
    async count(workspaceId: string): Promise<number> {
      const row = await db.selectFrom('workspaces').select('user_count').where('id', '=', workspaceId).executeTakeFirst()
      return Number(row?.user_count ?? 0)
    },
    /** A keyset page of the users the filter keeps, in id order like `list`. */
    listFiltered(workspaceId: string, filter: UserFilter, seek: Seek): Promise<Rows<UserRow>> {
      return seekPage(filteredUsers(db, workspaceId, filter), 'id', seek)
    },
    /** How many users the filter keeps: the kept count column when there is no filter, else a count. */
    async countFiltered(workspaceId: string, filter: UserFilter): Promise<number> {
      if (filter.search === undefined && filter.roleId === undefined) return this.count(workspaceId)
      // A role alone: its holders, without visiting their users (half the time on a role most members hold).
      const row =
        filter.search === undefined && filter.roleId !== undefined
          ? await roleHolders(db, workspaceId, filter.roleId)
              .select((eb) => eb.fn.count<number>('subject_id').distinct().as('n'))
              .executeTakeFirstOrThrow()
          : await filteredUsers(db, workspaceId, filter)
              .clearSelect()
              .select((eb) => eb.fn.countAll<number>().as('n'))
              .executeTakeFirstOrThrow()
      return Number(row.n)
    },
    /** Deletes users with their group memberships, keeping every count exact. */
    async deleteMany(workspaceId: string, ids: readonly string[]): Promise<void> {
      for (const c of chunks(ids)) {
        await deleteMemberships(db, 'member', { workspaceId }, c)
        const res = await db.deleteFrom('users').where('workspace_id', '=', workspaceId).where('id', 'in', c).executeTakeFirst()
        await bumpWorkspace(db, workspaceId, 'user_count', -Number(res.numDeletedRows))
      }
    },
  }
}

/** Pending invites: an email invited to the workspace that has not joined yet. */
export function inviteQueries(db: Kysely<Database>) {
  return {
    findByIds(workspaceId: string, ids: readonly string[]): Promise<InviteRow[]> {
      return inChunks(ids, (c) =>
        db.selectFrom('invites').selectAll().where('workspace_id', '=', workspaceId).where('id', 'in', c).execute(),
      )
    },
    async insertMany(workspaceId: string, rows: readonly Omit<InviteRow, 'workspace_id'>[]): Promise<void> {
      for (const chunk of chunks(rows)) await db.insertInto('invites').values(inWorkspace(workspaceId, chunk)).execute()
      await bumpWorkspace(db, workspaceId, 'invite_count', rows.length)
    },
    findByEmailKeys(workspaceId: string, keys: readonly string[]): Promise<InviteRow[]> {
      return inChunks(keys, (c) =>
        db.selectFrom('invites').selectAll().where('workspace_id', '=', workspaceId).where('email_key', 'in', c).execute(),
      )
    },
    list(workspaceId: string, seek: Seek): Promise<Rows<InviteRow>> {
      return seekPage(db.selectFrom('invites').selectAll().where('workspace_id', '=', workspaceId), 'id', seek)
    },
    async count(workspaceId: string): Promise<number> {
      const row = await db.selectFrom('workspaces').select('invite_count').where('id', '=', workspaceId).executeTakeFirst()
      return Number(row?.invite_count ?? 0)
    },
    /** Deletes invites with their group memberships, keeping every count exact. */
    async deleteMany(workspaceId: string, ids: readonly string[]): Promise<void> {
      for (const c of chunks(ids)) {
        await deleteMemberships(db, 'invite', { workspaceId }, c)
        const res = await db.deleteFrom('invites').where('workspace_id', '=', workspaceId).where('id', 'in', c).executeTakeFirst()
        await bumpWorkspace(db, workspaceId, 'invite_count', -Number(res.numDeletedRows))
      }
    },
  }
}
