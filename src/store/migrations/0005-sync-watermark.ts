import type { Kysely, Migration } from 'kysely'

/**
 * What lets a sync skip a full read: the remote's newest audit event when the last full read began, and
 * when that was (a full reconciliation still runs at least once per `fullSyncEveryMs`).
 */
export const syncWatermarkMigration: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema.alterTable('dir_connections').addColumn('audit_watermark', 'text').execute()
    await db.schema.alterTable('dir_connections').addColumn('last_full_sync_at', 'text').execute()
  },
}
