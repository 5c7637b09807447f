import type { Kysely } from 'kysely'
import type { Database, InviteTable, UserTable } from '../tables.js'
import { bumpWorkspace, deleteMemberships } from './counts.js'
import { type Rows, type Seek, seekPage } from './page.js'

export type UserRow = UserTable
export type InviteRow = InviteTable

const CHUNK = 500 // stays under SQLite's bound-parameter limit for IN (...) lists

function chunks<T>(items: readonly T[]): T[][] {
  const out: T[][] = []
  for (let i = 0; i < items.length; i += CHUNK) out.push(items.slice(i, i + CHUNK))
  return out
}

async function inChunks<T, R>(items: readonly T[], run: (chunk: T[]) => Promise<R[]>): Promise<R[]> {
  const out: R[] = []
  for (const chunk of chunks(items)) out.push(...(await run(chunk)))
  return out
}

/** Workspace members (users). */
export function userQueries(db: Kysely<Database>) {
  return {
    /** Inserts users of one workspace. */
    async insertMany(workspaceId: string, rows: UserRow[]): Promise<void> {
      for (const chunk of chunks(rows)) await db.insertInto('users').values(chunk).execute()
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
    list(workspaceId: string, seek: Seek): Promise<Rows<UserRow>> {
      return seekPage(db.selectFrom('users').selectAll().where('workspace_id', '=', workspaceId), 'id', seek)
    },
    async count(workspaceId: string): Promise<number> {
      const row = await db.selectFrom('workspaces').select('user_count').where('id', '=', workspaceId).executeTakeFirst()
      return Number(row?.user_count ?? 0)
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
    async insertMany(workspaceId: string, rows: InviteRow[]): Promise<void> {
      for (const chunk of chunks(rows)) await db.insertInto('invites').values(chunk).execute()
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

export { chunks, inChunks }
