import type { Kysely, Migration } from 'kysely'

/** Shared rate-limit windows (rate-limiter-flexible's PostgreSQL layout); unused on SQLite, harmless there. */
export const rateLimitMigration: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable('rate_limits')
      .addColumn('key', 'varchar(255)', (c) => c.primaryKey())
      .addColumn('points', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('expire', 'bigint')
      .execute()
  },
}
