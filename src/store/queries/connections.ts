import type { Insertable, Kysely, Selectable, Updateable } from 'kysely'
import type { Database, DirApiKeyTable, DirConnectionTable } from '../tables.js'
import { type Rows, type Seek, seekPage } from './page.js'
import { containsPattern, likeCi } from './text-match.js'

export type ConnectionRow = Selectable<DirConnectionTable>

/** Directory connections (one per remote workspace) and directory API keys. */
export function connectionQueries(db: Kysely<Database>) {
  return {
    async insert(row: Insertable<DirConnectionTable>): Promise<void> {
      await db.insertInto('dir_connections').values(row).execute()
    },
    find(id: string): Promise<ConnectionRow | undefined> {
      return db.selectFrom('dir_connections').selectAll().where('id', '=', id).executeTakeFirst()
    },
    findByRemote(baseUrl: string, remoteWorkspaceId: string): Promise<ConnectionRow | undefined> {
      return db
        .selectFrom('dir_connections')
        .selectAll()
        .where('base_url', '=', baseUrl)
        .where('remote_workspace_id', '=', remoteWorkspaceId)
        .executeTakeFirst()
    },
    /** Connections in id order, optionally one, or those whose workspace slug or name contains `search`. */
    list(seek: Seek, f: { connectionId?: string; search?: string } = {}): Promise<Rows<ConnectionRow>> {
      let q = db.selectFrom('dir_connections').selectAll()
      if (f.connectionId !== undefined) q = q.where('id', '=', f.connectionId)
      if (f.search !== undefined) {
        const pattern = containsPattern(f.search)
        q = q.where((eb) => eb.or([likeCi(eb.ref('remote_workspace_slug'), pattern), likeCi(eb.ref('remote_workspace_name'), pattern)]))
      }
      return seekPage(q, 'id', seek)
    },
    all(): Promise<ConnectionRow[]> {
      return db.selectFrom('dir_connections').selectAll().orderBy('id').execute()
    },
    /**
     * Connections whose scheduled sync is due: `active` ones, and `error` ones too, so a passing remote
     * failure heals on the next interval instead of stopping the connection for good. `needs_reauth`
     * waits for a new token.
     */
    due(now: string): Promise<ConnectionRow[]> {
      return db
        .selectFrom('dir_connections')
        .selectAll()
        .where('status', 'in', ['active', 'error'])
        .where((eb) => eb.or([eb('next_sync_at', 'is', null), eb('next_sync_at', '<=', now)]))
        .orderBy('next_sync_at')
        .orderBy('id')
        .execute()
    },
    async update(id: string, changes: Updateable<DirConnectionTable>): Promise<void> {
      await db.updateTable('dir_connections').set(changes).where('id', '=', id).execute()
    },
    async delete(id: string): Promise<boolean> {
      const res = await db.deleteFrom('dir_connections').where('id', '=', id).executeTakeFirst()
      return Number(res.numDeletedRows) > 0
    },
  }
}

export function apiKeyQueries(db: Kysely<Database>) {
  return {
    async insert(row: DirApiKeyTable): Promise<void> {
      await db.insertInto('dir_api_keys').values(row).execute()
    },
    findActiveByHash(secretHash: string) {
      return db
        .selectFrom('dir_api_keys')
        .select(['id', 'description'])
        .where('secret_hash', '=', secretHash)
        .where('revoked_at', 'is', null)
        .executeTakeFirst()
    },
    async revoke(id: string, at: string): Promise<boolean> {
      const res = await db
        .updateTable('dir_api_keys')
        .set({ revoked_at: at })
        .where('id', '=', id)
        .where('revoked_at', 'is', null)
        .executeTakeFirst()
      return Number(res.numUpdatedRows) > 0
    },
    list() {
      return db.selectFrom('dir_api_keys').select(['id', 'description', 'created_at', 'revoked_at']).orderBy('id').execute()
    },
  }
}
