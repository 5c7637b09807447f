import type { Kysely, Migration } from 'kysely'

/**
 * Who holds an in-flight idempotency claim, and when it last said so: a retry takes over a claim whose
 * process is known to be dead, or has not beaten for `staleRunMs`, as the sync runs do. Nullable: claims
 * recorded before this migration (or by a replica not yet upgraded) have neither.
 */
export const idempotencyLivenessMigration: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema.alterTable('dir_idempotency').addColumn('owner', 'text').execute()
    await db.schema.alterTable('dir_idempotency').addColumn('heartbeat_at', 'text').execute()
  },
}
