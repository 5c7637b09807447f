import { type Kysely, type Migration, sql } from 'kysely'

/**
 * At most one `running` run per connection, held by the database itself: two replicas starting the same
 * connection at once cannot both insert one (the loser gets a unique violation, which is a 409), and the
 * scheduler's look-up of running runs reads this small index instead of every run ever recorded.
 */
export const oneRunningSyncMigration: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createIndex('dir_sync_runs_running')
      .on('dir_sync_runs')
      .column('connection_id')
      .unique()
      .where(sql.ref('state'), '=', 'running')
      .execute()
  },
}
