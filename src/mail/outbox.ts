import type { CredentialCipher } from '../auth/credentials.js'
import { ConflictError, NotFoundError } from '../errors.js'
import { newId } from '../ids.js'
import type { Queries } from '../store/queries/index.js'
import type { OutboxEntry } from '../store/queries/outbox.js'
import type { Rows, Seek } from '../store/queries/page.js'
import type { OutboxStatus } from '../store/tables.js'
import type { CursorCodec } from '../wire/cursor.js'
import { type PaginationInput, paginate } from '../wire/pagination.js'
import type { OutboxMessage, OutboxMessageWithBody } from './schemas.js'

/** One message, as every part of Gatehouse that writes mail hands it over. */
export interface MailMessage {
  to: string
  /** What it is about (`password_reset`, `invitation`, …): the log line and the outbox name it, never its body. */
  kind: string
  subject: string
  text: string
  html: string
}

/**
 * Puts a message in the outbox, in the caller's transaction: it is sent (by any running server) only if the
 * change that wrote it commits. The body is sealed, since it carries single-use links and codes.
 */
export async function queueMail(q: Queries, cipher: CredentialCipher, message: MailMessage, now = q.clock.now()): Promise<string> {
  const id = newId()
  const at = now.toISOString()
  await q.outbox.insert({
    id,
    to_address: message.to,
    kind: message.kind,
    subject: message.subject,
    body_sealed: cipher.seal(JSON.stringify({ text: message.text, html: message.html })),
    status: 'pending',
    next_attempt_at: at,
    last_error: null,
    owner: null,
    heartbeat_at: null,
    created_at: at,
    sent_at: null,
  })
  return id
}

/** A message's body, opened. */
export interface MailBody {
  text: string
  html: string
}

export function openBody(cipher: CredentialCipher, sealed: string): MailBody {
  const { text, html } = JSON.parse(cipher.open(sealed)) as Partial<MailBody>
  return { text: text ?? '', html: html ?? '' }
}

/*
 * Reading the outbox: the operator API, the CLI and the console's instance admins all read it
 * through these. Lists never carry bodies; one message does, opened, for whoever may read links.
 */

export function presentMessage(row: OutboxEntry): OutboxMessage {
  return {
    id: row.id,
    to: row.to_address,
    kind: row.kind,
    subject: row.subject,
    status: row.status,
    attempts: Number(row.attempts),
    last_error: row.last_error,
    next_attempt_at: row.status === 'pending' ? row.next_attempt_at : null,
    created_at: row.created_at,
    sent_at: row.sent_at,
  }
}

/** Newest first, optionally one status only. */
export async function listOutbox(q: Queries, seek: Seek, status?: OutboxStatus): Promise<Rows<OutboxMessage>> {
  const { rows, hasMore } = await q.outbox.list(seek, status)
  return { rows: rows.map(presentMessage), hasMore }
}

/** One keyset page of the outbox, newest first; the list's name holds the filter, so a cursor works only with it. */
export function outboxPage(q: Queries, cursors: CursorCodec, list: string, input: PaginationInput | undefined, status?: OutboxStatus) {
  return paginate(
    cursors,
    `${list}:${status ?? 'all'}`,
    input,
    (seek) => listOutbox(q, seek, status),
    (m) => [m.id],
    () => q.outbox.count(status),
  )
}

export async function readMessage(q: Queries, cipher: CredentialCipher, id: string): Promise<OutboxMessageWithBody> {
  const row = await q.outbox.find(id)
  if (!row) throw new NotFoundError(`Message ${id}`, 'messageId')
  return { ...presentMessage(row), ...openBody(cipher, row.body_sealed) }
}

/** Sends a failed message again, with a fresh round of attempts, as soon as a server with SMTP gets to it. */
export async function retryMessage(q: Queries, id: string, now = q.clock.now()): Promise<OutboxMessage> {
  const retried = await q.outbox.retry(id, now.toISOString())
  const row = await q.outbox.find(id)
  if (!row) throw new NotFoundError(`Message ${id}`, 'messageId')
  if (!retried) throw new ConflictError(`Message ${id} is ${row.status}: only a failed message can be retried`)
  return presentMessage(row)
}
