import { newId } from '../../ids.js'
import { BodyTooLargeError } from '../../outbound/fetch.js'
import { RefusedTargetError } from '../../outbound/policy.js'
import type { ConnectionRow } from '../../store/queries/connections.js'
import type { DirGroupRow, DirUserRow, NewDirEvent } from '../../store/queries/dir-sync.js'
import type { Queries } from '../../store/queries/index.js'
import { PRIORITY } from '../budget/remote-budget.js'
import { refusalOf } from '../connections.js'
import { emptyStats, encodeQuery, type RemoteStats, type SegmentClient } from '../connectors/segment.js'
import { clientFor, type DirectoryContext } from '../context.js'
import type { DirectoryEventType, UnifiedUser } from '../model.js'
import { presentUser as presentForRead } from '../present.js'
import { canonicalJson } from '../sync/fingerprint.js'
import { emailKey, groupFingerprint, tombstone, userFingerprint } from '../sync/plan.js'
import { parseJson, presentGroup, presentMembership, presentUser, workspaceRef } from '../sync/present.js'
import { planAction } from './plan.js'
import type {
  ActionInputs,
  ActionName,
  ActionPlan,
  ActionResult,
  ActionStatus,
  CallOutcome,
  CallResult,
  PartError,
  PartResult,
  PartStatus,
  PlannedCall,
  PlannedPart,
} from './types.js'

export interface RunActionOptions {
  /** Plan only: answer with the exact calls the action would make, and change nothing. */
  dryRun?: boolean
  /** Runs inside the transaction that records the action's effects, with the answer (idempotency records). */
  onResult?: (q: Queries, result: ActionResult) => Promise<void>
}

interface ExecutedCall {
  call: PlannedCall
  outcome: CallOutcome
  status: number | null
  error: PartError | null
  answer: unknown
}

interface ExecutedPart {
  part: PlannedPart
  calls: ExecutedCall[]
  stats: RemoteStats
  /** The first failure, or why nothing was sent. */
  error: PartError | null
  /** The remote answered 401: the connection needs a new token. */
  unauthorized: boolean
}

const iso = () => new Date().toISOString()

/**
 * Plans an action from the directory, then (unless it is a dry run) sends its calls, each connection's in
 * order and the connections in parallel, and records what succeeded in the directory at once, with its
 * change events, in one transaction. Failures are reported per call and per connection, never thrown:
 * only a request that cannot be planned (unknown ids, a refused action) rejects, before anything is sent.
 */
export async function runAction<A extends ActionName>(
  ctx: DirectoryContext,
  action: A,
  input: ActionInputs[A],
  options: RunActionOptions = {},
): Promise<ActionResult> {
  const startedAt = iso()
  const id = newId()
  const plan = await ctx.store.read((q) => planAction(q, action, input))

  if (options.dryRun) {
    const users = await ctx.store.read((q) => presentUsers(q, plan.userIds))
    const result = buildResult(id, plan, planned(plan), users, true, startedAt)
    const record = options.onResult
    if (record) await ctx.store.write((q) => record(q, result))
    return result
  }

  const executed = await Promise.all(plan.parts.map((part) => executePart(ctx, part)))
  // `write` may run its work again (a PostgreSQL serialization retry): everything it changes lives inside it.
  return ctx.store.write(async (q) => {
    const now = iso()
    const userIds = new Set(plan.userIds)
    const events: NewDirEvent[] = []
    for (const part of executed) await applyPart(q, part, now, events, userIds)
    await q.dirSync.appendEvents(events)
    const result = buildResult(id, plan, executed, await presentUsers(q, [...userIds]), false, startedAt)
    await options.onResult?.(q, result)
    return result
  })
}

/** 207 when any part failed, so a client that only looks at the status still notices; 200 otherwise. */
export function httpStatusOf(result: ActionResult): 200 | 207 {
  return result.status === 'partial' || result.status === 'failed' ? 207 : 200
}

function planned(plan: ActionPlan): ExecutedPart[] {
  return plan.parts.map((part) => ({
    part,
    calls: part.calls.map((call) => ({ call, outcome: 'planned' as const, status: null, error: null, answer: undefined })),
    stats: emptyStats(),
    error: part.blocked,
    unauthorized: false,
  }))
}

