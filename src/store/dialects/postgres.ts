import { createHash } from 'node:crypto'
import { Kysely, PostgresDialect, type PostgresPool, type PostgresPoolClient, sql } from 'kysely'
import pg from 'pg'
import type { DialectHandle } from '../store.js'
import type { Database } from '../tables.js'

export interface PostgresOptions {
  url: string
  /** Connections per replica. */
  poolSize?: number
  /** Every statement is cut off after this long, so one slow query cannot hold a connection for ever (0: never). */
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
    // How operators tell Gatehouse's sessions apart in pg_stat_activity; an application_name in the URL wins.
    application_name: 'gatehouse',
    ...(schema ? { options: `-c search_path=${schema}` } : {}),
  })
  // An idle connection that dies (a PostgreSQL restart) must not crash the process; the pool replaces it.
  pool.on('error', () => {})
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool: preparing(pool) }) })
  const queue = new KeyedQueue()
  return {
    name: 'postgres',
    db,
    pgPool: pool,
    transaction(work, key) {
      if (key === undefined) return serializable(db, work)
      // Writes to one workspace all update its counters, so under SERIALIZABLE concurrent ones conflict and
      // are retried, again and again under load. A session-level advisory lock taken before BEGIN makes them
      // queue instead, across replicas (a lock inside the transaction would come after its snapshot, too
      // late); the in-process queue keeps this replica's waiters from holding a pooled connection each.
      return queue.run(key, () =>
        db.connection().execute(async (conn) => {
          const lock = sql`hashtextextended(${key}, 0)`
          await sql`select pg_advisory_lock(${lock})`.execute(conn)
          try {
            return await serializable(conn, work)
          } finally {
            // Should this fail, the connection is broken, and its session (and lock) ends with it.
            await sql`select pg_advisory_unlock(${lock})`.execute(conn)
          }
        }),
      )
    },
    ping: async () => {
      await sql`select 1`.execute(db)
    },
    destroy: () => db.destroy(),
  }
}

/**
 * SERIALIZABLE gives every write transaction the all-or-nothing, no-lost-update behaviour SQLite's single
 * writer gives for free; a transaction that loses a conflict is run again from the start.
 */
async function serializable<T>(db: Kysely<Database>, work: (trx: Kysely<Database>) => Promise<T>): Promise<T> {
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
}

/** Runs tasks with the same key one after another, in arrival order; other keys do not wait. */
class KeyedQueue {
  private readonly tails = new Map<string, Promise<unknown>>()

  run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const result = (this.tails.get(key) ?? Promise.resolve()).then(task)
    const tail = result.catch(() => {})
    this.tails.set(key, tail)
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key)
    })
    return result
  }
}

/** A statement is prepared once it has been sent this often (one-off statements stay unnamed)… */
const PREPARE_AFTER = 3
/** …and each connection keeps at most this many prepared (PostgreSQL holds them in the backend's memory). */
const PREPARED_PER_CONNECTION = 256
/**
 * Bulk statements (1,000-row inserts, 1,000-id look-ups) stay unnamed: prepared, they made seeding 100,000
 * users 3× slower (PostgreSQL plans them generically), and their texts vary with the batch size anyway.
 * A page of 100 users' permissions still fits.
 */
const MAX_PREPARED_PARAMETERS = 128
const SEEN_LIMIT = 4096

/**
 * Kysely sends every statement unnamed, so PostgreSQL parses and plans each one anew: on a page request that
 * was most of the backends' CPU. This pool hands Kysely clients that send frequent statements as named
 * prepared statements, which node-postgres parses once per connection (and PostgreSQL plans once, generically,
 * when that is as good). Statements are named by a hash of their text, so every replica agrees.
 */
function preparing(pool: pg.Pool): PostgresPool {
  const seen = new Map<string, number>()
  const clients = new WeakMap<pg.PoolClient, PostgresPoolClient>()
  const wrap = (client: pg.PoolClient): PostgresPoolClient => {
    const prepared = new Set<string>()
    return {
      // biome-ignore lint/suspicious/noExplicitAny: node-postgres's overloads, passed through as Kysely calls them
      query: ((text: any, values?: readonly unknown[]) => {
        if (typeof text !== 'string') return client.query(text)
        let name: string | undefined
        if ((values?.length ?? 0) <= MAX_PREPARED_PARAMETERS && (prepared.size < PREPARED_PER_CONNECTION || prepared.has(text))) {
          const count = (seen.get(text) ?? 0) + 1
          if (seen.size >= SEEN_LIMIT && count === 1) seen.clear()
          seen.set(text, count)
          if (count >= PREPARE_AFTER) {
            prepared.add(text)
            name = createHash('sha1').update(text).digest('base64url')
          }
        }
        return client.query({ text, values: values as unknown[], ...(name ? { name } : {}) })
      }) as PostgresPoolClient['query'],
      release: () => client.release(),
    }
  }
  return {
    async connect() {
      const client = await pool.connect()
      let wrapped = clients.get(client)
      if (!wrapped) {
        wrapped = wrap(client)
        clients.set(client, wrapped)
      }
      return wrapped
    },
    end: () => pool.end(),
  }
}
