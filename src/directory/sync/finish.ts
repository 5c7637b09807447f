import type { Updateable } from 'kysely'
import { isoNow } from '../../clock.js'
import { newId } from '../../ids.js'
import type { ConnectionRow } from '../../store/queries/connections.js'
import type { SyncRunRow } from '../../store/queries/dir-runs.js'
import type { Queries } from '../../store/queries/index.js'
import type { DirConnectionTable } from '../../store/tables.js'
import type { RemoteStats } from '../connectors/segment.js'
import { type Existing, planSync, type SyncPlan } from './plan/index.js'
import type { RemoteSnapshot } from './remote.js'
import type { StartedRun } from './run.js'
import { emptySyncStats, type SyncStats } from './schemas.js'

/** The run is no longer this process's to finish: taken over as abandoned, or its connection deleted. */
export class RunLostError extends Error {}

/** What a full read brought back. */
export interface RunRead {
  snapshot: RemoteSnapshot
  /** The audit watermark read before the lists (see change-check.ts). */
  watermark: string | null
  stats: RemoteStats
}

/** The run's record and connection, if the run is still this owner's to finish (else RunLostError). */
async function claim(q: Queries, { run, owner }: StartedRun): Promise<{ current: SyncRunRow; connection: ConnectionRow }> {
  const current = await q.dirRuns.find(run.id)
  const connection = await q.connections.find(run.connection_id)
  if (current?.state !== 'running' || current.owner !== owner || !connection) throw new RunLostError()
  return { current, connection }
}

const elapsedMs = (q: Queries, run: SyncRunRow) => q.clock.ms() - Date.parse(run.started_at)

async function existingRows(q: Queries, connectionId: string): Promise<Existing> {
  return {
    users: await q.dirUsers.ofConnection(connectionId),
    groups: await q.dirGroups.ofConnection(connectionId),
    roles: await q.dirRoles.ofConnection(connectionId),
    memberships: await q.dirGroups.memberships(connectionId),
  }
}

/**
 * Applies a full read in the caller's transaction: the diff against the rows as they are now, the run's
 * record and its connection's sync state (so a crash leaves all three as before or all as after).
 */
export async function finishRun(q: Queries, started: StartedRun, read: RunRead, driftThreshold: number): Promise<SyncRunRow> {
  const { current, connection } = await claim(q, started)
  const { snapshot } = read
  const existing = await existingRows(q, connection.id)
  const touched = await q.dirEvents.subjectsChangedAfter(connection.id, started.startSeq, current.id)
  const complete = snapshot.incomplete.length === 0
  const now = isoNow(q.clock)
  const { id, slug, name } = snapshot.workspace
  const plan = planSync({
    connection,
    workspace: { id, slug, name },
    runId: current.id,
    now,
    existing,
    snapshot,
    complete,
    touched,
    driftThreshold,
    newId,
  })
  await applyPlan(q, plan)
  const held = plan.pendingDeletions.length > 0
  const stats: SyncStats = {
    ...read.stats,
    seen: plan.seen,
    created: plan.created,
    updated: plan.updated,
    removed: plan.removed,
    held: plan.pendingDeletions.length,
    durationMs: elapsedMs(q, current),
    mode: 'full',
  }
  const done: SyncRunRow = {
    ...current,
    state: held ? 'held' : 'succeeded',
    complete: complete ? 1 : 0,
    stats: JSON.stringify(stats),
    pending_deletions: held ? JSON.stringify(plan.pendingDeletions) : null,
    error: complete ? null : `Not every list was read to its end (${snapshot.incomplete.join(', ')}): nothing was removed`,
    heartbeat_at: now,
    finished_at: now,
  }
  await q.dirRuns.update(current.id, done)
  await q.connections.update(connection.id, connectionAfter(connection, done, read, now))
  return done
}

/** The connection's sync state after a full run, and what the remote now says of its workspace. */
function connectionAfter(connection: ConnectionRow, done: SyncRunRow, read: RunRead, now: string): Updateable<DirConnectionTable> {
  const complete = done.complete === 1
  const changes: Updateable<DirConnectionTable> = {
    last_sync_run_id: done.id,
    ...(complete ? { last_complete_sync_at: now } : {}),
    // Only a complete run that applied everything may vouch for "no change since" to the next one.
    ...(complete && done.state !== 'held'
      ? { audit_watermark: read.watermark, last_full_sync_at: done.started_at }
      : { audit_watermark: null }),
  }
  const { workspace, groupsSupported } = read.snapshot
  const groups_supported = groupsSupported ? 1 : 0
  const described = {
    remote_workspace_slug: workspace.slug,
    remote_workspace_name: workspace.name,
    groups_supported,
    status: 'active' as const,
    status_detail: null,
  }
  const unchanged = (Object.keys(described) as (keyof typeof described)[]).every((k) => connection[k] === described[k])
  return unchanged ? changes : { ...changes, ...described, updated_at: now }
}

/** Records a run that found no change without reading every list: complete, nothing written but the run. */
export async function finishUnchanged(q: Queries, started: StartedRun, remote: RemoteStats): Promise<SyncRunRow> {
  const { current, connection } = await claim(q, started)
  const now = isoNow(q.clock)
  const stats: SyncStats = { ...emptySyncStats(), ...remote, mode: 'unchanged', durationMs: elapsedMs(q, current) }
  const done: SyncRunRow = {
    ...current,
    state: 'succeeded',
    complete: 1,
    stats: JSON.stringify(stats),
    heartbeat_at: now,
    finished_at: now,
  }
  await q.dirRuns.update(current.id, done)
  const revived = connection.status !== 'active' || connection.status_detail !== null
  await q.connections.update(connection.id, {
    last_sync_run_id: current.id,
    last_complete_sync_at: now,
    ...(revived ? { status: 'active', status_detail: null, updated_at: now } : {}),
  })
  return done
}

/** Writes a plan: rows first (parents before the memberships naming them), then its events, in the caller's transaction. */
export async function applyPlan(q: Queries, plan: SyncPlan): Promise<void> {
  await q.dirRoles.insert(plan.insertRoles)
  for (const u of plan.updateRoles) await q.dirRoles.update(u.id, u.changes)
  await q.dirGroups.insert(plan.insertGroups)
  for (const u of plan.updateGroups) await q.dirGroups.update(u.id, u.changes)
  await q.dirUsers.insert(plan.insertUsers)
  for (const u of plan.updateUsers) await q.dirUsers.update(u.id, u.changes)
  await q.dirGroups.removeMembers(plan.deleteMemberships)
  await q.dirGroups.addMembers(plan.insertMemberships)
  await q.dirEvents.append(plan.events)
}
