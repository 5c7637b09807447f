import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { DirectoryContext } from '../context.js'
import { getGroup, listGroups } from '../read.js'
import { GroupListQuery, IdParams, UnifiedGroupSchema } from '../schemas/unified.js'
import { listRoute } from './list.js'

/** Unified groups (Segment user groups). Members: `GET /directory/users?group_id=…`. Tombstones only with `include_deleted`. */
export const groupRoutes: FastifyPluginAsyncTypebox<DirectoryContext> = async (app, ctx) => {
  listRoute(app, ctx, {
    path: '/groups',
    name: 'directory/groups',
    query: GroupListQuery,
    item: UnifiedGroupSchema,
    read: listGroups,
    key: (row) => row.id,
  })

  app.get('/groups/:id', { schema: { params: IdParams, response: { 200: UnifiedGroupSchema } } }, async (req) =>
    ctx.store.read((q) => getGroup(q, req.params.id)),
  )
}