async function executePart(ctx: DirectoryContext, part: PlannedPart): Promise<ExecutedPart> {
  const stats = emptyStats()
  const notSent = (call: PlannedCall): ExecutedCall => ({ call, outcome: 'not_attempted', status: null, error: null, answer: undefined })
  if (part.blocked) return { part, calls: part.calls.map(notSent), stats, error: part.blocked, unauthorized: false }
  const refused = refusalOf(ctx, part.connection.base_url)
  if (refused) {
    const failure: PartError = { type: 'host_not_allowed', status: null, message: `${refused}: nothing was sent` }
    return { part, calls: part.calls.map(notSent), stats, error: failure, unauthorized: false }
  }
  let client: SegmentClient
  try {
    client = clientFor(ctx, part.connection, { priority: PRIORITY.action, stats })
  } catch (error) {
    const failure: PartError = {
      type: 'credentials',
      status: null,
      message: `The stored token of connection ${part.connection.name} cannot be read (${describe(error)}): nothing was sent`,
    }
    return { part, calls: part.calls.map(notSent), stats, error: failure, unauthorized: false }
  }

  const calls: ExecutedCall[] = []
  let stop: PartError | null = null
  let first: PartError | null = null
  let unauthorized = false
  for (const call of part.calls) {
    if (stop) {
      calls.push(notSent(call))
      continue
    }
    let answer: { status: number; body: unknown }
    try {
      // The client waits out 429s and retries 5xx and network errors. Every call here is safe to repeat:
      // POST /invites for an email already pending re-sends that invite (never a second account) and for
      // a member answers 409; POST /groups/{id}/users of an email already in the group changes nothing;
      // DELETE /group/{id}/users of a non-member is a no-op; DELETE /users and DELETE /invites of what a
      // lost answer already removed answer 404. The last two are read as "already done" below.
      answer = await client.exchange({
        method: call.method,
        path: call.path,
        ...(call.query ? { query: call.query } : {}),
        ...(call.body !== undefined ? { body: call.body } : {}),
      })
    } catch (error) {
      const failure: PartError = { type: failureType(error), status: null, message: describe(error) }
      calls.push({ call, outcome: 'failed', status: null, error: failure, answer: undefined })
      first ??= failure
      if (call.gate) stop = failure
      continue
    }
    const { status, body } = answer
    if (status >= 200 && status < 300) {
      calls.push({ call, outcome: 'succeeded', status, error: null, answer: body })
      continue
    }
    if (call.alreadyDone.includes(status)) {
      calls.push({ call, outcome: 'already_done', status, error: null, answer: body })
      continue
    }
    const failure = remoteFailure(status, body)
    calls.push({ call, outcome: 'failed', status, error: failure, answer: body })
    if (status === 401) {
      unauthorized = true
      stop = {
        type: 'needs_reauth',
        status,
        message: `The remote answered 401 (${remoteMessage(status, body).message}): connection ${part.connection.name} now needs a new token; its later calls were not sent`,
      }
      first = stop
    } else {
      first ??= failure
      if (call.gate) stop = failure
    }
  }
  return { part, calls, stats, error: first, unauthorized }
}

/** The remote's own words for a failure: the first entry of its error envelope, or the start of whatever it sent. */
function remoteMessage(status: number, body: unknown): { type: string; message: string } {
  const e = (body as { errors?: { type?: string; message?: string }[] } | undefined)?.errors?.[0]
  const message = e?.message ?? (typeof body === 'string' && body !== '' ? body.slice(0, 200) : `HTTP ${status}`)
  return { type: e?.type ?? 'unknown', message }
}

function remoteFailure(status: number, body: unknown): PartError {
  const { type, message } = remoteMessage(status, body)
  return { type, status, message: `Remote answered ${status}: ${message}` }
}

/** Why no answer came back: the host was refused, the answer was too large, time ran out, or the network. */
function failureType(error: unknown): string {
  if (error instanceof RefusedTargetError) return 'host_not_allowed'
  if (error instanceof BodyTooLargeError) return 'too_large'
  if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')) return 'timeout'
  return 'network'
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error).slice(0, 500)
  const cause = error.cause instanceof Error ? `: ${error.cause.message}` : ''
  return `${error.message}${cause}`.slice(0, 500)
}

// --- the directory, updated from the remote's answers ---

