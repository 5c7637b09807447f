import { createTransport } from 'nodemailer'
import type { CredentialCipher } from '../auth/credentials.js'
import { abandonment, keepBeating, PROCESS_OWNER } from '../directory/liveness.js'
import type { Queries } from '../store/queries/index.js'
import type { ClaimSeen, OutboxRow } from '../store/queries/outbox.js'
import type { Store } from '../store/store.js'
import { type MailBody, openBody } from './outbox.js'
import { Poller } from './poller.js'

/*
 * Sends the outbox through SMTP. Any process may queue a message (a request, a CLI command, another replica);
 * every server with --smtp-url polls the outbox and claims due messages one at a time with a conditional
 * UPDATE (SERIALIZABLE on PostgreSQL, the single writer on SQLite), so each is sent by one process. A claim
 * beats while its message is being sent; a claim whose process died (liveness.ts) is taken over and sent
 * again: a crash between the SMTP server's 250 and the store recording it is the one way a message goes twice.
 */

export interface DeliveryOptions {
  /** How often the outbox is looked at, besides pokes. */
  pollMs: number
  /** The wait before the next attempt after the 1st, 2nd, … failed one; the last entry repeats. */
  retryDelaysMs: readonly number[]
  /** After this many failed attempts, a message is `failed` (an admin may retry it). */
  maxAttempts: number
  /** A claim that has not beaten for this long is abandoned (`--sync-stale-after`, as for sync runs). */
  staleMs: number
  /** On stop, a send under way gets this long to finish; then it is left to be taken over. */
  stopGraceMs: number
  /** Per SMTP exchange: connecting, the greeting, any silence after it. */
  smtpTimeoutMs: number
}

/** 30 s, 2 min, 10 min, 1 h, then every 3 h: eight attempts span about ten hours. */
export const DEFAULT_DELIVERY_OPTIONS: DeliveryOptions = {
  pollMs: 2_000,
  retryDelaysMs: [30_000, 120_000, 600_000, 3_600_000, 3 * 3_600_000],
  maxAttempts: 8,
  staleMs: 2 * 60_000,
  stopGraceMs: 5_000,
  smtpTimeoutMs: 60_000,
}

/** Where the worker reports: sends, failures, take-overs. Never a body. */
export interface MailLog {
  info(obj: object, msg: string): void
  warn(obj: object, msg: string): void
  error(obj: object, msg: string): void
}

/** How many due messages a claim looks at: the first still claimable wins. */
const CLAIM_LOOKAHEAD = 5
/** A stored error is the SMTP server's answer, which may quote a line of ours; no more than this. */
const MAX_ERROR_LENGTH = 500

export class MailDelivery {
  private readonly transport
  private readonly poller: Poller
  private readonly messageDomain: string

  constructor(
    private readonly store: Store,
    private readonly cipher: CredentialCipher,
    private readonly mail: { smtpUrl: string; from: string },
    private readonly log: MailLog,
    private readonly options: DeliveryOptions = DEFAULT_DELIVERY_OPTIONS,
  ) {
    const timeout = options.smtpTimeoutMs
    this.transport = createTransport({ url: mail.smtpUrl, connectionTimeout: timeout, greetingTimeout: timeout, socketTimeout: timeout })
    this.messageDomain = /@([^\s@>]+)>?$/.exec(mail.from)?.[1] ?? 'gatehouse'
    this.poller = new Poller(
      () => this.pass(),
      options.pollMs,
      (error) => this.log.warn({ err: error }, 'mail delivery pass failed'),
    )
  }

  start(): void {
    this.poller.start()
  }

  /** Looks at the outbox now (a message was just queued) instead of at the next poll. */
  poke(): void {
    this.poller.poke()
  }

  /** Claims no more; a send under way finishes within the grace, or is left claimed for a later process to take over. */
  async stop(): Promise<void> {
    await this.poller.stop(this.options.stopGraceMs)
    this.transport.close()
  }

  /** Sends due messages until none is left (or the worker stops). */
  private async pass(): Promise<void> {
    while (!this.poller.isStopped) {
      // A read first: an idle outbox costs no write lock (SQLite has one for every process on the file).
      if ((await this.store.read((q) => this.claimable(q, this.store.clock.ms()))).length === 0) return
      const message = await this.store.write((q) => this.claimNext(q))
      if (!message) return
      await this.deliver(message)
    }
  }

