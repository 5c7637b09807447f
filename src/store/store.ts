import type { Kysely } from 'kysely'
import type pg from 'pg'
import { type Clock, systemClock } from '../clock.js'
import { ApiError, UnavailableError } from '../errors.js'
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

/** How long `close()` lets operations under way finish before it closes the connections under them. */
const CLOSE_GRACE_MS = 10_000

export function createStore(
  handle: DialectHandle,
  secret: string,
  { closeGraceMs = CLOSE_GRACE_MS, clock = systemClock }: { closeGraceMs?: number; clock?: Clock } = {},
): Store {
  const readQueries = createQueries(handle.db, clock)
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
      // Cut off by the close itself (its grace ran out): the store is gone, not broken.
      if (state === 'closed' && !(error instanceof ApiError)) throw stopping()
      throw error
    })
    underWay.add(result)
    const settled = () => underWay.delete(result)
    result.then(settled, settled)
    return result
  }
  return {
    secret,
    clock,
    dialect: handle.name,
    pgPool: handle.pgPool,
    read: (work) => track(() => work(readQueries)),
    write: (work, scope) =>
      track(() =>
        handle.transaction(
          (trx) => {
            // A write still queued, or about to be tried again after a conflict, when the store began to close.
            if (state !== 'open') throw stopping()
            return work(createQueries(trx, clock))
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
