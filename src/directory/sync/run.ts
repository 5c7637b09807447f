import type { Updateable } from 'kysely'
import { ConflictError, NotFoundError } from '../../errors.js'
import { newId } from '../../ids.js'
import type { ConnectionRow } from '../../store/queries/connections.js'
import type { DirUserRow, SyncRunRow } from '../../store/queries/dir-sync.js'
import type { Queries } from '../../store/queries/index.js'
import type { DirConnectionTable } from '../../store/tables.js'
import { PRIORITY } from '../budget/remote-budget.js'
import { refusalOf } from '../connections.js'
import { emptyStats, RemoteError, type RemoteStats } from '../connectors/segment.js'
import { clientFor, type DirectoryContext } from '../context.js'
import { abandonment, keepBeating, PROCESS_OWNER } from '../liveness.js'
import { isUnchanged, readAuditWatermark } from './change-check.js'
import { type Counts, planSync, type SyncPlan, tombstone, zeroCounts } from './plan.js'
import { parseJson, presentMembership, presentUser, workspaceRef } from './present.js'
import { readRemote } from './remote.js'

/** What a run records: its remote traffic and what it saw and changed. */
export interface SyncStats extends RemoteStats {
  seen: Counts
  created: Counts
  updated: Counts
  removed: Counts
  /** Accounts the drift guard held back (see `pending_deletions`). */
  held: number
  durationMs: number
  /** When the held deletions were approved. */
  approvedAt?: string
  /** `full`: every list was read. `unchanged`: the audit trail and the totals showed no change (see change-check.ts). */
  mode: 'full' | 'unchanged'
}

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

export interface SyncProgress {
  connectionId: string
  runId: string
  phase: 'reading' | 'applying' | 'done'
  /** Lists (and the workspace) read to their end, out of those known to be needed so far. */
  listsDone: number
  listsTotal: number
  pages: number
  requests: number
  /** Members and invites read from the users and invites lists. */
  usersSeen: number
  rateLimited: number
  retries: number
  waitedMs: number
}

export interface RunOptions {
  /** Who asked: `schedule`, `api`, `cli`, … (recorded on the run). */
  trigger: string
  onProgress?: (progress: SyncProgress) => void
  /** Aborting stops the run between pages; it is recorded as failed and changes nothing. */
  signal?: AbortSignal
  /** The process running it (defaults to this process). */
  owner?: string
}

/** 409: the connection has a run in progress (in this process or another). */
export class SyncConflictError extends ConflictError {}

/** Why a `running` run is abandoned (see liveness.ts), or undefined while it is live. */
export const runAbandonment = (run: SyncRunRow, staleRunMs: number, now = Date.now()): string | undefined =>
  abandonment(run.owner, run.heartbeat_at ?? run.started_at, staleRunMs, now)

/** The run is no longer this process's to finish: taken over as abandoned, or its connection deleted. */
class RunLostError extends Error {}

export interface StartedRun {
  run: SyncRunRow
  connection: ConnectionRow
  /** The change feed's position when the run began: later events by others mark subjects to leave alone. */
  startSeq: number
  owner: string
}