  /** What this process may claim: abandoned claims first, then the longest-waiting due messages. */
  private async claimable(q: Queries, now: number): Promise<ClaimSeen[]> {
    const abandoned = (await q.outbox.sending()).filter(
      (m) => abandonment(m.owner, m.heartbeat_at ?? new Date(0).toISOString(), this.options.staleMs, now) !== undefined,
    )
    return [...abandoned, ...(await q.outbox.due(new Date(now).toISOString(), CLAIM_LOOKAHEAD))]
  }

  /** The next message, claimed for this process: the first claimable one still as it was seen. */
  private async claimNext(q: Queries): Promise<OutboxRow | undefined> {
    const now = this.store.clock.ms()
    for (const seen of await this.claimable(q, now)) {
      if (!(await q.outbox.claim(seen, PROCESS_OWNER, new Date(now).toISOString()))) continue
      if (seen.status === 'sending')
        this.log.warn({ mail: { id: seen.id }, owner: seen.owner }, 'mail claim abandoned by its process: taken over')
      return q.outbox.find(seen.id)
    }
    return undefined
  }

  private async deliver(message: OutboxRow): Promise<void> {
    const stopBeating = keepBeating(this.options.staleMs, () =>
      this.store.write((q) => q.outbox.heartbeat(message.id, PROCESS_OWNER, q.clock.now().toISOString())),
    )
    let failure: string | undefined
    try {
      failure = await this.send(message)
    } finally {
      stopBeating()
    }
    const about = { mail: { id: message.id, to: message.to_address, kind: message.kind, attempts: message.attempts } }
    const line = `mail to ${message.to_address} about ${message.kind}`
    const now = this.store.clock.ms()
    if (failure === undefined) {
      const settled = await this.settle(message.id, { status: 'sent', sent_at: new Date(now).toISOString() })
      if (settled) this.log.info(about, `${line} sent`)
      return
    }
    const last = message.attempts >= this.options.maxAttempts
    const retryAt = new Date(now + this.retryDelay(message.attempts)).toISOString()
    const settled = await this.settle(message.id, { status: last ? 'failed' : 'pending', next_attempt_at: retryAt, last_error: failure })
    if (!settled) return
    if (last)
      this.log.error(
        { ...about, error: failure },
        `${line} not sent after ${message.attempts} attempts: gatehouse outbox show ${message.id}`,
      )
    else
      this.log.warn(
        { ...about, error: failure },
        `${line} not sent (attempt ${message.attempts} of ${this.options.maxAttempts}); next at ${retryAt}`,
      )
  }

  /** Undefined once the SMTP server accepted the message, else why not (its answer, never the body). */
  private async send(message: OutboxRow): Promise<string | undefined> {
    let body: MailBody
    try {
      body = openBody(this.cipher, message.body_sealed)
    } catch {
      return 'The message body does not open with this key'
    }
    try {
      await this.transport.sendMail({
        from: this.mail.from,
        to: message.to_address,
        subject: message.subject,
        text: body.text,
        html: body.html,
        // The same on every attempt: a receiver that saw the message already can tell a repeat.
        messageId: `<${message.id}@${this.messageDomain}>`,
      })
      return undefined
    } catch (error) {
      return (error instanceof Error ? error.message : String(error)).slice(0, MAX_ERROR_LENGTH)
    }
  }

  /** Records the outcome if the claim is still this process's (false: another took it over meanwhile). */
  private async settle(id: string, outcome: Parameters<Queries['outbox']['settle']>[2]): Promise<boolean> {
    const settled = await this.store.write((q) => q.outbox.settle(id, PROCESS_OWNER, outcome))
    if (!settled) this.log.warn({ mail: { id } }, 'mail claim was taken over while this process sent it: outcome not recorded')
    return settled
  }

  private retryDelay(attempts: number): number {
    const delays = this.options.retryDelaysMs
    return delays[Math.min(attempts, delays.length) - 1] ?? 0
  }
}
