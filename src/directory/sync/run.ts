import { isoAt, isoNow } from '../../clock.js'
import { ConflictError, NotFoundError, SyncConflictError } from '../../errors.js'
import { newId } from '../../ids.js'
import type { ConnectionRow } from '../../store/queries/connections.js'
import type { SyncRunRow } from '../../store/queries/dir-runs.js'
import type { DirUserRow } from '../../store/queries/dir-users.js'
import type { Queries } from '../../store/queries/index.js'
import { PRIORITY } from '../budget/remote-budget.js'
import { clientFor, refusalOf } from '../connections.js'
import { emptyStats, RemoteError, type RemoteStats } from '../connectors/segment.js'
import type { DirectoryContext } from '../context.js'
import { eventBuilder } from '../events.js'
import { describeError } from '../failure.js'
import { abandonment, keepBeating, PROCESS_OWNER } from '../liveness.js'
import { isUnchanged, type LiveCounts, readAuditWatermark } from './change-check.js'
import { finishRun, finishUnchanged, RunLostError } from './finish.js'
import { tombstone } from './plan/users.js'
import { parseJson, presentMembership, presentUser, workspaceRef } from './present.js'
import { RunProgress, type SyncProgress } from './progress.js'
import { readRemote } from './remote.js'
import { emptySyncStats, type SyncStats } from './schemas.js'

export interface RunOptions {
  /** Who asked: `schedule`, `api`, `cli`, … (recorded on the run). */
  trigger: string
  onProgress?: (progress: SyncProgress) => void
  /** Aborting stops the run between pages; it is recorded as failed and changes nothing. */
  signal?: AbortSignal
  /** The process running it (defaults to this process). */
  owner?: string
}

/** Why a `running` run is abandoned (see liveness.ts), or undefined while it is live. */
export const runAbandonment = (run: SyncRunRow, staleRunMs: number, now = Date.now()): string | undefined =>
  abandonment(run.owner, run.heartbeat_at ?? run.started_at, staleRunMs, now)

export interface StartedRun {
  run: SyncRunRow
  connection: ConnectionRow
  /** The change feed's position when the run began: later events by others mark subjects to leave alone. */
  startSeq: number
  owner: string
}

/**
 * Records a `running` run for the connection, unless one is under way: a live run gets a 409; a run
 * whose owner stopped heart-beating, or is known to be dead, is marked failed first. Also pushes the
 * connection's next scheduled sync one interval ahead, so no scheduler (in this process or another)
 * starts it again meanwhile.
 */
export async function beginRun(
  ctx: DirectoryContext,
  connectionId: string,
  options: { trigger: string; owner?: string },
): Promise<StartedRun> {
  const owner = options.owner ?? PROCESS_OWNER
  return ctx.store.write(async (q) => {
    const connection = await q.connections.find(connectionId)
    if (!connection) throw new NotFoundError(`Connection ${connectionId}`)
    if (connection.status === 'needs_reauth')
      throw new ConflictError(
        `Connection ${connection.name} needs a new token (the remote answered 401); rotate its token to resume syncing`,
        { data: { connection_id: connection.id, status: connection.status } },
      )
    const refused = refusalOf(ctx, connection.base_url)
    if (refused)
      throw new ConflictError(`Connection ${connection.name} cannot sync: ${refused}`, { data: { connection_id: connection.id } })
    const now = ctx.store.clock.ms()
    const running = await q.dirRuns.runningOf(connectionId)
    if (running) {
      const abandoned = runAbandonment(running, ctx.config.staleRunMs, now)
      if (abandoned === undefined)
        throw new SyncConflictError(`Connection ${connection.name} is already syncing (run ${running.id}, started ${running.started_at})`, {
          data: { run_id: running.id },
        })
      await q.dirRuns.update(running.id, { state: 'failed', error: abandoned, finished_at: isoAt(now) })
    }
    const startSeq = await q.dirEvents.lastSeq()
    const run: SyncRunRow = {
      id: newId(),
      connection_id: connectionId,
      state: 'running',
      trigger: options.trigger,
      complete: 0,
      stats: JSON.stringify(emptySyncStats()),
      pending_deletions: null,
      error: null,
      owner,
      heartbeat_at: isoAt(now),
      started_at: isoAt(now),
      finished_at: null,
    }
    await q.dirRuns.insert(run)
    await q.connections.update(connectionId, { next_sync_at: isoAt(now + ctx.config.syncIntervalMs) })
    return { run, connection, startSeq, owner }
  })
}

