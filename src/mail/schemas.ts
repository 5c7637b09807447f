import { type Static, Type } from '@sinclair/typebox'

export const OutboxStatus = Type.Union([Type.Literal('pending'), Type.Literal('sending'), Type.Literal('sent'), Type.Literal('failed')])

const NullableString = Type.Union([Type.String(), Type.Null()])

/** A message as lists show it: who, what about, how it went. Never its body. */
export const OutboxMessage = Type.Object({
  id: Type.String(),
  to: Type.String(),
  kind: Type.String(),
  subject: Type.String(),
  status: OutboxStatus,
  /** Sends tried (a claim counts one, even if its process died mid-send). */
  attempts: Type.Integer(),
  /** The SMTP server's answer (or the connection error) of the latest failed attempt. */
  last_error: NullableString,
  /** When a pending message is tried next; null for the others. */
  next_attempt_at: NullableString,
  created_at: Type.String(),
  sent_at: NullableString,
})
export type OutboxMessage = Static<typeof OutboxMessage>

/** One message with its body: for the operator's (or instance admin's) eyes only, it holds links and codes. */
export const OutboxMessageWithBody = Type.Composite([OutboxMessage, Type.Object({ text: Type.String(), html: Type.String() })])
export type OutboxMessageWithBody = Static<typeof OutboxMessageWithBody>
