import type { Kysely } from 'kysely'
import type pg from 'pg'
import { createQueries, type Queries } from './queries/index.js'
import type { Database } from './tables.js'

/** What routes, rules and the CLI see of storage: queries inside a read or a transaction, never Kysely. */
export interface Store {
  read<T>(work: (q: Queries) => Promise<T>): Promise<T>
  /**
   * Runs `work` in one transaction: every row changes, or none does. `work` may run more than once (a
   * PostgreSQL transaction that loses a serialization conflict is retried), so it must only touch the store.
   * Name the workspace a write changes: writes to one workspace then queue (across replicas too) instead of
   * conflicting over its counters and being retried.
   */
  write<T>(work: (q: Queries) => Promise<T>, scope?: WriteScope): Promise<T>
  /** Resolves when the database answers (readiness). */
  ping(): Promise<void>
  /** A per-database secret (made by the first migration run), shared by every replica: signs cursors. */
  readonly secret: string
  readonly dialect: 'sqlite' | 'postgres'
  /** The raw PostgreSQL pool, for the one library that needs it (shared rate-limit windows). */
  readonly pgPool: pg.Pool | undefined
  /**
   * Refuses new reads and writes at once (503), lets those under way finish (a write is not tried again),
   * up to a grace period, then closes the connections. Whatever reaches the store after that gets a 503 too.
   */
  close(): Promise<void>
}

export interface WriteScope {
  workspace: string
}

/** The engine-specific half a dialect supplies; `createStore` builds the rest the same way for all. */
export interface DialectHandle {
  readonly name: 'sqlite' | 'postgres'
  readonly db: Kysely<Database>
  readonly pgPool?: pg.Pool
  /** Runs `work` inside one write transaction on one connection; writes with the same `queue` key run one at a time. */
  transaction<T>(work: (trx: Kysely<Database>) => Promise<T>, queue?: string): Promise<T>
  /** Resolves when the database answers. */
  ping(): Promise<void>
  destroy(): Promise<void>
}

export function createStore(handle: DialectHandle, secret: string): Store {
  const readQueries = createQueries(handle.db)
  return {
    secret,
    dialect: handle.name,
    pgPool: handle.pgPool,
    read: (work) => work(readQueries),
    write: (work, scope) =>
      handle.transaction((trx) => work(createQueries(trx)), scope === undefined ? undefined : `workspace:${scope.workspace}`),
    ping: () => handle.ping(),
    close: () => handle.destroy(),
  }
}