/** Starts a run and carries it to its end. Resolves with the finished run (failed runs too); rejects only if it cannot start. */
export async function runSync(ctx: DirectoryContext, connectionId: string, options: RunOptions): Promise<SyncRunRow> {
  const started = await beginRun(ctx, connectionId, options)
  return executeRun(ctx, started, options)
}

/**
 * Reads the remote, then applies the whole diff in one transaction (a crash leaves the store as before
 * or as after, never between). Any failure records the run as failed and changes no directory row: a
 * run that could not read everything cannot tell a removal from a gap in what it read.
 */
export async function executeRun(ctx: DirectoryContext, started: StartedRun, options: RunOptions): Promise<SyncRunRow> {
  const { run, owner } = started
  const stats = emptyStats()
  const progress = new RunProgress(run, stats, options.onProgress)
  const stopBeating = keepBeating(ctx.config.staleRunMs, () => ctx.store.write((q) => q.dirRuns.heartbeat(run.id, owner, isoNow(q.clock))))
  try {
    progress.report()
    const finished = await readAndFinish(ctx, started, options, stats, progress)
    progress.enter('done')
    return finished
  } catch (error) {
    const failed = await recordFailure(ctx, started, error, stats)
    progress.enter('done')
    return failed
  } finally {
    stopBeating()
  }
}

/** The read and the transaction that applies it; throws whatever keeps the run from finishing. */
async function readAndFinish(
  ctx: DirectoryContext,
  started: StartedRun,
  options: RunOptions,
  stats: RemoteStats,
  progress: RunProgress,
): Promise<SyncRunRow> {
  const { connection } = started
  const client = clientFor(ctx, connection, {
    priority: PRIORITY.sync,
    stats,
    onPage: (path, items) => {
      options.signal?.throwIfAborted()
      progress.pageRead(path, items)
    },
  })
  // Read before the full read: a change that lands during the read moves the watermark, so the next
  // run reads in full again.
  const watermark = await readAuditWatermark(client)
  const live = () => ctx.store.read((q) => liveCounts(q, connection.id))
  const cadence = { now: ctx.store.clock.ms(), fullSyncEveryMs: ctx.config.fullSyncEveryMs }
  if (await isUnchanged(client, connection, watermark, live, cadence)) return ctx.store.write((q) => finishUnchanged(q, started, stats))
  const snapshot = await readRemote(client, progress.lists, options.signal)
  if (snapshot.workspace.id !== connection.remote_workspace_id)
    throw new Error(
      `The token now reaches workspace ${snapshot.workspace.slug} (${snapshot.workspace.id}), not ${connection.remote_workspace_slug} (${connection.remote_workspace_id}); rotate it`,
    )
  options.signal?.throwIfAborted()
  progress.enter('applying')
  return ctx.store.write((q) => finishRun(q, started, { snapshot, watermark, stats }, ctx.config.driftThreshold))
}

async function liveCounts(q: Queries, connectionId: string): Promise<LiveCounts> {
  return { ...(await q.dirUsers.countsByStatus(connectionId)), groups: await q.dirGroups.liveCount(connectionId) }
}

/** One line for the run record: why it was lost or cancelled, or what failed (see describeError). */
function failureOf(error: unknown): string {
  if (error instanceof RunLostError) return 'The run was taken over or its connection deleted before it could apply its changes'
  if (error instanceof Error && error.name === 'AbortError') return `Cancelled: ${error.message}`
  return describeError(error, 1000)
}

/**
 * Records the run as failed, and what that says of its connection: a 401 means it needs a new token, other
 * errors are shown on it; a cancelled or lost run says nothing about the connection.
 */
