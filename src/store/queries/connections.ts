import type { Insertable, Kysely, Selectable, Updateable } from 'kysely'
import type { Database, DirApiKeyTable, DirConnectionTable } from '../tables.js'
import { type Rows, type Seek, seekPage } from './page.js'

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
    list(seek: Seek): Promise<Rows<ConnectionRow>> {
      return seekPage(db.selectFrom('dir_connections').selectAll(), 'id', seek)
    },
    all(): Promise<ConnectionRow[]> {
      return db.selectFrom('dir_connections').selectAll().orderBy('id').execute()
    },
    /** Connections whose scheduled sync is due. */
    due(now: string): Promise<ConnectionRow[]> {
      return db
        .selectFrom('dir_connections')
        .selectAll()
        .where('status', '=', 'active')
        .where((eb) => eb.or([eb('next_sync_at', 'is', null), eb('next_sync_at', '<=', now)]))
        .orderBy('next_sync_at')
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
