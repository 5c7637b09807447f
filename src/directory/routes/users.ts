import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { DirectoryContext } from '../context.js'
import { getUser, listUsers } from '../read.js'
import { IdParams, UnifiedUserSchema, UserListQuery } from '../schemas/unified.js'
import { listRoute } from './list.js'

/** Unified users: one per (connection, account), members and pending invites; every status unless `status` narrows. */
export const userRoutes: FastifyPluginAsyncTypebox<DirectoryContext> = async (app, ctx) => {
  listRoute(app, ctx, {
    path: '/users',
    name: 'directory/users',
    query: UserListQuery,
    item: UnifiedUserSchema,
    read: listUsers,
    key: (row) => row.id,
  })

  app.get('/users/:id', { schema: { params: IdParams, response: { 200: UnifiedUserSchema } } }, async (req) =>
    ctx.store.read((q) => getUser(q, req.params.id)),
  )
}