async function recordFailure(ctx: DirectoryContext, started: StartedRun, error: unknown, stats: RemoteStats): Promise<SyncRunRow> {
  const { run, owner } = started
  const message = failureOf(error)
  return ctx.store.write(async (q) => {
    const current = await q.dirRuns.find(run.id)
    // Taken over as abandoned, or the connection was deleted: the record is someone else's now.
    if (current?.state !== 'running' || current.owner !== owner) return current ?? { ...run, state: 'failed' as const, error: message }
    const nowMs = q.clock.ms()
    const now = isoAt(nowMs)
    const failed: SyncRunRow = {
      ...current,
      state: 'failed',
      stats: JSON.stringify({ ...emptySyncStats(), ...stats, durationMs: nowMs - Date.parse(run.started_at) }),
      error: message,
      heartbeat_at: now,
      finished_at: now,
    }
    await q.dirRuns.update(run.id, failed)
    const aborted = error instanceof Error && error.name === 'AbortError'
    if (error instanceof RemoteError && error.isUnauthorized)
      await q.connections.update(run.connection_id, {
        status: 'needs_reauth',
        status_detail: message,
        last_sync_run_id: run.id,
        updated_at: now,
      })
    else if (!aborted && !(error instanceof RunLostError))
      await q.connections.update(run.connection_id, { status: 'error', status_detail: message, last_sync_run_id: run.id, updated_at: now })
    else await q.connections.update(run.connection_id, { last_sync_run_id: run.id })
    return failed
  })
}

/** A held run that may still be approved: not superseded by a later finished run (which decided afresh what is missing). */
async function heldRun(q: Queries, runId: string) {
  const run = await q.dirRuns.find(runId)
  if (!run) throw new NotFoundError(`Sync run ${runId}`)
  if (run.state !== 'held') throw new ConflictError(`Sync run ${runId} is ${run.state}, not held: it has no deletions to approve`)
  const later = await q.dirRuns.laterFinished(run.connection_id, run.id)
  if (later)
    throw new ConflictError(`Sync run ${runId} was superseded by run ${later.id}, which decided afresh what is missing`, {
      data: { superseded_by: later.id },
    })
  const connection = await q.connections.find(run.connection_id)
  if (!connection) throw new NotFoundError(`Connection ${run.connection_id}`)
  return { run, connection }
}

/**
 * Applies the deletions a drift guard held: marks those accounts deleted and removes their memberships,
 * with their events. Refused for a run that is not held, or that a later finished run superseded.
 * Accounts that changed since the run finished are left alone.
 */
export async function approveRun(ctx: DirectoryContext, runId: string): Promise<SyncRunRow> {
  return ctx.store.write(async (q) => {
    const { run, connection } = await heldRun(q, runId)
    const workspace = workspaceRef(connection)
    const finishedAt = run.finished_at ?? run.started_at
    const pending = await q.dirUsers.byIds(parseJson<string[]>(run.pending_deletions, []))
    const rows = new Map<string, DirUserRow>(
      pending.filter((u) => u.status !== 'deleted' && u.last_changed_at <= finishedAt).map((u) => [u.id, u]),
    )
    const groups = new Map((await q.dirGroups.ofConnection(connection.id)).map((g) => [g.id, g]))
    const memberships = (await q.dirGroups.memberships(connection.id)).filter((m) => rows.has(m.user_id))
    const now = isoNow(q.clock)
    const event = eventBuilder({ connectionId: connection.id, runId: run.id, now })
    const events = memberships.flatMap((m) => {
      const [group, user] = [groups.get(m.group_id), rows.get(m.user_id)]
      return group && user ? [event('membership.removed', m.user_id, presentMembership(group, user, workspace, m.created_at))] : []
    })
    await q.dirGroups.removeMembers(memberships)
    for (const row of rows.values()) {
      const dead = tombstone(row, now, connection.last_complete_sync_at)
      await q.dirUsers.update(row.id, dead.changes)
      events.push(event('user.deleted', row.id, presentUser(dead.row, workspace, [])))
    }
    await q.dirEvents.append(events)
    const stats: SyncStats = { ...emptySyncStats(), ...parseJson<Partial<SyncStats>>(run.stats, {}) }
    const removed = {
      ...stats.removed,
      users: stats.removed.users + rows.size,
      memberships: stats.removed.memberships + memberships.length,
    }
    const approved: SyncRunRow = { ...run, state: 'succeeded', stats: JSON.stringify({ ...stats, removed, approvedAt: now }) }
    await q.dirRuns.update(run.id, { state: approved.state, stats: approved.stats })
    return approved
  })
}

/** Marks this owner's runs that are still `running` as failed (a process stopping with runs it could not finish). */
export async function failRunsOf(ctx: DirectoryContext, owner: string, reason: string): Promise<number> {
  return ctx.store.write(async (q) => {
    const runs = await q.dirRuns.running(owner)
    const now = isoNow(q.clock)
    for (const r of runs) await q.dirRuns.update(r.id, { state: 'failed', error: reason, finished_at: now })
    return runs.length
  })
}
