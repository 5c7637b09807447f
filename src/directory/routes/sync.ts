import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { NotFoundError } from '../../errors.js'
import type { DirectoryContext } from '../context.js'
import { presentEach } from '../read.js'
import { Cursor, type DirectoryEventType, DirId, IdParams, Limit, listOf } from '../schemas/unified.js'
import { parseJson } from '../sync/present.js'
import { approveRun } from '../sync/run.js'
import { DirectoryEventSchema, presentRun, SyncRunSchema } from '../sync/schemas.js'
import { listRoute } from './list.js'

const RunState = Type.Union([Type.Literal('running'), Type.Literal('succeeded'), Type.Literal('failed'), Type.Literal('held')])
const SyncRunListQuery = Type.Object(
  { connection_id: Type.Optional(DirId), state: Type.Optional(RunState), limit: Type.Optional(Limit), cursor: Type.Optional(Cursor) },
  { additionalProperties: false },
)

/**
 * Sync runs and the change feed, inside the /directory plugin (which checks the directory API key).
 * Lists answer `{result, next_cursor}`; single objects are answered bare.
 */
export const syncRoutes: FastifyPluginAsyncTypebox<DirectoryContext> = async (app, ctx) => {
  // 202: the run is recorded and goes on in the background; poll GET /directory/sync-runs/{id}.
  app.post('/connections/:id/sync', { schema: { params: IdParams, response: { 202: SyncRunSchema } } }, async (req, reply) => {
    const run = await ctx.scheduler.trigger(req.params.id, 'api')
    return reply.status(202).send(presentRun(run))
  })

  // Newest first: the next page continues below the last id shown.
  listRoute(app, ctx, {
    path: '/sync-runs',
    name: 'directory/sync-runs',
    query: SyncRunListQuery,
    item: SyncRunSchema,
    read: async (q, { connection_id, state }, seek) =>
      presentEach(await q.dirRuns.list({ connectionId: connection_id, state }, seek), presentRun),
    key: (row) => row.id,
  })

  app.get('/sync-runs/:id', { schema: { params: IdParams, response: { 200: SyncRunSchema } } }, async (req) => {
    const run = await ctx.store.read((q) => q.dirRuns.find(req.params.id))
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
        response: { 200: listOf(DirectoryEventSchema) },
      },
    },
    async (req) => {
      const after = Number(req.query.after ?? 0)
      const limit = req.query.limit ?? 100
      const page = await ctx.store.read((q) => q.dirEvents.list(after, limit))
      const last = page.rows.at(-1)
      return {
        // eventBuilder is the feed's only writer: every stored type is a DirectoryEventType.
        result: page.rows.map((e) => ({ ...e, type: e.type as DirectoryEventType, data: parseJson<unknown>(e.data, null) })),
        // In seq order. null once the feed is read to its end: poll again later with after=<the last seq you read>.
        next_cursor: page.hasMore && last ? String(last.seq) : null,
      }
    },
  )
}