async function applyPart(q: Queries, executed: ExecutedPart, now: string, events: NewDirEvent[], userIds: Set<string>): Promise<void> {
  const connection = await q.connections.find(executed.part.connection.id)
  if (!connection) return // deleted while the calls ran: its rows are gone with it
  const workspace = workspaceRef(connection)
  if (executed.unauthorized)
    await q.connections.update(connection.id, {
      status: 'needs_reauth',
      status_detail: executed.error?.message ?? 'The remote answered 401',
      updated_at: now,
    })
  const event = (type: DirectoryEventType, subjectId: string, data: unknown): NewDirEvent => ({
    id: newId(),
    type,
    connection_id: connection.id,
    subject_id: subjectId,
    sync_run_id: null,
    data: JSON.stringify(data),
    created_at: now,
  })
  /** User events whose payload (with the user's groups) is written once the part's memberships are in. */
  const pending: { event: NewDirEvent; userId: string; previous?: UnifiedUser }[] = []

  const setMemberCount = async (group: DirGroupRow, count: number) => {
    if (group.member_count === count || group.deleted_at !== null) return
    const remoteData = canonicalJson({ ...parseJson<Record<string, unknown>>(group.remote_data, {}), memberCount: count })
    const changes = { member_count: count, remote_data: remoteData }
    const after: DirGroupRow = { ...group, ...changes, fingerprint: groupFingerprint({ ...group, ...changes }) }
    await q.dirActions.updateGroup(group.id, { ...changes, fingerprint: after.fingerprint })
    events.push(event('group.updated', group.id, { ...presentGroup(after, workspace), previous: presentGroup(group, workspace) }))
  }

  const removeMembership = async (group: DirGroupRow, user: DirUserRow) => {
    const membership = await q.dirActions.findMembership(group.id, user.id)
    if (!membership || !(await q.dirActions.removeMembership(group.id, user.id))) return
    events.push(event('membership.removed', user.id, presentMembership(group, user, workspace, membership.created_at)))
    // Segment's memberCount counts members, not pending invites.
    if (user.status === 'active' && group.member_count > 0) await setMemberCount(group, group.member_count - 1)
  }

  for (const { call, outcome, answer } of executed.calls) {
    if (outcome !== 'succeeded' && outcome !== 'already_done') continue
    const effect = call.effect
    if (effect.kind === 'invite') {
      if (outcome !== 'succeeded') continue // 409: a member the directory has not synced yet; the next run brings it
      const email = (answer as { data?: { emails?: string[] } } | undefined)?.data?.emails?.[0] ?? effect.email
      // Exactly what a sync stores for an invite, so the next run finds the row unchanged.
      const fields = {
        remote_id: null,
        email,
        name: null,
        status: 'invited' as const,
        roles: canonicalJson([]),
        remote_data: canonicalJson({ invite: email }),
      }
      const changes = { ...fields, fingerprint: userFingerprint(fields), last_seen_at: now, last_changed_at: now, deleted_at: null }
      const existing = await q.dirActions.findAccount(connection.id, emailKey(email))
      if (!existing) {
        const row = { id: newId(), connection_id: connection.id, email_key: emailKey(email), first_seen_at: now, ...changes }
        await q.dirActions.insertUser(row)
        const e = event('user.created', row.id, null)
        events.push(e)
        pending.push({ event: e, userId: row.id })
        userIds.add(row.id)
      } else if (existing.status === 'deleted') {
        await q.dirActions.updateUser(existing.id, changes)
        const e = event('user.reactivated', existing.id, null)
        events.push(e)
        pending.push({ event: e, userId: existing.id, previous: presentUser(existing, workspace, []) })
        userIds.add(existing.id)
      } else userIds.add(existing.id) // a sync recorded it meanwhile
    } else if (effect.kind === 'add') {
      const group = await q.dirActions.findGroup(effect.groupId)
      const user =
        effect.userId !== null ? await q.dirActions.findUser(effect.userId) : await q.dirActions.findAccount(connection.id, effect.emailKey)
      if (!group || group.deleted_at !== null || !user || user.status === 'deleted') continue
      userIds.add(user.id)
      if (await q.dirActions.addMembership({ group_id: group.id, user_id: user.id, connection_id: connection.id, created_at: now }))
        events.push(event('membership.added', user.id, presentMembership(group, user, workspace, now)))
      const count = (answer as { data?: { userGroup?: { memberCount?: unknown } } } | undefined)?.data?.userGroup?.memberCount
      if (typeof count === 'number') await setMemberCount(group, count)
    } else if (effect.kind === 'remove') {
      const group = await q.dirActions.findGroup(effect.groupId)
      const user = await q.dirActions.findUser(effect.userId)
      if (!group || !user) continue
      await removeMembership(group, user)
    } else if (effect.kind === 'delete') {
      const user = await q.dirActions.findUser(effect.userId)
      if (!user || user.status === 'deleted') continue
      for (const m of await q.dirActions.membershipsOfUser(user.id)) {
        const group = await q.dirActions.findGroup(m.group_id)
        if (group) await removeMembership(group, user)
      }
      const dead = tombstone(user, now, connection.last_complete_sync_at)
      await q.dirActions.updateUser(user.id, dead.changes)
      events.push(event('user.deleted', user.id, presentUser(dead.row, workspace, [])))
    }
  }

  for (const { event: e, userId, previous } of pending) {
    const row = await q.dirActions.findUser(userId)
    if (!row) continue
    const after = presentUser(row, workspace, await q.dirActions.groupsOfUser(row.id))
    e.data = JSON.stringify(previous ? { ...after, previous } : after)
  }
}

