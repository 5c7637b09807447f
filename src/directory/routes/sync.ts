import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { NotFoundError, ValidationError } from '../../errors.js'
import { CursorCodec } from '../../wire/cursor.js'
import type { DirectoryContext } from '../context.js'
import { parseJson } from '../sync/present.js'
import { approveRun } from '../sync/run.js'
import { schedulerFor } from '../sync/scheduler.js'
import { DirectoryEventSchema, presentRun, SyncRunSchema } from '../sync/schemas.js'

const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 255 }) })
const Limit = Type.Integer({ minimum: 1, maximum: 1000, default: 100 })
const RunState = Type.Union([Type.Literal('running'), Type.Literal('succeeded'), Type.Literal('failed'), Type.Literal('held')])
const RUNS_LIST = 'directory/sync-runs'

/**
 * Sync runs and the change feed, inside the /directory plugin (which checks the directory API key).
 * Lists answer `{result, next_cursor}`; single objects are answered bare.
 */
export const syncRoutes: FastifyPluginAsyncTypebox<DirectoryContext> = async (app, ctx) => {
  const cursors = new CursorCodec(ctx.store.secret)

  // 202: the run is recorded and goes on in the background; poll GET /directory/sync-runs/{id}.
  app.post('/connections/:id/sync', { schema: { params: IdParams, response: { 202: SyncRunSchema } } }, async (req, reply) => {
    const run = await schedulerFor(ctx).trigger(req.params.id, 'api')
    return reply.status(202).send(presentRun(run))
  })

  app.get(
    '/sync-runs',
    {
      schema: {
        querystring: Type.Object(
          {
            connection_id: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
            state: Type.Optional(RunState),
            limit: Type.Optional(Limit),
            cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 2048 })),
          },
          { additionalProperties: false },
        ),
        response: { 200: Type.Object({ result: Type.Array(SyncRunSchema), next_cursor: Type.Union([Type.String(), Type.Null()]) }) },
      },
    },
    async (req) => {
      const { connection_id, state, limit = 100, cursor } = req.query
      let before: string | null = null
      if (cursor !== undefined) {
        try {
          before = cursors.decode(RUNS_LIST, cursor).key?.[0] ?? null
        } catch {
          throw new ValidationError('cursor is not a cursor this list issued', 'cursor')
        }
      }
      const page = await ctx.store.read((q) =>
        q.dirSync.listRuns({ ...(connection_id ? { connectionId: connection_id } : {}), ...(state ? { state } : {}), before, limit }),
      )
      const last = page.rows.at(-1)
      return {
        result: page.rows.map(presentRun),
        // Newest first: the next page continues below the last id shown.
        next_cursor: page.hasMore && last ? cursors.encode(RUNS_LIST, { direction: 'after', key: [last.id] }) : null,
      }
    },
  )

  app.get('/sync-runs/:id', { schema: { params: IdParams, response: { 200: SyncRunSchema } } }, async (req) => {
    const run = await ctx.store.read((q) => q.dirSync.findRun(req.params.id))
    if (!run) throw new NotFoundError(`Sync run ${req.params.id}`, 'id')
    return presentRun(run)
  })

  app.post('/sync-runs/:id/approve', { schema: { params: IdParams, response: { 200: SyncRunSchema } } }, async (req) =>
    presentRun(await approveRun(ctx, req.params.id)),
  )

  app.get(
    '/events',
    {
      schema: {
        querystring: Type.Object(
          { after: Type.Optional(Type.String({ pattern: '^[0-9]{1,15}$' })), limit: Type.Optional(Limit) },
          { additionalProperties: false },
        ),
        response: { 200: Type.Object({ result: Type.Array(DirectoryEventSchema), next_cursor: Type.Union([Type.String(), Type.Null()]) }) },
      },
    },
    async (req) => {
      const after = Number(req.query.after ?? 0)
      const limit = req.query.limit ?? 100
      const page = await ctx.store.read((q) => q.dirSync.listEvents(after, limit))
      const last = page.rows.at(-1)
      return {
        result: page.rows.map((e) => ({ ...e, data: parseJson<unknown>(e.data, null) })),
        // In seq order. null once the feed is read to its end: poll again later with after=<the last seq you read>.
        next_cursor: page.hasMore && last ? String(last.seq) : null,
      }
    },
  )
}
