import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { ValidationError } from '../../errors.js'
import { recordAudit } from '../../iam/audit.js'
import type { Queries } from '../../store/queries/index.js'
import { mfaStatus } from '../mfa.js'
import { AuthenticationSettings, AuthenticationSettingsBody } from '../mfa-schemas.js'
import type { ConsoleDeps } from '../routes.js'
import { SIGNED_IN_ROUTE, WorkspaceParams } from '../schemas.js'
import type { SignedIn } from '../sessions.js'
import { ownerAccessTo, personActor } from '../workspaces.js'

const session = SIGNED_IN_ROUTE

/** Settings → Authentication of a workspace: Require MFA, for its owners and instance admins. */
export const authenticationRoutes: FastifyPluginAsyncTypebox<ConsoleDeps> = async (app, { accounts }) => {
  const { store } = accounts

  app.get(
    '/workspaces/:workspaceId/settings/authentication',
    {
      schema: {
        ...session,
        description: "The workspace's authentication settings (Require MFA), for its owners and instance admins.",
        params: WorkspaceParams,
        response: { 200: AuthenticationSettings },
      },
    },
    async (req) =>
      store.read(async (q) => {
        const { workspace } = await ownerAccessTo(q, req.params.workspaceId, req.signedIn)
        return { data: { authentication: { requireMfa: workspace.require_mfa === 1 }, you: await yourMfa(q, req.signedIn) } }
      }),
  )

  app.put(
    '/workspaces/:workspaceId/settings/authentication',
    {
      schema: {
        ...session,
        description:
          "Turns Require MFA on or off (owners and instance admins; in the workspace's audit trail). Turning it on needs the owner's own session to have passed MFA (422 `field: requireMfa` otherwise), so nobody locks themselves out.",
        params: WorkspaceParams,
        body: AuthenticationSettingsBody,
        response: { 200: AuthenticationSettings },
      },
    },
    async (req) => {
      const who = req.signedIn
      const { workspaceId } = req.params
      const { requireMfa } = req.body
      return store.write(
        async (q) => {
          const access = await ownerAccessTo(q, workspaceId, who)
          const you = await yourMfa(q, who)
          if (requireMfa && !you.sessionPassed)
            throw new ValidationError(
              'Set up multi-factor authentication for yourself first (My account), and sign in with it: once Require MFA is on, this workspace asks everyone for it, you too',
              'requireMfa',
            )
          if ((access.workspace.require_mfa === 1) !== requireMfa) {
            await q.mfa.setRequireMfa(workspaceId, requireMfa)
            const type = requireMfa ? 'Workspace Require MFA Enabled' : 'Workspace Require MFA Disabled'
            const entry = { type, resourceId: workspaceId, resourceType: 'workspace' as const, resourceName: access.workspace.name }
            await recordAudit(q, workspaceId, personActor(access, who), [entry], q.clock.now().toISOString())
          }
          return { data: { authentication: { requireMfa }, you } }
        },
        { workspace: workspaceId },
      )
    },
  )
}

/** Whether the asking person has MFA, and whether this session passed it (a disabled MFA's old pass does not count). */
async function yourMfa(q: Queries, who: SignedIn) {
  const mfaEnabled = (await mfaStatus(q, who.accountId)).enabled
  return { mfaEnabled, sessionPassed: mfaEnabled && who.mfaAt !== null }
}
