import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { DirectoryContext } from '../context.js'
import { presentWorkspace } from '../present.js'
import { ListCursors } from '../read.js'
import { listOf, UnifiedWorkspaceSchema, WorkspaceListQuery } from '../schemas/unified.js'

const LIST = 'directory/workspaces'

/** Unified workspaces: one per connection, in connection order (the same workspace id may sit behind two base URLs). */
export const workspaceRoutes: FastifyPluginAsyncTypebox<DirectoryContext> = async (app, ctx) => {
  const cursors = new ListCursors(ctx.store.secret)

  app.get(
    '/workspaces',
    { schema: { querystring: WorkspaceListQuery, response: { 200: listOf(UnifiedWorkspaceSchema) } } },
    async (req) => {
      const { limit = 100, cursor, connection_id, q: search } = req.query
      const after = cursors.after(LIST, cursor)
      const rows = await ctx.store.read((q) =>
        q.dirRead.listWorkspaces(
          { ...(connection_id === undefined ? {} : { connectionId: connection_id }), ...(search === undefined ? {} : { search }) },
          { after, limit },
        ),
      )
      return { result: rows.rows.map(presentWorkspace), next_cursor: cursors.next(LIST, rows, (c) => c.id) }
    },
  )
}
