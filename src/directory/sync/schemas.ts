import { type Static, Type } from '@sinclair/typebox'
import type { SyncRunRow } from '../../store/queries/dir-runs.js'
import { emptyStats } from '../connectors/segment.js'
import { DirectoryEventTypeSchema } from '../schemas/unified.js'
import { parseJson } from './present.js'

/** Counts per kind of record. `users` are accounts: members and invites. */
export const CountsSchema = Type.Object({
  users: Type.Integer(),
  groups: Type.Integer(),
  memberships: Type.Integer(),
  roles: Type.Integer(),
})
export type Counts = Static<typeof CountsSchema>

export const zeroCounts = (): Counts => ({ users: 0, groups: 0, memberships: 0, roles: 0 })

/** What a run records (`dir_sync_runs.stats`) and answers: its remote traffic and what it saw and changed. */
export const SyncStatsSchema = Type.Object({
  seen: CountsSchema,
  created: CountsSchema,
  updated: CountsSchema,
  removed: CountsSchema,
  /** Accounts the drift guard held back (see `pending_deletions`). */
  held: Type.Integer(),
  requests: Type.Integer(),
  pages: Type.Integer(),
  rateLimited: Type.Integer(),
  retries: Type.Integer(),
  waitedMs: Type.Integer(),
  durationMs: Type.Integer(),
  /** When the held deletions were approved. */
  approvedAt: Type.Optional(Type.String()),
  mode: Type.Union([Type.Literal('full'), Type.Literal('unchanged')], {
    description: '`full`: every list was read. `unchanged`: the audit trail and the list totals showed no change, so nothing else was read',
  }),
})
export type SyncStats = Static<typeof SyncStatsSchema>

export const emptySyncStats = (): SyncStats => ({
  ...emptyStats(),
  seen: zeroCounts(),
  created: zeroCounts(),
  updated: zeroCounts(),
  removed: zeroCounts(),
  held: 0,
  durationMs: 0,
  mode: 'full',
})

export const SyncRunSchema = Type.Object({
  id: Type.String(),
  connection_id: Type.String(),
  state: Type.Union([Type.Literal('running'), Type.Literal('succeeded'), Type.Literal('failed'), Type.Literal('held')]),
  trigger: Type.String(),
  /** Every list was read to its end: only such a run may remove records. */
  complete: Type.Boolean(),
  stats: SyncStatsSchema,
  /** Directory user ids the drift guard held back, awaiting approval (null when none). */
  pending_deletions: Type.Union([Type.Array(Type.String()), Type.Null()]),
  error: Type.Union([Type.String(), Type.Null()]),
  owner: Type.Union([Type.String(), Type.Null()]),
  heartbeat_at: Type.Union([Type.String(), Type.Null()]),
  started_at: Type.String(),
  finished_at: Type.Union([Type.String(), Type.Null()]),
})

export type SyncRun = Static<typeof SyncRunSchema>

export const DirectoryEventSchema = Type.Object({
  seq: Type.Integer(),
  id: Type.String(),
  type: DirectoryEventTypeSchema,
  connection_id: Type.String(),
  subject_id: Type.String(),
  sync_run_id: Type.Union([Type.String(), Type.Null()]),
  /** The unified object after the change (with `previous` for updates), or the membership. */
  data: Type.Unknown(),
  created_at: Type.String(),
})

/** A run as the API answers it: the stored row with its JSON columns parsed (stats filled in for older rows). */
export function presentRun(row: SyncRunRow): SyncRun {
  const stats: SyncStats = { ...emptySyncStats(), ...parseJson<Partial<SyncStats>>(row.stats, {}) }
  return {
    id: row.id,
    connection_id: row.connection_id,
    state: row.state,
    trigger: row.trigger,
    complete: row.complete === 1,
    stats,
    pending_deletions: parseJson<string[] | null>(row.pending_deletions, null),
    error: row.error,
    owner: row.owner,
    heartbeat_at: row.heartbeat_at,
    started_at: row.started_at,
    finished_at: row.finished_at,
  }
}
