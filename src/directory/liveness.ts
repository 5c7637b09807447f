import { hostname } from 'node:os'
import { randomBase62 } from '../ids.js'

/*
 * Who holds a piece of work recorded in the store, and whether it still does: sync runs and in-flight
 * idempotency claims both record their owner (this process) and refresh a heartbeat while they work. A
 * later process finding the work unfinished takes it over when the owner is known to be dead, or has not
 * beaten for `staleRunMs` (`--sync-stale-after`); otherwise the work is live and it is refused (409).
 */

/** This process, as recorded on what it owns: a later process can tell whose work went silent. */
export const PROCESS_OWNER = `${hostname()}:${process.pid}:${randomBase62(6)}`

/**
 * Whether an owner is known to be dead: it ran on this host (`host:pid:tag`, as PROCESS_OWNER) and no
 * process has its pid, or its pid is ours but its tag is not (a restart that got the same pid, as pid 1 in a
 * container does). Without this, a server killed mid-work and restarted would wait for the heartbeat to go
 * stale. Work taken over by mistake (another pid namespace under the same host name) is guarded where it
 * matters: a sync run's apply finds the run no longer its own; an action's answer is stored only by the
 * claim's current owner.
 */
export function isOwnerGone(owner: string | null): boolean {
  const parts = owner?.split(':') ?? []
  if (parts.length < 3 || parts.slice(0, -2).join(':') !== hostname()) return false
  const pid = Number(parts.at(-2))
  if (!Number.isSafeInteger(pid) || pid <= 0) return false
  if (pid === process.pid) return owner !== PROCESS_OWNER
  try {
    process.kill(pid, 0)
    return false
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH'
  }
}

/**
 * Why work held by `owner`, which last beat at `lastBeat`, is abandoned, or undefined while it is live: its
 * owner is known to be dead, or it has not beaten for `staleMs` (its process died on another host, or hangs).
 */
export function abandonment(owner: string | null, lastBeat: string, staleMs: number, now = Date.now()): string | undefined {
  if (isOwnerGone(owner)) return `Abandoned: its process (${owner}) is no longer running`
  if (Date.parse(lastBeat) <= now - staleMs) return `Abandoned: its process (${owner ?? 'unknown'}) stopped reporting after ${lastBeat}`
  return undefined
}

/**
 * Calls `beat` every eighth of `staleMs` until the returned function is called. A failed beat is ignored:
 * the next may succeed, and work that stops beating for `staleMs` is taken over anyway. The timer does not
 * keep the process alive.
 */
export function keepBeating(staleMs: number, beat: () => Promise<unknown>): () => void {
  const timer = setInterval(() => {
    Promise.resolve()
      .then(beat)
      .catch(() => {})
  }, staleMs / 8)
  timer.unref()
  return () => clearInterval(timer)
}