const iso = (ms: number) => new Date(ms).toISOString()

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
    const running = await q.dirSync.runningRun(connectionId)
    if (running) {
      const abandoned = runAbandonment(running, ctx.config.staleRunMs, now)
      if (abandoned === undefined)
        throw new SyncConflictError(`Connection ${connection.name} is already syncing (run ${running.id}, started ${running.started_at})`, {
          data: { run_id: running.id },
        })
      await q.dirSync.updateRun(running.id, { state: 'failed', error: abandoned, finished_at: iso(now) })
    }
    const startSeq = await q.dirSync.lastEventSeq()
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
      heartbeat_at: iso(now),
      started_at: iso(now),
      finished_at: null,
    }
    await q.dirSync.insertRun(run)
    await q.connections.update(connectionId, { next_sync_at: iso(now + ctx.config.syncIntervalMs) })
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
  const { run, connection, owner } = started
  const startedMs = Date.parse(run.started_at)
  const stats = emptyStats()
  const progress: SyncProgress = {
    connectionId: connection.id,
    runId: run.id,
    phase: 'reading',
    listsDone: 0,
    listsTotal: 5,
    pages: 0,
    requests: 0,
    usersSeen: 0,
    rateLimited: 0,
    retries: 0,
    waitedMs: 0,
  }
  const report = () => {
    if (!options.onProgress) return
    Object.assign(progress, {
      pages: stats.pages,
      requests: stats.requests,
      rateLimited: stats.rateLimited,
      retries: stats.retries,
      waitedMs: stats.waitedMs,
    })
    options.onProgress({ ...progress })
  }
  const stopBeating = keepBeating(ctx.config.staleRunMs, () =>
    ctx.store.write((q) => q.dirSync.heartbeat(run.id, owner, iso(ctx.store.clock.ms()))),
  )
  try {
    report()
    const client = clientFor(ctx, connection, {
      priority: PRIORITY.sync,
      stats,
      onPage: (path, items) => {
        options.signal?.throwIfAborted()
        if (path === '/users' || path === '/invites') progress.usersSeen += items
        report()
      },
    })
    // Read before the full read: a change that lands during the read moves the watermark, so the next
    // run reads in full again.
    const watermark = await readAuditWatermark(client)
    const live = () => ctx.store.read((q) => q.dirSync.liveCounts(connection.id))
    if (
      await isUnchanged(client, connection, watermark, live, { now: ctx.store.clock.ms(), fullSyncEveryMs: ctx.config.fullSyncEveryMs })
    ) {
      const done = await finishUnchanged(ctx, started, {
        ...emptySyncStats(),
        ...stats,
        mode: 'unchanged',
        durationMs: ctx.store.clock.ms() - startedMs,
      })
      progress.phase = 'done'
      report()
      return done
    }
    const snapshot = await readRemote(
      client,
      {
        onListDone: () => {
          progress.listsDone++
          report()
        },
        onListsPlanned: (count) => {
          progress.listsTotal += count
          report()
        },
      },
      options.signal,
    )
    if (snapshot.workspace.id !== connection.remote_workspace_id)
      throw new Error(
        `The token now reaches workspace ${snapshot.workspace.slug} (${snapshot.workspace.id}), not ${connection.remote_workspace_slug} (${connection.remote_workspace_id}); rotate it`,
      )
    options.signal?.throwIfAborted()
    progress.phase = 'applying'
    report()

    const finished = await ctx.store.write(async (q) => {
      const current = await q.dirSync.findRun(run.id)
      const conn = await q.connections.find(connection.id)
      if (current?.state !== 'running' || current.owner !== owner || !conn) throw new RunLostError()
      const existing = {
        users: await q.dirSync.usersOf(conn.id),
        groups: await q.dirSync.groupsOf(conn.id),
        roles: await q.dirSync.rolesOf(conn.id),
        memberships: await q.dirSync.membershipsOf(conn.id),
      }
      const touched = await q.dirSync.subjectsChangedAfter(conn.id, started.startSeq, run.id)
      const complete = snapshot.incomplete.length === 0
      const now = iso(ctx.store.clock.ms())
      const workspace = { id: snapshot.workspace.id, slug: snapshot.workspace.slug, name: snapshot.workspace.name }
      const plan = planSync({
        connection: conn,
        workspace,
        runId: run.id,
        now,
        existing,
        snapshot,
        complete,
        touched,
        driftThreshold: ctx.config.driftThreshold,
        newId,
      })
      await applyPlan(q, plan)
      const held = plan.pendingDeletions.length > 0
      const runStats: SyncStats = {
        ...stats,
        seen: plan.seen,
        created: plan.created,
        updated: plan.updated,
        removed: plan.removed,
        held: plan.pendingDeletions.length,
        durationMs: ctx.store.clock.ms() - startedMs,
        mode: 'full',
      }
      const done: SyncRunRow = {
        ...current,
        state: held ? 'held' : 'succeeded',
        complete: complete ? 1 : 0,
        stats: JSON.stringify(runStats),
        pending_deletions: held ? JSON.stringify(plan.pendingDeletions) : null,
        error: complete ? null : `Not every list was read to its end (${snapshot.incomplete.join(', ')}): nothing was removed`,
        heartbeat_at: now,
        finished_at: now,
      }
      await q.dirSync.updateRun(run.id, done)
      const changes: Updateable<DirConnectionTable> = {
        last_sync_run_id: run.id,
        ...(complete ? { last_complete_sync_at: now } : {}),
        // Only a complete run that applied everything may vouch for "no change since" to the next one.
        ...(complete && !held ? { audit_watermark: watermark, last_full_sync_at: run.started_at } : { audit_watermark: null }),
      }
      const groupsSupported = snapshot.groupsSupported ? 1 : 0
      if (
        conn.remote_workspace_slug !== workspace.slug ||
        conn.remote_workspace_name !== workspace.name ||
        conn.groups_supported !== groupsSupported ||
        conn.status !== 'active' ||
        conn.status_detail !== null
      )
        Object.assign(changes, {
          remote_workspace_slug: workspace.slug,
          remote_workspace_name: workspace.name,
          groups_supported: groupsSupported,
          status: 'active',
          status_detail: null,
          updated_at: now,
        })
      await q.connections.update(conn.id, changes)
      return done
    })
    progress.phase = 'done'
    report()
    return finished
  } catch (error) {
    const failed = await recordFailure(ctx, started, error, stats, startedMs)
    progress.phase = 'done'
    report()
    return failed
  } finally {
    stopBeating()
  }
}

