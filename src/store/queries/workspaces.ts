import type { Insertable, Kysely, Selectable } from 'kysely'
import type { Database, Plan, TokenRole, WorkspaceTable } from '../tables.js'
import { type Rows, type Seek, seekPage } from './page.js'

export type WorkspaceRow = Selectable<WorkspaceTable>

export function workspaceQueries(db: Kysely<Database>) {
  return {
    async insert(row: Insertable<WorkspaceTable>): Promise<void> {
      await db.insertInto('workspaces').values(row).execute()
    },
    find(id: string): Promise<WorkspaceRow | undefined> {
      return db.selectFrom('workspaces').selectAll().where('id', '=', id).executeTakeFirst()
    },
    findBySlugOrId(ref: string): Promise<WorkspaceRow | undefined> {
      return db
        .selectFrom('workspaces')
        .selectAll()
        .where((eb) => eb.or([eb('id', '=', ref), eb('slug', '=', ref)]))
        .executeTakeFirst()
    },
    async slugTaken(slug: string, exceptId?: string): Promise<boolean> {
      let q = db.selectFrom('workspaces').select('id').where('slug', '=', slug)
      if (exceptId !== undefined) q = q.where('id', '<>', exceptId)
      return (await q.executeTakeFirst()) !== undefined
    },
    /** Settings → General: name, slug and contacts (JSON arrays of emails). */
    async updateSettings(
      id: string,
      changes: Partial<Pick<WorkspaceRow, 'name' | 'slug' | 'billing_contacts' | 'incident_contacts'>>,
    ): Promise<void> {
      if (Object.keys(changes).length > 0) await db.updateTable('workspaces').set(changes).where('id', '=', id).execute()
    },
    list(seek: Seek): Promise<Rows<WorkspaceRow>> {
      return seekPage(db.selectFrom('workspaces').selectAll(), 'id', seek)
    },
    async count(): Promise<number> {
      const row = await db
        .selectFrom('workspaces')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow()
      return Number(row.n)
    },
  }
}

export interface TokenRow {
  id: string
  workspace_id: string
  description: string
  role: TokenRole
  created_at: string
  revoked_at: string | null
}

/** A token as the console lists it: who made it (an email, or null for the admin key and the CLI) and its last use. */
export interface ListedTokenRow extends TokenRow {
  created_by: string | null
  last_used_at: string | null
}

/** "Last used" is written at most this often per token (and replica): once a minute, not once a request. */
export const TOKEN_TOUCH_EVERY_MS = 60_000

/** How many live tokens the console lists at most (Segment's own list is one page). */
export const MAX_LISTED_TOKENS = 500

export function tokenQueries(db: Kysely<Database>) {
  return {
    async insert(row: TokenRow & { secret_hash: string; created_by?: string | null }): Promise<void> {
      await db.insertInto('api_tokens').values(row).execute()
    },
    /** The live token with this secret hash, with its workspace's plan and its last use (one query per request). */
    findActiveByHash(secretHash: string) {
      return db
        .selectFrom('api_tokens as t')
        .innerJoin('workspaces as w', 'w.id', 't.workspace_id')
        .select(['t.id', 't.workspace_id', 't.role', 't.description', 't.last_used_at', 'w.plan'])
        .where('t.secret_hash', '=', secretHash)
        .where('t.revoked_at', 'is', null)
        .executeTakeFirst()
    },
    find(workspaceId: string, id: string): Promise<TokenRow | undefined> {
      return db
        .selectFrom('api_tokens')
        .select(['id', 'workspace_id', 'description', 'role', 'created_at', 'revoked_at'])
        .where('workspace_id', '=', workspaceId)
        .where('id', '=', id)
        .executeTakeFirst()
    },
    /** The workspace's live tokens, newest first (revoked ones are gone from the console, as in Segment). */
    listLive(workspaceId: string): Promise<ListedTokenRow[]> {
      return db
        .selectFrom('api_tokens')
        .select(['id', 'workspace_id', 'description', 'role', 'created_at', 'revoked_at', 'created_by', 'last_used_at'])
        .where('workspace_id', '=', workspaceId)
        .where('revoked_at', 'is', null)
        .orderBy('created_at', 'desc')
        .orderBy('id', 'desc')
        .limit(MAX_LISTED_TOKENS)
        .execute()
    },
    /**
     * Notes a use of the token, unless one was noted in the last minute: a conditional UPDATE, so replicas racing
     * for the same minute write once between them. True when this call wrote.
     */
    async touch(workspaceId: string, id: string, now: Date): Promise<boolean> {
      const stale = new Date(now.getTime() - TOKEN_TOUCH_EVERY_MS).toISOString()
      const res = await db
        .updateTable('api_tokens')
        .set({ last_used_at: now.toISOString() })
        .where('workspace_id', '=', workspaceId)
        .where('id', '=', id)
        .where((eb) => eb.or([eb('last_used_at', 'is', null), eb('last_used_at', '<', stale)]))
        .executeTakeFirst()
      return Number(res.numUpdatedRows) > 0
    },
    async revoke(workspaceId: string, id: string, at: string): Promise<boolean> {
      const res = await db
        .updateTable('api_tokens')
        .set({ revoked_at: at })
        .where('workspace_id', '=', workspaceId)
        .where('id', '=', id)
        .where('revoked_at', 'is', null)
        .executeTakeFirst()
      return Number(res.numUpdatedRows) > 0
    },
  }
}

export type { Plan }
