import type { Store } from '../store/store.js'
import type { MailLog } from './deliver.js'
import { Poller } from './poller.js'

/*
 * Without --smtp-url, mail stays in the outbox and this says so in the log: one line per message, naming
 * whom it is to and what it is about, never its body (it holds the link or code). Messages are queued by
 * this server and by other processes (a CLI command, another replica), so the server looks at the outbox
 * for pending messages it has not announced yet, rather than being told.
 */

/** A transaction may commit a while after it stamped `created_at`: look back this far for late arrivals. */
const LOOK_BACK_MS = 10 * 60_000
/** Per pass, the newest this many are read: in a flood, older ones may go unannounced (the outbox lists them). */
const MAX_PER_PASS = 500

/** The line for a message waiting in the outbox: whom it is to and what about, and where to read it. */
export function waitingLine(message: { id: string; to: string; kind: string }): string {
  return `mail to ${message.to} about ${message.kind} is waiting in the outbox (no --smtp-url): gatehouse outbox show ${message.id}`
}

export class OutboxAnnouncer {
  private readonly poller: Poller
  /** Ids announced (or already waiting at start), by `created_at`; forgotten once older than the look-back. */
  private readonly seen = new Map<string, string>()
  private primed = false

  constructor(
    private readonly store: Store,
    private readonly log: MailLog,
    pollMs: number,
  ) {
    this.poller = new Poller(
      () => this.pass(),
      pollMs,
      (error) => this.log.warn({ err: error }, 'outbox look failed'),
    )
  }

  start(): void {
    this.poller.start()
  }

  poke(): void {
    this.poller.poke()
  }

  async stop(): Promise<void> {
    await this.poller.stop(0)
  }

  private async pass(): Promise<void> {
    const now = this.store.clock.ms()
    const since = new Date(now - LOOK_BACK_MS).toISOString()
    const recent = await this.store.read((q) => q.outbox.pendingSince(since, MAX_PER_PASS))
    for (const [id, createdAt] of this.seen) if (createdAt < since) this.seen.delete(id)
    const fresh = recent.filter((m) => !this.seen.has(m.id)).reverse()
    for (const m of fresh) this.seen.set(m.id, m.created_at)
    if (!this.primed) return this.prime()
    for (const m of fresh)
      this.log.info({ mail: { id: m.id, to: m.to_address, kind: m.kind } }, waitingLine({ id: m.id, to: m.to_address, kind: m.kind }))
  }

  /** At start, what already waits is summed up in one line instead of announced again one by one. */
  private async prime(): Promise<void> {
    this.primed = true
    const waiting = await this.store.read((q) => q.outbox.count('pending'))
    if (waiting > 0)
      this.log.info(
        { mail: { waiting } },
        `${waiting} message${waiting === 1 ? ' is' : 's are'} waiting in the outbox (no --smtp-url): gatehouse outbox`,
      )
  }
}