/** Records a run that found no change without reading every list: complete, nothing written but the run. */
async function finishUnchanged(ctx: DirectoryContext, started: StartedRun, stats: SyncStats): Promise<SyncRunRow> {
  const { run, owner } = started
  return ctx.store.write(async (q) => {
    const current = await q.dirSync.findRun(run.id)
    const conn = await q.connections.find(run.connection_id)
    if (current?.state !== 'running' || current.owner !== owner || !conn) throw new RunLostError()
    const now = iso(ctx.store.clock.ms())
    const done: SyncRunRow = {
      ...current,
      state: 'succeeded',
      complete: 1,
      stats: JSON.stringify(stats),
      heartbeat_at: now,
      finished_at: now,
    }
    await q.dirSync.updateRun(run.id, done)
    await q.connections.update(conn.id, {
      last_sync_run_id: run.id,
      last_complete_sync_at: now,
      ...(conn.status !== 'active' || conn.status_detail !== null ? { status: 'active', status_detail: null, updated_at: now } : {}),
    })
    return done
  })
}

async function recordFailure(
  ctx: DirectoryContext,
  started: StartedRun,
  error: unknown,
  stats: RemoteStats,
  startedMs: number,
): Promise<SyncRunRow> {
  const { run, owner } = started
  const message = describe(error)
  return ctx.store.write(async (q) => {
    const current = await q.dirSync.findRun(run.id)
    // Taken over as abandoned, or the connection was deleted: the record is someone else's now.
    if (current?.state !== 'running' || current.owner !== owner) return current ?? { ...run, state: 'failed' as const, error: message }
    const now = iso(ctx.store.clock.ms())
    const failed: SyncRunRow = {
      ...current,
      state: 'failed',
      stats: JSON.stringify({ ...emptySyncStats(), ...stats, durationMs: ctx.store.clock.ms() - startedMs }),
      error: message,
      heartbeat_at: now,
      finished_at: now,
    }
    await q.dirSync.updateRun(run.id, failed)
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

/** One line for the run record: the remote's own message, or the network error under fetch's "fetch failed". */
function describe(error: unknown): string {
  if (error instanceof RunLostError) return 'The run was taken over or its connection deleted before it could apply its changes'
  if (error instanceof Error && error.name === 'AbortError') return `Cancelled: ${error.message}`
  if (!(error instanceof Error)) return String(error).slice(0, 1000)
  const cause = error.cause instanceof Error ? `: ${error.cause.message}` : ''
  return `${error.message}${cause}`.slice(0, 1000)
}

/** Writes a plan: rows first (parents before the memberships naming them), then its events, in the caller's transaction. */
export async function applyPlan(q: Queries, plan: SyncPlan): Promise<void> {
  await q.dirSync.insertRoles(plan.insertRoles)
  for (const u of plan.updateRoles) await q.dirSync.updateRole(u.id, u.changes)
  await q.dirSync.insertGroups(plan.insertGroups)
  for (const u of plan.updateGroups) await q.dirSync.updateGroup(u.id, u.changes)
  await q.dirSync.insertUsers(plan.insertUsers)
  for (const u of plan.updateUsers) await q.dirSync.updateUser(u.id, u.changes)
  await q.dirSync.deleteMemberships(plan.deleteMemberships)
  await q.dirSync.insertMemberships(plan.insertMemberships)
  await q.dirSync.appendEvents(plan.events)
}

/**
 * Applies the deletions a drift guard held: marks those accounts deleted and removes their memberships,
 * with their events. Refused for a run that is not held, or that a later finished run superseded (that
 * run decided afresh what is missing). Accounts that changed since the run finished are left alone.
 */
export async function approveRun(ctx: DirectoryContext, runId: string): Promise<SyncRunRow> {
  return ctx.store.write(async (q) => {
    const run = await q.dirSync.findRun(runId)
    if (!run) throw new NotFoundError(`Sync run ${runId}`)
    if (run.state !== 'held') throw new ConflictError(`Sync run ${runId} is ${run.state}, not held: it has no deletions to approve`)
    const later = await q.dirSync.laterFinishedRun(run.connection_id, run.id)
    if (later)
      throw new ConflictError(`Sync run ${runId} was superseded by run ${later.id}, which decided afresh what is missing`, {
        data: { superseded_by: later.id },
      })
    const connection = await q.connections.find(run.connection_id)
    if (!connection) throw new NotFoundError(`Connection ${run.connection_id}`)
    const workspace = workspaceRef(connection)
    const pending = parseJson<string[]>(run.pending_deletions, [])
    const finishedAt = run.finished_at ?? run.started_at
    const rows = (await q.dirSync.usersByIds(pending)).filter((u) => u.status !== 'deleted' && u.last_changed_at <= finishedAt)
    const ids = new Set(rows.map((u) => u.id))
    const groups = new Map((await q.dirSync.groupsOf(connection.id)).map((g) => [g.id, g]))
    const memberships = (await q.dirSync.membershipsOf(connection.id)).filter((m) => ids.has(m.user_id))
    const byId = new Map<string, DirUserRow>(rows.map((u) => [u.id, u]))
    const now = iso(ctx.store.clock.ms())
    const event = (type: 'user.deleted' | 'membership.removed', subjectId: string, data: unknown) => ({
      id: newId(),
      type,
      connection_id: connection.id,
      subject_id: subjectId,
      sync_run_id: run.id,
      data: JSON.stringify(data),
      created_at: now,
    })
    const events = memberships.flatMap((m) => {
      const group = groups.get(m.group_id)
      const user = byId.get(m.user_id)
      return group && user ? [event('membership.removed', m.user_id, presentMembership(group, user, workspace, m.created_at))] : []
    })
    await q.dirSync.deleteMemberships(memberships)
    for (const row of rows) {
      const dead = tombstone(row, now, connection.last_complete_sync_at)
      await q.dirSync.updateUser(row.id, dead.changes)
      events.push(event('user.deleted', row.id, presentUser(dead.row, workspace, [])))
    }
    await q.dirSync.appendEvents(events)
    const stats = { ...emptySyncStats(), ...parseJson<Partial<SyncStats>>(run.stats, {}) }
    stats.removed = {
      ...stats.removed,
      users: stats.removed.users + rows.length,
      memberships: stats.removed.memberships + memberships.length,
    }
    stats.approvedAt = now
    const approved: SyncRunRow = { ...run, state: 'succeeded', stats: JSON.stringify(stats) }
    await q.dirSync.updateRun(run.id, { state: approved.state, stats: approved.stats })
    return approved
  })
}

/** Marks this owner's runs that are still `running` as failed (a process stopping with runs it could not finish). */
export async function failRunsOf(ctx: DirectoryContext, owner: string, reason: string): Promise<number> {
  return ctx.store.write(async (q) => {
    const runs = await q.dirSync.runningRuns(owner)
    const now = iso(ctx.store.clock.ms())
    for (const r of runs) await q.dirSync.updateRun(r.id, { state: 'failed', error: reason, finished_at: now })
    return runs.length
  })
}
