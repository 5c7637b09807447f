import type { Updateable } from 'kysely'

/** What every planner of one run is told: whose rows, when, and what it may remove or must leave alone. */
export interface PlanContext {
  connectionId: string
  now: string
  /** The connection's last complete run before this one (the last to have seen an unchanged row). */
  lastCompleteSyncAt: string | null
  /** Every list read to its end and every call answered: only then may records be removed. */
  complete: boolean
  /** Subjects something else (an action) changed while this run was reading: left alone until the next run. */
  touched: ReadonlySet<string>
  /** Row ids (the caller's, so planners stay pure). */
  newId: () => string
}

/** One entity's counts for the run's stats. */
export interface Tally {
  seen: number
  created: number
  updated: number
  removed: number
}

export const emptyTally = (): Tally => ({ seen: 0, created: 0, updated: 0, removed: 0 })

export interface RowUpdate<Table> {
  id: string
  changes: Updateable<Table>
}

/**
 * `last_seen_at` of a row a complete run found missing: unchanged rows are not rewritten on each run, so
 * the last complete run before this one saw it last.
 */
export const lastSeenBefore = (lastSeenAt: string, lastCompleteSyncAt: string | null): string =>
  lastCompleteSyncAt !== null && lastCompleteSyncAt > lastSeenAt ? lastCompleteSyncAt : lastSeenAt
