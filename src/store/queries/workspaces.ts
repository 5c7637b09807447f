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
    async slugTaken(slug: string): Promise<boolean> {
      return (await db.selectFrom('workspaces').select('id').where('slug', '=', slug).executeTakeFirst()) !== undefined
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

export function tokenQueries(db: Kysely<Database>) {
  return {
    async insert(row: TokenRow & { secret_hash: string }): Promise<void> {
      await db.insertInto('api_tokens').values(row).execute()
    },
    /** The live token with this secret hash, with its workspace's plan (one query per request). */
    findActiveByHash(secretHash: string) {
      return db
        .selectFrom('api_tokens as t')
        .innerJoin('workspaces as w', 'w.id', 't.workspace_id')
        .select(['t.id', 't.workspace_id', 't.role', 't.description', 'w.plan'])
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
