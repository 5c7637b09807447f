import { createHash } from 'node:crypto'
import { Kysely, PostgresDialect, type PostgresPool, type PostgresPoolClient, sql } from 'kysely'
import pg from 'pg'
import type { DialectHandle, StoreFailure } from '../store.js'
import type { Database } from '../tables.js'
import { postgresMigrator } from './postgres-migrator.js'
import { postgresSnapshots } from './postgres-snapshots.js'

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
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool: preparing(pool, watchClients(pool)) }) })
  const queue = new KeyedQueue()
  return {
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
    // Concurrent transactions would commit identity values out of order; appenders queue on this lock until
    // they commit instead (readers are not blocked).
    orderAppends: async (trx, table) => {
      await sql`lock table ${sql.table(table)} in share row exclusive mode`.execute(trx)
    },
    snapshots: postgresSnapshots,
    migrator: () => postgresMigrator(pool, db),
    classifyError: classifyPostgresError,
    destroy: () => db.destroy(),
  }
}

// PostgreSQL down or restarting: connection refused/reset, admin shutdown, "cannot connect now", too many
// connections, a pool that timed out waiting, a statement cut off by statement_timeout.
const UNREACHABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  '57P01',
  '57P02',
  '57P03',
  '53300',
  '08000',
  '08003',
  '08006',
  '57014',
])
// What node-postgres and pg-pool say, without a code, when the connection or the wait for one failed.
const UNREACHABLE_MESSAGES =
  /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|connect ECONNREFUSED/
const UNIQUE_VIOLATION = '23505'

/** SQLSTATEs (and Node's socket codes) as node-postgres reports them in the error's `code`. */
export function classifyPostgresError(error: unknown): StoreFailure | undefined {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown }
  if (typeof code === 'string' && UNREACHABLE_CODES.has(code)) return 'unavailable'
  if (typeof message === 'string' && UNREACHABLE_MESSAGES.test(message)) return 'unavailable'
  if (code === UNIQUE_VIOLATION) return 'conflict'
  return undefined
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

/**
 * PostgreSQL can end a session while the pool has it checked out: pg_terminate_backend, a restart or a
 * failover, while a transaction waits between statements, or while Kysely sends ROLLBACK after a statement
 * failed. node-postgres then emits 'error' on that client, and pg-pool listens for it only while the client
 * sits idle in the pool; unheard, the 'error' was thrown from the socket's callback and ended the process.
 * So every client gets a listener for its whole life, here, which remembers what broke it. Its statements
 * reject meanwhile (node-postgres refuses them: a 503 `unavailable`), and it is released with that error, so
 * the pool destroys it instead of handing it out again. On the pool itself, so that clients checked out by
 * something other than Kysely's dialect (the migrator's, the rate limiter's) are covered too. A statement
 * that fails with a FATAL error (57P01 when terminated mid-statement) marks its client as well: the session
 * is over, but node-postgres only notices when the socket closes, and released before that the client went
 * back to the pool and failed the next request too.
 */
interface ClientHealth {
  /** Why this client can no longer be used, if it cannot. */
  brokenBy(client: pg.ClientBase): Error | undefined
  /** Called with each statement's error. */
  failed(client: pg.ClientBase, error: unknown): void
}

function watchClients(pool: pg.Pool): ClientHealth {
  const broken = new WeakMap<pg.ClientBase, Error>()
  const mark = (client: pg.ClientBase, error: Error) => {
    if (!broken.has(client)) broken.set(client, error)
  }
  // 'connect' comes once per client, before it is first handed out; until then pg-pool's own listener is on it.
  pool.on('connect', (client) => {
    client.on('error', (error) => mark(client, error))
  })
  return {
    brokenBy: (client) => broken.get(client),
    failed(client, error) {
      const severity = (error as { severity?: string } | undefined)?.severity
      if (severity === 'FATAL' || severity === 'PANIC') mark(client, error as Error)
    },
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
function preparing(pool: pg.Pool, health: ClientHealth): PostgresPool {
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
        return client.query({ text, values: values as unknown[], ...(name ? { name } : {}) }).catch((error: unknown) => {
          health.failed(client, error)
          throw error
        })
      }) as PostgresPoolClient['query'],
      // A broken connection goes back with its error: the pool ends it rather than hand it out again.
      release: () => client.release(health.brokenBy(client)),
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
