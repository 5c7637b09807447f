import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { auditRoutes } from './console/audit-routes.js'
import { authenticationRoutes } from './console/authentication-routes.js'
import { groupMembersRoutes } from './console/group-members-routes.js'
import { groupsRoutes } from './console/groups-routes.js'
import { invitesRoutes } from './console/invites-routes.js'
import { settingsRoutes } from './console/settings-routes.js'
import { tokensRoutes } from './console/tokens-routes.js'
import { usersRoutes } from './console/users-routes.js'
import { mfaRoutes } from './mfa-routes.js'
import type { ConsoleDeps } from './routes.js'
import { SIGNED_IN_ROUTE, WorkspaceAccessOutput, WorkspaceParams, WorkspaceUsersOutput, WorkspaceUsersQuery } from './schemas.js'
import { accessTo, membersPage, ownerAccessTo, presentAccess } from './workspaces.js'

/** A workspace as the signed-in person sees it (registered under the session guard of routes.ts). */
export const workspaceRoutes: FastifyPluginAsyncTypebox<ConsoleDeps> = async (app, { accounts, cursors }) => {
  const { store } = accounts

  const accessDoc =
    "The signed-in person's own access to a workspace they are a member of: its permissions, groups, and whether they own it. 404 for any other workspace (instance admins may open every one)."
  app.get(
    '/workspaces/:workspaceId/access',
    { schema: { ...SIGNED_IN_ROUTE, description: accessDoc, params: WorkspaceParams, response: { 200: WorkspaceAccessOutput } } },
    async (req) => ({ data: presentAccess(await store.read((q) => accessTo(q, req.params.workspaceId, req.signedIn))) }),
  )

  const usersDoc =
    "The workspace's members with their own permissions and groups, for Workspace Owners and instance admins (403 for other members). `search` matches a part of the name or email in any case; `roleId` keeps members holding that role directly. Keyset pages of `count` (1-200, default 50) in creation order; `cursor` is a page's `pagination.next` or `previous`."
  app.get(
    '/workspaces/:workspaceId/users',
    {
      schema: {
        ...SIGNED_IN_ROUTE,
        description: usersDoc,
        params: WorkspaceParams,
        querystring: WorkspaceUsersQuery,
        response: { 200: WorkspaceUsersOutput },
      },
    },
    async (req) =>
      store.read(async (q) => {
        const { workspace } = await ownerAccessTo(q, req.params.workspaceId, req.signedIn)
        return { data: await membersPage(q, cursors, workspace.id, req.query) }
      }),
  )
  await app.register(groupsRoutes, { accounts, cursors })
  await app.register(groupMembersRoutes, { accounts, cursors })
  await app.register(invitesRoutes, { accounts, cursors })
  await app.register(usersRoutes, { accounts, cursors })
  await app.register(tokensRoutes, { accounts, cursors })
  await app.register(auditRoutes, { accounts, cursors })
  await app.register(settingsRoutes, { accounts, cursors })
  await app.register(mfaRoutes, { accounts, cursors })
  await app.register(authenticationRoutes, { accounts, cursors })
}
