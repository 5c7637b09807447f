import Database from 'better-sqlite3'
import { Kysely, SqliteDialect, sql } from 'kysely'
import type { DialectHandle } from '../store.js'
import type { Database as Tables } from '../tables.js'

export interface SqliteOptions {
  file: string
  /** How long a writer waits for another process's lock before failing (ms). */
  busyTimeoutMs?: number
}

export function openSqlite({ file, busyTimeoutMs = 5000 }: SqliteOptions): DialectHandle {
  const sqlite = new Database(file)
  // WAL lets readers run beside a writer (a CLI writing while the server serves); NORMAL is durable in WAL
  // mode except for the last commits on power loss, never corrupt.
  sqlite.pragma('journal_mode = WAL')
  sqlite.pragma('synchronous = NORMAL')
  sqlite.pragma(`busy_timeout = ${busyTimeoutMs}`)
  sqlite.pragma('foreign_keys = ON')
  const db = new Kysely<Tables>({ dialect: new SqliteDialect({ database: sqlite }) })
  return {
    name: 'sqlite',
    db,
    // BEGIN IMMEDIATE takes the write lock up front: a deferred transaction that upgrades later can
    // fail with SQLITE_BUSY at once when another process writes, whatever the busy timeout.
    transaction: (work) =>
      db.connection().execute(async (conn) => {
        await sql`begin immediate`.execute(conn)
        try {
          const result = await work(conn)
          await sql`commit`.execute(conn)
          return result
        } catch (error) {
          await sql`rollback`.execute(conn)
          throw error
        }
      }),
    ping: async () => {
      sqlite.prepare('select 1').get()
    },
    destroy: () => db.destroy(),
  }
}
