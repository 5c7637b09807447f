import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { NotFoundError } from '../../errors.js'
import type { DirectoryContext } from '../context.js'
import { presentGroup } from '../present.js'
import { connectionsById, ListCursors, roleFilter } from '../read.js'
import { GroupListQuery, IdParams, listOf, UnifiedGroupSchema } from '../schemas/unified.js'

const LIST = 'directory/groups'

/** Unified groups (Segment user groups). Members: `GET /directory/users?group_id=…`. Tombstones only with `include_deleted`. */
export const groupRoutes: FastifyPluginAsyncTypebox<DirectoryContext> = async (app, ctx) => {
  const cursors = new ListCursors(ctx.store.secret)

  app.get('/groups', { schema: { querystring: GroupListQuery, response: { 200: listOf(UnifiedGroupSchema) } } }, async (req) => {
    const { limit = 100, cursor, connection_id, role, q: search, include_deleted } = req.query
    const after = cursors.after(LIST, cursor)
    return ctx.store.read(async (q) => {
      const rows = await q.dirRead.listGroups(
        {
          includeDeleted: include_deleted === true,
          ...(connection_id === undefined ? {} : { connectionId: connection_id }),
          ...(search === undefined ? {} : { search }),
          ...(role === undefined ? {} : { role: await roleFilter(q, role) }),
        },
        { after, limit },
      )
      const connections = await connectionsById(q)
      return {
        result: rows.rows.flatMap((g) => {
          const c = connections.get(g.connection_id)
          return c ? [presentGroup(g, c)] : []
        }),
        next_cursor: cursors.next(LIST, rows, (g) => g.id),
      }
    })
  })

  app.get('/groups/:id', { schema: { params: IdParams, response: { 200: UnifiedGroupSchema } } }, async (req) =>
    ctx.store.read(async (q) => {
      const group = await q.dirRead.findGroup(req.params.id)
      const connection = group ? await q.connections.find(group.connection_id) : undefined
      if (!group || !connection) throw new NotFoundError(`Group ${req.params.id}`, 'id')
      return presentGroup(group, connection)
    }),
  )
}
