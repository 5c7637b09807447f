import { BodyTooLargeError } from '../../outbound/fetch.js'
import { RefusedTargetError } from '../../outbound/policy.js'
import { PRIORITY } from '../budget/remote-budget.js'
import { clientFor, refusalOf } from '../connections.js'
import { emptyStats, type RemoteStats, remoteError, remoteWords, type SegmentClient } from '../connectors/segment.js'
import type { DirectoryContext } from '../context.js'
import { describeError } from '../failure.js'
import type { CallOutcome, PartError, PlannedCall, PlannedPart } from './types.js'

/*
 * Sending a part's calls to its connection's remote. Failures are recorded per call, never thrown; a failed
 * gate call, or a 401, stops the connection's later calls (they are reported as not attempted).
 */

export interface ExecutedCall {
  call: PlannedCall
  outcome: CallOutcome
  status: number | null
  error: PartError | null
  answer: unknown
}

export interface ExecutedPart {
  part: PlannedPart
  calls: ExecutedCall[]
  stats: RemoteStats
  /** The first failure, or why nothing was sent. */
  error: PartError | null
  /** The remote answered 401: the connection needs a new token. */
  unauthorized: boolean
}

const unsentCall =
  (outcome: 'planned' | 'not_attempted') =>
  (call: PlannedCall): ExecutedCall => ({ call, outcome, status: null, error: null, answer: undefined })

/** A part that sends nothing: a dry run's (`planned`), or one that cannot run (`not_attempted`, with the reason). */
export function unsentPart(part: PlannedPart, outcome: 'planned' | 'not_attempted', error: PartError | null): ExecutedPart {
  return { part, calls: part.calls.map(unsentCall(outcome)), stats: emptyStats(), error, unauthorized: false }
}

/** Sends one connection's calls in order, unless the connection is blocked, its host refused or its token unreadable. */
export async function executePart(ctx: DirectoryContext, part: PlannedPart): Promise<ExecutedPart> {
  if (part.blocked) return unsentPart(part, 'not_attempted', part.blocked)
  const refused = refusalOf(ctx, part.connection.base_url)
  if (refused) return unsentPart(part, 'not_attempted', { type: 'host_not_allowed', status: null, message: `${refused}: nothing was sent` })
  const stats = emptyStats()
  let client: SegmentClient
  try {
    client = clientFor(ctx, part.connection, { priority: PRIORITY.action, stats })
  } catch (error) {
    const message = `The stored token of connection ${part.connection.name} cannot be read (${describeError(error, 500)}): nothing was sent`
    return unsentPart(part, 'not_attempted', { type: 'credentials', status: null, message })
  }
  return sendCalls(client, part, stats)
}

async function sendCalls(client: SegmentClient, part: PlannedPart, stats: RemoteStats): Promise<ExecutedPart> {
  const calls: ExecutedCall[] = []
  let stop: PartError | null = null
  let first: PartError | null = null
  let unauthorized = false
  for (const call of part.calls) {
    if (stop) {
      calls.push(unsentCall('not_attempted')(call))
      continue
    }
    const executed = await sendCall(client, call)
    calls.push(executed)
    if (!executed.error) continue
    if (executed.status === 401) {
      unauthorized = true
      stop = needsReauth(part, executed.answer)
      first = stop
    } else {
      first ??= executed.error
      if (call.gate) stop = executed.error
    }
  }
  return { part, calls, stats, error: first, unauthorized }
}

function needsReauth(part: PlannedPart, answer: unknown): PartError {
  const { message } = remoteWords(401, answer)
  return {
    type: 'needs_reauth',
    status: 401,
    message: `The remote answered 401 (${message}): connection ${part.connection.name} now needs a new token; its later calls were not sent`,
  }
}

async function sendCall(client: SegmentClient, call: PlannedCall): Promise<ExecutedCall> {
  let answer: { status: number; body: unknown }
  try {
    // The client waits out 429s and retries 5xx and network errors. Every call here is safe to repeat:
    // POST /invites for an email already pending re-sends that invite (never a second account) and for
    // a member answers 409; POST /groups/{id}/users of an email already in the group changes nothing;
    // DELETE /group/{id}/users of a non-member is a no-op; DELETE /users and DELETE /invites of what a
    // lost answer already removed answer 404. The last two are read as "already done" (see `judgeAnswer`).
    answer = await client.exchange({
      method: call.method,
      path: call.path,
      ...(call.query ? { query: call.query } : {}),
      ...(call.body !== undefined ? { body: call.body } : {}),
    })
  } catch (error) {
    const failure: PartError = { type: failureType(error), status: null, message: describeError(error, 500) }
    return { call, outcome: 'failed', status: null, error: failure, answer: undefined }
  }
  return judgeAnswer(call, answer.status, answer.body)
}

/** What the remote's answer means for a call: done, so already (`alreadyDone`), or failed in the remote's words. */
export function judgeAnswer(call: PlannedCall, status: number, body: unknown): ExecutedCall {
  if (status >= 200 && status < 300) return { call, outcome: 'succeeded', status, error: null, answer: body }
  if (call.alreadyDone.includes(status)) return { call, outcome: 'already_done', status, error: null, answer: body }
  const { type, message } = remoteError(status, body)
  return { call, outcome: 'failed', status, error: { type, status, message }, answer: body }
}

/** Why no answer came back: the host was refused, the answer was too large, time ran out, or the network. */
function failureType(error: unknown): string {
  if (error instanceof RefusedTargetError) return 'host_not_allowed'
  if (error instanceof BodyTooLargeError) return 'too_large'
  if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')) return 'timeout'
  return 'network'
}
