import { Kysely, PostgresDialect, sql } from 'kysely'
import pg from 'pg'
import type { DialectHandle } from '../store.js'
import type { Database } from '../tables.js'

export interface PostgresOptions {
  url: string
  /** Connections per replica. */
  poolSize?: number
  /** Every statement is cut off after this long, so one slow query cannot hold a connection for ever. */
  statementTimeoutMs?: number
  /** Schema to work in (tests use a random one per run). */
  schema?: string
}

const RETRYABLE = new Set(['40001', '40P01']) // serialization failure, deadlock
// Enough for 50 writers on one row: each round at least one of them commits.
const MAX_ATTEMPTS = 60

export function openPostgres({ url, poolSize = 10, statementTimeoutMs = 10_000, schema }: PostgresOptions): DialectHandle {
  const pool = new pg.Pool({
    connectionString: url,
    max: poolSize,
    connectionTimeoutMillis: 5_000,
    idleTimeoutMillis: 30_000,
    statement_timeout: statementTimeoutMs,
    ...(schema ? { options: `-c search_path=${schema}` } : {}),
  })
  // An idle connection that dies (a PostgreSQL restart) must not crash the process; the pool replaces it.
  pool.on('error', () => {})
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) })
  return {
    name: 'postgres',
    db,
    pgPool: pool,
    // SERIALIZABLE gives every write transaction the all-or-nothing, no-lost-update behaviour SQLite's single
    // writer gives for free; a transaction that loses a conflict is run again from the start.
    async transaction(work) {
      for (let attempt = 1; ; attempt++) {
        try {
          return await db
            .transaction()
            .setIsolationLevel('serializable')
            .execute((trx) => work(trx))
        } catch (error) {
          const code = (error as { code?: string }).code
          if (code === undefined || !RETRYABLE.has(code) || attempt >= MAX_ATTEMPTS) throw error
          // Full jitter, growing to 200 ms: contenders spread out instead of colliding again in step.
          await new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(200, 5 * 2 ** attempt)))
        }
      }
    },
    ping: async () => {
      await sql`select 1`.execute(db)
    },
    destroy: () => db.destroy(),
  }
}
