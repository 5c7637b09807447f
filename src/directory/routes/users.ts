import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { DirectoryContext } from '../context.js'
import { getUser, ListCursors, listUsers } from '../read.js'
import { IdParams, listOf, UnifiedUserSchema, UserListQuery } from '../schemas/unified.js'

const LIST = 'directory/users'

/** Unified users: one per (connection, account), members and pending invites; every status unless `status` narrows. */
export const userRoutes: FastifyPluginAsyncTypebox<DirectoryContext> = async (app, ctx) => {
  const cursors = new ListCursors(ctx.store.secret)

  app.get('/users', { schema: { querystring: UserListQuery, response: { 200: listOf(UnifiedUserSchema) } } }, async (req) => {
    const { limit = 100, cursor, ...filters } = req.query
    const after = cursors.after(LIST, cursor)
    const page = await ctx.store.read((q) => listUsers(q, filters, { after, limit }))
    return { result: page.users, next_cursor: cursors.next(LIST, page.rows, (u) => u.id) }
  })

  app.get('/users/:id', { schema: { params: IdParams, response: { 200: UnifiedUserSchema } } }, async (req) =>
    ctx.store.read((q) => getUser(q, req.params.id)),
  )
}
