import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { NotFoundError } from '../../errors.js'
import type { DirectoryContext } from '../context.js'
import { presentRole } from '../present.js'
import { connectionsById, ListCursors } from '../read.js'
import { IdParams, listOf, RoleListQuery, UnifiedRoleSchema } from '../schemas/unified.js'

const LIST = 'directory/roles'

/** Unified roles: each connection's role catalog (`remote_id` is the Segment role id, the one users' `roles[].id` carry). */
export const roleRoutes: FastifyPluginAsyncTypebox<DirectoryContext> = async (app, ctx) => {
  const cursors = new ListCursors(ctx.store.secret)

  app.get('/roles', { schema: { querystring: RoleListQuery, response: { 200: listOf(UnifiedRoleSchema) } } }, async (req) => {
    const { limit = 100, cursor, connection_id, q: search, include_deleted } = req.query
    const after = cursors.after(LIST, cursor)
    return ctx.store.read(async (q) => {
      const rows = await q.dirRead.listRoles(
        {
          includeDeleted: include_deleted === true,
          ...(connection_id === undefined ? {} : { connectionId: connection_id }),
          ...(search === undefined ? {} : { search }),
        },
        { after, limit },
      )
      const connections = await connectionsById(q)
      return {
        result: rows.rows.flatMap((r) => {
          const c = connections.get(r.connection_id)
          return c ? [presentRole(r, c)] : []
        }),
        next_cursor: cursors.next(LIST, rows, (r) => r.id),
      }
    })
  })

  app.get('/roles/:id', { schema: { params: IdParams, response: { 200: UnifiedRoleSchema } } }, async (req) =>
    ctx.store.read(async (q) => {
      const role = await q.dirRead.findRole(req.params.id)
      const connection = role ? await q.connections.find(role.connection_id) : undefined
      if (!role || !connection) throw new NotFoundError(`Role ${req.params.id}`, 'id')
      return presentRole(role, connection)
    }),
  )
}