/** The accounts as the read API (`GET /directory/users/{id}`) shows them now. */
async function presentUsers(q: Queries, ids: readonly string[]): Promise<UnifiedUser[]> {
  const users: UnifiedUser[] = []
  const connections = new Map<string, ConnectionRow | undefined>()
  for (const id of ids) {
    const row = await q.dirActions.findUser(id)
    if (!row) continue
    if (!connections.has(row.connection_id)) connections.set(row.connection_id, await q.connections.find(row.connection_id))
    const connection = connections.get(row.connection_id)
    if (!connection) continue
    users.push(presentForRead(row, connection, row.status === 'deleted' ? [] : await q.dirActions.groupsOfUser(row.id)))
  }
  return users
}

// --- the answer ---

function callResult(connection: ConnectionRow, executed: ExecutedCall): CallResult {
  const { call } = executed
  const query = call.query ? encodeQuery(call.query) : ''
  return {
    connection_id: connection.id,
    description: call.description,
    method: call.method,
    path: call.path,
    query: call.query ?? null,
    body: call.body ?? null,
    url: `${connection.base_url.replace(/\/+$/, '')}${call.path}${query ? `?${query}` : ''}`,
    outcome: executed.outcome,
    status: executed.status,
    error: executed.error,
  }
}

const done = (o: CallOutcome) => o === 'succeeded' || o === 'already_done'

function partStatus(executed: ExecutedPart, dryRun: boolean): PartStatus {
  if (executed.part.blocked || (executed.error && executed.calls.length === 0)) return 'failed'
  if (executed.calls.length === 0) return 'noop'
  if (dryRun) return 'planned'
  const ok = executed.calls.filter((c) => done(c.outcome)).length
  if (ok === executed.calls.length) return 'succeeded'
  return ok > 0 ? 'partial' : 'failed'
}

function buildResult(
  id: string,
  plan: ActionPlan,
  executed: ExecutedPart[],
  users: UnifiedUser[],
  dryRun: boolean,
  startedAt: string,
): ActionResult {
  const calls = executed.flatMap((e) => e.calls.map((c) => callResult(e.part.connection, c)))
  const connections: PartResult[] = executed.map((e) => ({
    connection_id: e.part.connection.id,
    connection_name: e.part.connection.name,
    workspace: workspaceRef(e.part.connection),
    status: partStatus(e, dryRun),
    error: e.error,
    noops: e.part.noops,
    requests: e.stats.requests,
    retries: e.stats.retries,
    rate_limited: e.stats.rateLimited,
    waited_ms: Math.round(e.stats.waitedMs),
  }))
  const count = (o: CallOutcome) => calls.filter((c) => c.outcome === o).length
  const failedParts = connections.some((c) => c.status === 'failed' || c.status === 'partial')
  const anyDone = calls.some((c) => done(c.outcome))
  let status: ActionStatus
  if (dryRun) status = calls.length > 0 || failedParts ? 'planned' : 'noop'
  else if (failedParts) status = anyDone ? 'partial' : 'failed'
  else status = anyDone ? 'succeeded' : 'noop'
  return {
    id,
    action: plan.action,
    dry_run: dryRun,
    status,
    summary: {
      calls: calls.length,
      succeeded: count('succeeded'),
      already_done: count('already_done'),
      failed: count('failed'),
      not_attempted: count('not_attempted'),
    },
    connections,
    calls,
    notes: plan.notes,
    users,
    started_at: startedAt,
    finished_at: iso(),
  }
}
