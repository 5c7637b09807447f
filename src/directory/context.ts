import type { CredentialCipher } from '../auth/credentials.js'
import type { Outbound } from '../outbound/fetch.js'
import type { ConnectionRow } from '../store/queries/connections.js'
import type { Store } from '../store/store.js'
import type { BudgetRegistry } from './budget/remote-budget.js'
import type { SyncScheduler } from './sync/scheduler.js'

export interface DirectoryConfig {
  /** How often each connection is synced (ms). */
  syncIntervalMs: number
  /** A complete run that would delete more than this share of a connection's users holds them for approval. */
  driftThreshold: number
  /** Sync runs in parallel (each connection runs one at a time). */
  syncConcurrency: number
  /** Per attempt, for remote calls. */
  remoteTimeoutMs: number
  /**
   * A run may skip the full read when the remote's audit trail shows no change since the last full read
   * and the remote's totals agree with the directory; a full read still happens at least this often.
   */
  fullSyncEveryMs: number
  /**
   * A running run whose heartbeat is older than this was abandoned (its process died, on any host): the
   * next scheduler pass fails it and starts the connection again. The same holds for an action's in-flight
   * idempotency claim: a retry takes it over. Heartbeats come every eighth of it (see liveness.ts).
   */
  staleRunMs: number
}

export const DEFAULT_DIRECTORY_CONFIG: DirectoryConfig = {
  syncIntervalMs: 60 * 60 * 1000,
  driftThreshold: 0.2,
  syncConcurrency: 3,
  remoteTimeoutMs: 30_000,
  fullSyncEveryMs: 24 * 60 * 60 * 1000,
  staleRunMs: 2 * 60 * 1000,
}

/** What every part of the directory is given. The directory reaches workspaces only through connectors. */
export interface DirectoryContext {
  store: Store
  cipher: CredentialCipher
  budgets: BudgetRegistry
  /** The only way out to a remote: allowed hosts, no redirects, capped answers. */
  outbound: Outbound
  config: DirectoryConfig
  /** This process's sync runs, periodic and on request: built with the context (idle until `startServer` starts it). */
  scheduler: SyncScheduler
}

/** What a context is built from: its scheduler comes with it (see `SyncScheduler`). */
export type DirectoryParts = Omit<DirectoryContext, 'scheduler'>

/** The budget key of a stored connection: one budget per remote workspace, shared by sync, actions and proxy. */
export const budgetKey = (connection: Pick<ConnectionRow, 'base_url' | 'remote_workspace_id'>) =>
  `${connection.base_url}#${connection.remote_workspace_id}`
