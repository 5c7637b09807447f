import PQueue from 'p-queue'
import { isoAt, isoNow } from '../../clock.js'
import { ConflictError, NotFoundError, UnavailableError } from '../../errors.js'
import type { SyncRunRow } from '../../store/queries/dir-runs.js'
import { budgetKey, type DirectoryContext, type DirectoryParts } from '../context.js'
import { beginRun, executeRun, runAbandonment, type StartedRun } from './run.js'

/** How often the scheduler looks for due connections, at most (a due check is one indexed query). */
const MAX_TICK_MS = 30_000
/** On stop, runs in flight get this long to finish before they are cancelled. */
const STOP_GRACE_MS = 5_000
/** And cancelled runs this long to record themselves as failed, before the scheduler does it for them. */
const CANCEL_GRACE_MS = 2_000

export interface SchedulerLog {
  warn(obj: object, msg: string): void
}

interface InFlight {
  connectionId: string
  runId: string
  controller: AbortController
  done: Promise<unknown>
}

/**
 * Runs a serve process's syncs: the periodic ones (each connection due by `next_sync_at`, several
 * connections at once up to `syncConcurrency`) and the ones the API starts now. One run per connection
 * at a time is enforced by the store (`beginRun`), so several processes may schedule the same database.
 */
export class SyncScheduler {
  /** The directory context this scheduler runs on, and which carries it (`ctx.scheduler`): build one with `new SyncScheduler(parts).ctx`. */
  readonly ctx: DirectoryContext
  private readonly queue: PQueue
  private readonly inFlight = new Map<string, InFlight>()
  private readonly queued = new Set<string>()
  private timer: NodeJS.Timeout | undefined
  private ticking: Promise<void> | undefined
  private stopped = false
  private log: SchedulerLog | undefined

  constructor(parts: DirectoryParts) {
    this.ctx = { ...parts, scheduler: this }
    this.queue = new PQueue({ concurrency: Math.max(1, parts.config.syncConcurrency) })
  }

  /** Starts periodic syncs; connections never synced are due at once. */
  start(log?: SchedulerLog): void {
    if (this.timer || this.stopped) return
    this.log = log
    // Often enough that an abandoned run is taken over soon after it goes stale.
    const every = Math.min(this.ctx.config.syncIntervalMs, this.ctx.config.staleRunMs / 4, MAX_TICK_MS)
    this.timer = setInterval(() => void this.tick(), every)
    this.timer.unref()
    void this.tick()
  }

  /** Starts a run now, outside the periodic queue: resolves with the run once recorded; it goes on in the background. */
  async trigger(connectionId: string, trigger = 'api'): Promise<SyncRunRow> {
    if (this.stopped) throw new UnavailableError('The server is stopping; start the sync again once it is back')
    const started = await beginRun(this.ctx, connectionId, { trigger })
    this.track(started, trigger)
    return started.run
  }

  /**
   * One pass: queues every connection that is due, and every connection whose run was abandoned by a
   * process that died mid-run (here or on another replica): `beginRun` records that run as failed and
   * starts the connection again. Connections running or queued here are left alone.
   */
  tick(): Promise<void> {
    if (this.stopped) return Promise.resolve()
    this.ticking ??= (async () => {
      const now = this.ctx.store.clock.ms()
      const [due, running, all] = await this.ctx.store.read((q) =>
        Promise.all([q.connections.due(isoAt(now)), q.dirRuns.running(), q.connections.all()]),
      )
      this.ctx.budgets.retain(new Set(all.map(budgetKey)))
      const abandoned = running.filter((run) => runAbandonment(run, this.ctx.config.staleRunMs, now) !== undefined)
      for (const id of new Set([...due.map((c) => c.id), ...abandoned.map((r) => r.connection_id)])) {
        if (this.inFlight.has(id) || this.queued.has(id)) continue
        this.queued.add(id)
        void this.queue.add(async () => {
          this.queued.delete(id)
          if (this.stopped) return
          let started: StartedRun
          try {
            started = await beginRun(this.ctx, id, { trigger: 'schedule' })
          } catch (error) {
            // Another process runs it, or it went away or needs a token since the due check: nothing to do.
            if (!(error instanceof ConflictError || error instanceof NotFoundError))
              this.log?.warn({ err: error, connectionId: id }, 'scheduled sync could not start')
            return
          }
          await this.track(started, 'schedule')
        })
      }
    })()
      .catch((error) => this.log?.warn({ err: error }, 'sync scheduler pass failed'))
      .finally(() => {
        this.ticking = undefined
      })
    return this.ticking
  }

  /** Runs under way in this process, by connection id. */
  running(): string[] {
    return [...this.inFlight.keys()]
  }

  /**
   * Stops scheduling; runs in flight get a grace period to finish, then are cancelled, and any still not
   * finished are recorded as failed, so no run stays `running` after its process is gone.
   */
  async stop({ graceMs = STOP_GRACE_MS, cancelGraceMs = CANCEL_GRACE_MS } = {}): Promise<void> {
    this.stopped = true
    if (this.timer) clearInterval(this.timer)
    this.queue.clear()
    await this.ticking
    const runs = [...this.inFlight.values()]
    if (runs.length === 0) return
    const settle = (ms: number) => Promise.race([Promise.allSettled(runs.map((r) => r.done)), new Promise((r) => setTimeout(r, ms))])
    await settle(graceMs)
    for (const r of runs) r.controller.abort(new DOMException('the server is stopping', 'AbortError'))
    await settle(cancelGraceMs)
    const leftover = runs.filter((r) => this.inFlight.get(r.connectionId) === r).map((r) => r.runId)
    if (leftover.length === 0) return
    await this.ctx.store
      .write(async (q) => {
        const now = isoNow(q.clock)
        for (const id of leftover) {
          const run = await q.dirRuns.find(id)
          if (run?.state === 'running')
            await q.dirRuns.update(id, {
              state: 'failed',
              error: 'Stopped: the server shut down before the run finished',
              finished_at: now,
            })
        }
      })
      .catch((error) => this.log?.warn({ err: error }, 'could not record unfinished sync runs'))
  }

  private track(started: StartedRun, trigger: string): Promise<unknown> {
    const controller = new AbortController()
    const connectionId = started.connection.id
    const done = executeRun(this.ctx, started, { trigger, signal: controller.signal }).catch((error) =>
      // executeRun records its own failures; this is the store failing under it.
      this.log?.warn({ err: error, runId: started.run.id }, 'sync run could not record its end'),
    )
    const entry: InFlight = { connectionId, runId: started.run.id, controller, done }
    this.inFlight.set(connectionId, entry)
    void done.finally(() => {
      if (this.inFlight.get(connectionId) === entry) this.inFlight.delete(connectionId)
    })
    return done
  }
}
