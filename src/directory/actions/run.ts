import { isoNow } from '../../clock.js'
import { newId } from '../../ids.js'
import type { Queries } from '../../store/queries/index.js'
import type { DirectoryContext } from '../context.js'
import { type ApplyOutput, applyPart } from './apply.js'
import { planAction } from './plan.js'
import { buildResult, presentUsers } from './result.js'
import { executePart, unsentPart } from './send.js'
import type { ActionInputs, ActionName, ActionResult } from './types.js'

export interface RunActionOptions {
  /** Plan only: answer with the exact calls the action would make, and change nothing. */
  dryRun?: boolean
  /** Runs inside the transaction that records the action's effects, with the answer (idempotency records). */
  onResult?: (q: Queries, result: ActionResult) => Promise<void>
}

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
  const startedAt = isoNow(ctx.store.clock)
  const id = newId()
  const plan = await ctx.store.read((q) => planAction(q, action, input))

  if (options.dryRun) {
    const executed = plan.parts.map((part) => unsentPart(part, 'planned', part.blocked))
    const users = await ctx.store.read((q) => presentUsers(q, plan.userIds))
    const result = buildResult({ id, plan, executed, users, dryRun: true, startedAt, finishedAt: isoNow(ctx.store.clock) })
    const record = options.onResult
    if (record) await ctx.store.write((q) => record(q, result))
    return result
  }

  const executed = await Promise.all(plan.parts.map((part) => executePart(ctx, part)))
  // `write` may run its work again (a PostgreSQL serialization retry): everything it changes lives inside it.
  return ctx.store.write(async (q) => {
    const now = isoNow(ctx.store.clock)
    const output: ApplyOutput = { events: [], userIds: new Set(plan.userIds) }
    for (const part of executed) await applyPart(q, part, now, output)
    await q.dirEvents.append(output.events)
    const users = await presentUsers(q, [...output.userIds])
    const result = buildResult({ id, plan, executed, users, dryRun: false, startedAt, finishedAt: isoNow(ctx.store.clock) })
    await options.onResult?.(q, result)
    return result
  })
}

/** 207 when any part failed, so a client that only looks at the status still notices; 200 otherwise. */
export function httpStatusOf(result: ActionResult): 200 | 207 {
  return result.status === 'partial' || result.status === 'failed' ? 207 : 200
}
