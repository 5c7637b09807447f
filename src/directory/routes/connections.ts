import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { createConnection, deleteConnection, findConnection, rotateToken } from '../connections.js'
import type { DirectoryContext } from '../context.js'
import { presentConnection } from '../present.js'
import { presentEach } from '../read.js'
import { ConnectionListQuery, ConnectionSchema, CreateConnectionBody, DeletedOutput, RotateTokenBody } from '../schemas/connections.js'
import { IdParams } from '../schemas/unified.js'
import { listRoute } from './list.js'

/**
 * Connections to remote workspaces, one token each. Answers never carry the token: the response schema
 * has no field for it, so the serializer could not send it even by mistake.
 */
export const connectionRoutes: FastifyPluginAsyncTypebox<DirectoryContext> = async (app, ctx) => {
  app.post('/connections', { schema: { body: CreateConnectionBody, response: { 201: ConnectionSchema } } }, async (req, reply) => {
    const row = await createConnection(ctx, req.body)
    return reply.status(201).send(presentConnection(row))
  })

  listRoute(app, ctx, {
    path: '/connections',
    name: 'directory/connections',
    query: ConnectionListQuery,
    item: ConnectionSchema,
    read: async (q, _filters, seek) => presentEach(await q.connections.list(seek), presentConnection),
    key: (row) => row.id,
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
