import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { DirectoryContext } from '../context.js'
import { presentWorkspace } from '../present.js'
import { presentEach } from '../read.js'
import { UnifiedWorkspaceSchema, WorkspaceListQuery } from '../schemas/unified.js'
import { listRoute } from './list.js'

/** Unified workspaces: one per connection, in connection order (the same workspace id may sit behind two base URLs). */
export const workspaceRoutes: FastifyPluginAsyncTypebox<DirectoryContext> = async (app, ctx) => {
  listRoute(app, ctx, {
    path: '/workspaces',
    name: 'directory/workspaces',
    query: WorkspaceListQuery,
    item: UnifiedWorkspaceSchema,
    read: async (q, { connection_id, q: search }, seek) =>
      presentEach(
        await q.connections.list(seek, {
          ...(connection_id === undefined ? {} : { connectionId: connection_id }),
          ...(search === undefined ? {} : { search }),
        }),
        presentWorkspace,
      ),
    key: (row) => row.id,
  })
}
