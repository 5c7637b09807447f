import { Type } from '@sinclair/typebox'
import type { SyncRunRow } from '../../store/queries/dir-sync.js'
import { parseJson } from './present.js'
import { emptySyncStats, type SyncStats } from './run.js'

const Counts = Type.Object({ users: Type.Integer(), groups: Type.Integer(), memberships: Type.Integer(), roles: Type.Integer() })

export const SyncStatsSchema = Type.Object({
  seen: Counts,
  created: Counts,
  updated: Counts,
  removed: Counts,
  held: Type.Integer(),
  requests: Type.Integer(),
  pages: Type.Integer(),
  rateLimited: Type.Integer(),
  retries: Type.Integer(),
  waitedMs: Type.Integer(),
  durationMs: Type.Integer(),
  approvedAt: Type.Optional(Type.String()),
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

export const DirectoryEventSchema = Type.Object({
  seq: Type.Integer(),
  id: Type.String(),
  type: Type.String(),
  connection_id: Type.String(),
  subject_id: Type.String(),
  sync_run_id: Type.Union([Type.String(), Type.Null()]),
  /** The unified object after the change (with `previous` for updates), or the membership. */
  data: Type.Unknown(),
  created_at: Type.String(),
})

export function presentRun(row: SyncRunRow) {
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
