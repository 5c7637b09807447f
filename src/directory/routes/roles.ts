import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { DirectoryContext } from '../context.js'
import { getRole, listRoles } from '../read.js'
import { IdParams, RoleListQuery, UnifiedRoleSchema } from '../schemas/unified.js'
import { listRoute } from './list.js'

/** Unified roles: each connection's role catalog (`remote_id` is the Segment role id, the one users' `roles[].id` carry). */
export const roleRoutes: FastifyPluginAsyncTypebox<DirectoryContext> = async (app, ctx) => {
  listRoute(app, ctx, {
    path: '/roles',
    name: 'directory/roles',
    query: RoleListQuery,
    item: UnifiedRoleSchema,
    read: listRoles,
    key: (row) => row.id,
  })

  app.get('/roles/:id', { schema: { params: IdParams, response: { 200: UnifiedRoleSchema } } }, async (req) =>
    ctx.store.read((q) => getRole(q, req.params.id)),
  )
}
