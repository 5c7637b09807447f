import { type Kysely, type Migration, sql } from 'kysely'
import type { Dialect } from './index.js'

/**
 * Rate-limit windows need no durability: a window lost in a crash only forgets up to a minute of counts.
 * On PostgreSQL every request updates its workspace's window row, and a logged table made each of those a
 * WAL write flushed to disk at commit while the row stayed locked, so concurrent requests of one workspace
 * queued behind the disk. UNLOGGED skips the WAL (the table is emptied after a crash and is not replicated
 * to standbys: a promoted standby starts with fresh windows). SQLite never uses this table.
 */
export function unloggedRateLimitsMigration(dialect: Dialect): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      if (dialect === 'postgres') await sql`alter table rate_limits set unlogged`.execute(db)
    },
  }
}
