import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { updateWorkspaceSettings } from '../../iam/operations/workspaces.js'
import type { ConsoleDeps } from '../routes.js'
import { SIGNED_IN_ROUTE, WorkspaceParams } from '../schemas.js'
import { ownerAccessTo, personActor } from '../workspaces.js'
import { presentSettings } from './settings.js'
import { SettingsBody, SettingsOutput } from './workspace-admin-schemas.js'

/** Settings → General: name, slug, billing and incident contacts, and the plan (read-only) with its limits. */
export const settingsRoutes: FastifyPluginAsyncTypebox<ConsoleDeps> = async (app, { accounts }) => {
  const { store } = accounts

  app.get(
    '/workspaces/:workspaceId/settings',
    {
      schema: {
        ...SIGNED_IN_ROUTE,
        description:
          "The workspace's general settings: name, slug, billing and incident contacts, and its plan with the limits the API enforces on it. Workspace Owners and instance admins only.",
        params: WorkspaceParams,
        response: { 200: SettingsOutput },
      },
    },
    async (req) =>
      store.read(async (q) => {
        const { workspace } = await ownerAccessTo(q, req.params.workspaceId, req.signedIn)
        return { data: presentSettings(workspace) }
      }),
  )

  app.patch(
    '/workspaces/:workspaceId/settings',
    {
      schema: {
        ...SIGNED_IN_ROUTE,
        description:
          'Changes any of the name, the slug (unique on this server: 409 naming `slug`), the billing contacts and the incident contacts (at most 20 emails each; repeats dropped). Each change is in the audit trail. The plan cannot be changed here.',
        params: WorkspaceParams,
        body: SettingsBody,
        response: { 200: SettingsOutput },
      },
    },
    async (req) => {
      const updated = await store.write(
        async (q) => {
          const access = await ownerAccessTo(q, req.params.workspaceId, req.signedIn)
          return updateWorkspaceSettings(q, access.workspace.id, req.body, personActor(access, req.signedIn))
        },
        { workspace: req.params.workspaceId },
      )
      return { data: presentSettings(updated) }
    },
  )
}
