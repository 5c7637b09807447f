import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { createConnection, deleteConnection, findConnection, rotateToken } from '../connections.js'
import type { DirectoryContext } from '../context.js'
import { presentConnection } from '../present.js'
import { ListCursors } from '../read.js'
import { ConnectionListQuery, ConnectionSchema, CreateConnectionBody, DeletedOutput, RotateTokenBody } from '../schemas/connections.js'
import { IdParams, listOf } from '../schemas/unified.js'

const LIST = 'directory/connections'

/**
 * Connections to remote workspaces, one token each. Answers never carry the token: the response schema
 * has no field for it, so the serializer could not send it even by mistake.
 */
export const connectionRoutes: FastifyPluginAsyncTypebox<DirectoryContext> = async (app, ctx) => {
  const cursors = new ListCursors(ctx.store.secret)

  app.post('/connections', { schema: { body: CreateConnectionBody, response: { 201: ConnectionSchema } } }, async (req, reply) => {
    const row = await createConnection(ctx, req.body)
    return reply.status(201).send(presentConnection(row))
  })

  app.get('/connections', { schema: { querystring: ConnectionListQuery, response: { 200: listOf(ConnectionSchema) } } }, async (req) => {
    const after = cursors.after(LIST, req.query.cursor)
    const rows = await ctx.store.read((q) => q.connections.list({ direction: 'after', key: after, limit: req.query.limit ?? 100 }))
    return { result: rows.rows.map(presentConnection), next_cursor: cursors.next(LIST, rows, (c) => c.id) }
  })

  app.get('/connections/:id', { schema: { params: IdParams, response: { 200: ConnectionSchema } } }, async (req) =>
    presentConnection(await findConnection(ctx, req.params.id)),
  )

  app.put(
    '/connections/:id/token',
    { schema: { params: IdParams, body: RotateTokenBody, response: { 200: ConnectionSchema } } },
    async (req) => presentConnection(await rotateToken(ctx, req.params.id, req.body.token)),
  )

  // `{id}` as the unified API's deletes answer (Truto's shape), not Segment's `{data:{status}}`: this is the directory's own API.
  app.delete('/connections/:id', { schema: { params: IdParams, response: { 200: DeletedOutput } } }, async (req) => {
    await deleteConnection(ctx, req.params.id)
    return { id: req.params.id }
  })
}
