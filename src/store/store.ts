import type { Kysely, Migrator } from 'kysely'
import type pg from 'pg'
import { type Clock, systemClock } from '../clock.js'
import { ApiError, ConflictError, UnavailableError } from '../errors.js'
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
  /** The server's clock (real time unless a test made it controllable); queries carry it as `q.clock`. */
  readonly clock: Clock
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

/**
 * What an engine's error means to callers: the store cannot be reached right now, or a uniqueness race the
 * operation's own checks could not see (two replicas creating one slug at once).
 */
export type StoreFailure = 'unavailable' | 'conflict'

/** What queries need of the engine beyond Kysely: how it does what SQL alone does not say the same way everywhere. */
export interface EngineTraits {
  /**
   * Called in a write transaction before it appends to `table`: from then on, appenders to it commit in the
   * order of its identity key, so a reader that polls "after key N" never skips a row committed later below N.
   */
  orderAppends(trx: Kysely<Database>, table: keyof Database): Promise<void>
  /** The emulator's seed snapshots (src/fixtures/seed.ts), copied and put back the engine's own way. */
  readonly snapshots: Snapshots
}

/** A table and one table it references (null when it references none); a table referencing several appears once per parent. */
export interface TableEdge {
  name: string
  parent: string | null
}

/** What the seed wrote, table by table, parents first: the rows themselves, or only the table's name when the engine keeps them. */
export type SeedCopy = { table: string; rows?: Record<string, unknown>[] }[]

export interface Snapshots {
  /** Every table of the store's schema, with what it references, from the engine's catalog. */
  tables(db: Kysely<Database>): Promise<TableEdge[]>
  /** Empties the tables (given parents first), in the caller's transaction. */
  empty(db: Kysely<Database>, parentsFirst: readonly string[]): Promise<void>
  /** Copies the rows of the non-empty tables (given parents first). */
  copy(db: Kysely<Database>, parentsFirst: readonly string[]): Promise<SeedCopy>
  /** Puts back what `copy` copied into emptied tables, in the caller's transaction. */
  restore(db: Kysely<Database>, copy: SeedCopy): Promise<void>
}

/** The engine-specific half a dialect supplies; `createStore` builds the rest the same way for all. */
export interface DialectHandle extends EngineTraits {
  readonly db: Kysely<Database>
  readonly pgPool?: pg.Pool
  /** Runs `work` inside one write transaction on one connection; writes with the same `queue` key run one at a time. */
  transaction<T>(work: (trx: Kysely<Database>) => Promise<T>, queue?: string): Promise<T>
  /** Resolves when the database answers. */
  ping(): Promise<void>
  /** Kysely's migrator over this database (PostgreSQL: over the schema of the search path alone). */
  migrator(): Promise<Migrator>
  /** Names this engine's errors that callers should meet as catalog errors; undefined for any other error. */
  classifyError(error: unknown): StoreFailure | undefined
  destroy(): Promise<void>
}

/** How long `close()` lets operations under way finish before it closes the connections under them. */
const CLOSE_GRACE_MS = 10_000

export function createStore(
  handle: DialectHandle,
  secret: string,
  { closeGraceMs = CLOSE_GRACE_MS, clock = systemClock }: { closeGraceMs?: number; clock?: Clock } = {},
): Store {
  const readQueries = createQueries(handle.db, handle, clock)
  // A stopping server closes the store only once its HTTP server has drained and its scheduler has stopped,
  // but work can outlive both: the handler of a request whose client hung up, a timer. Such work must meet
  // a 503, not the driver's "already been destroyed" (an internal error, logged as one).
  let state: 'open' | 'closing' | 'closed' = 'open'
  let closed: Promise<void> | undefined
  const underWay = new Set<Promise<unknown>>()
  const stopping = () => new UnavailableError('The server is stopping; try again shortly')
  const track = <T>(operation: () => Promise<T>): Promise<T> => {
    if (state !== 'open') return Promise.reject(stopping())
    const result = new Promise<T>((resolve) => resolve(operation())).catch((error: unknown) => {
      if (error instanceof ApiError) throw error
      // Cut off by the close itself (its grace ran out): the store is gone, not broken.
      if (state === 'closed') throw stopping()
      throw catalogError(handle.classifyError(error), error) ?? error
    })
    underWay.add(result)
    const settled = () => underWay.delete(result)
    result.then(settled, settled)
    return result
  }
  return {
    secret,
    clock,
    pgPool: handle.pgPool,
    read: (work) => track(() => work(readQueries)),
    write: (work, scope) =>
      track(() =>
        handle.transaction(
          (trx) => {
            // A write still queued, or about to be tried again after a conflict, when the store began to close.
            if (state !== 'open') throw stopping()
            return work(createQueries(trx, handle, clock))
          },
          scope === undefined ? undefined : `workspace:${scope.workspace}`,
        ),
      ),
    ping: () => track(() => handle.ping()),
    close: () => {
      closed ??= (async () => {
        state = 'closing'
        let timer: NodeJS.Timeout | undefined
        await Promise.race([
          Promise.allSettled([...underWay]),
          new Promise((resolve) => {
            timer = setTimeout(resolve, closeGraceMs)
          }),
        ])
        clearTimeout(timer)
        state = 'closed'
        await handle.destroy()
      })()
      return closed
    },
  }
}

/** The catalog error a classified engine error becomes; the engine's own error stays on as its `cause`, for the logs. */
function catalogError(failure: StoreFailure | undefined, cause: unknown): ApiError | undefined {
  let error: ApiError
  if (failure === 'unavailable') error = new UnavailableError()
  else if (failure === 'conflict')
    error = new ConflictError('A conflicting change was made at the same time; read the current state and retry')
  else return undefined
  error.cause = cause
  return error
}
