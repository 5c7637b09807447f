import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { IDEMPOTENCY_HEADER, requestHash, withIdempotencyKey } from '../actions/idempotency.js'
import { httpStatusOf, runAction } from '../actions/run.js'
import { ACTION_BODIES, ActionResultSchema } from '../actions/schemas.js'
import type { ActionInputs, ActionName } from '../actions/types.js'
import type { DirectoryContext } from '../context.js'

/**
 * `POST /directory/actions/{invite|add_to_groups|remove_from_groups|remove_from_all_groups|offboard}`, inside
 * the /directory plugin (which checks the directory API key). The answer lists every remote call and its
 * outcome: 200 when all went through (or there was nothing to do, or it was a dry run), 207 when any
 * connection's part failed. A request the directory cannot plan (unknown ids, a refused action) is an error
 * envelope, and nothing was sent. `Idempotency-Key` makes a retry answer what the first request answered.
 */
export const actionRoutes: FastifyPluginAsyncTypebox<DirectoryContext> = async (app, ctx) => {
  for (const [name, schema] of Object.entries(ACTION_BODIES) as [ActionName, (typeof ACTION_BODIES)[ActionName]][]) {
    app.post(
      `/actions/${name}`,
      { schema: { body: schema, response: { 200: ActionResultSchema, 207: ActionResultSchema } } },
      async (req, reply) => {
        const { dry_run, ...input } = req.body as unknown as ActionInputs[ActionName] & { dry_run?: boolean }
        const header = req.headers[IDEMPOTENCY_HEADER]
        const key = Array.isArray(header) ? header[0] : header
        if (key === undefined) {
          const result = await runAction(ctx, name, input, { dryRun: dry_run === true })
          return reply.status(httpStatusOf(result)).send(result)
        }
        const outcome = await withIdempotencyKey(ctx, { apiKeyId: req.apiKeyId, key, hash: requestHash(name, req.body) }, (record) =>
          runAction(ctx, name, input, {
            dryRun: dry_run === true,
            // Stored in the transaction that records the action's effects: both happen, or neither.
            onResult: (q, result) => record(q, httpStatusOf(result), result),
          }),
        )
        if (outcome.kind === 'replay')
          return reply
            .status(outcome.status as 200 | 207)
            .header('idempotent-replayed', 'true')
            .send(outcome.body as never)
        return reply.status(httpStatusOf(outcome.value)).send(outcome.value)
      },
    )
  }
}
