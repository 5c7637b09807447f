import type { ConnectionRow } from '../../store/queries/connections.js'
import type { Queries } from '../../store/queries/index.js'
import { encodeQuery } from '../connectors/segment.js'
import { presentUser } from '../present.js'
import type { UnifiedUser } from '../schemas/unified.js'
import { workspaceRef } from '../sync/present.js'
import type { ExecutedCall, ExecutedPart } from './send.js'
import type { ActionPlan, ActionResult, ActionStatus, CallOutcome, CallResult, PartResult, PartStatus } from './types.js'

/* The answer to an action: every call and its outcome, per connection, with the accounts as they now are. */

export interface ResultInput {
  id: string
  plan: ActionPlan
  executed: ExecutedPart[]
  users: UnifiedUser[]
  dryRun: boolean
  startedAt: string
  finishedAt: string
}

export function buildResult({ id, plan, executed, users, dryRun, startedAt, finishedAt }: ResultInput): ActionResult {
  const calls = executed.flatMap((e) => e.calls.map((c) => callResult(e.part.connection, c)))
  const connections = executed.map((e) => partResult(e, dryRun))
  const count = (o: CallOutcome) => calls.filter((c) => c.outcome === o).length
  return {
    id,
    action: plan.action,
    dry_run: dryRun,
    status: actionStatus(connections, calls, dryRun),
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
    finished_at: finishedAt,
  }
}

/** The accounts as the read API (`GET /directory/users/{id}`) shows them now. */
export async function presentUsers(q: Queries, ids: readonly string[]): Promise<UnifiedUser[]> {
  const users: UnifiedUser[] = []
  const connections = new Map<string, ConnectionRow | undefined>()
  for (const id of ids) {
    const row = await q.dirActions.findUser(id)
    if (!row) continue
    if (!connections.has(row.connection_id)) connections.set(row.connection_id, await q.connections.find(row.connection_id))
    const connection = connections.get(row.connection_id)
    if (!connection) continue
    users.push(presentUser(row, connection, row.status === 'deleted' ? [] : await q.dirActions.groupsOfUser(row.id)))
  }
  return users
}

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

function partResult(executed: ExecutedPart, dryRun: boolean): PartResult {
  const { part, stats } = executed
  return {
    connection_id: part.connection.id,
    connection_name: part.connection.name,
    workspace: workspaceRef(part.connection),
    status: partStatus(executed, dryRun),
    error: executed.error,
    noops: part.noops,
    requests: stats.requests,
    retries: stats.retries,
    rate_limited: stats.rateLimited,
    waited_ms: Math.round(stats.waitedMs),
  }
}

const done = (o: CallOutcome) => o === 'succeeded' || o === 'already_done'

export function partStatus(executed: Pick<ExecutedPart, 'part' | 'calls' | 'error'>, dryRun: boolean): PartStatus {
  if (executed.part.blocked || (executed.error && executed.calls.length === 0)) return 'failed'
  if (executed.calls.length === 0) return 'noop'
  if (dryRun) return 'planned'
  const ok = executed.calls.filter((c) => done(c.outcome)).length
  if (ok === executed.calls.length) return 'succeeded'
  return ok > 0 ? 'partial' : 'failed'
}

/** A dry run is `planned` (or `noop`); a run is `partial` or `failed` when any connection's part failed. */
export function actionStatus(
  connections: readonly Pick<PartResult, 'status'>[],
  calls: readonly Pick<CallResult, 'outcome'>[],
  dryRun: boolean,
): ActionStatus {
  const failedParts = connections.some((c) => c.status === 'failed' || c.status === 'partial')
  const anyDone = calls.some((c) => done(c.outcome))
  if (dryRun) return calls.length > 0 || failedParts ? 'planned' : 'noop'
  if (failedParts) return anyDone ? 'partial' : 'failed'
  return anyDone ? 'succeeded' : 'noop'
}
