import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { DirectoryContext } from '../context.js'
import { connectionRoutes } from './connections.js'
import { groupRoutes } from './groups.js'
import { peopleRoutes } from './people.js'
import { proxyRoutes } from './proxy.js'
import { roleRoutes } from './roles.js'
import { userRoutes } from './users.js'
import { workspaceRoutes } from './workspaces.js'

/** Connections, the proxy and the unified read API (users, groups, roles, workspaces, people). */
export const unifiedRoutes: FastifyPluginAsyncTypebox<DirectoryContext> = async (app, ctx) => {
  for (const routes of [connectionRoutes, proxyRoutes, userRoutes, groupRoutes, roleRoutes, workspaceRoutes, peopleRoutes])
    await app.register(routes, ctx)
}
