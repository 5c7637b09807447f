import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { StatusOutput } from '../../iam/schemas/common.js'
import type { ConsoleDeps } from '../routes.js'
import { SIGNED_IN_ROUTE, WorkspaceParams } from '../schemas.js'
import { clientOf } from '../sessions.js'
import { ownerAccessTo } from '../workspaces.js'
import { createTokenWithCode, presentToken, revokeTokenAsPerson, sendTokenCode } from './tokens.js'
import { CreatedTokenOutput, CreateTokenBody, SecurityCodeOutput, TokenParams, TokensOutput } from './workspace-admin-schemas.js'

/** Tokens, as Segment's console makes them: a description, an access, a code mailed to the owner, the secret once. */
export const tokensRoutes: FastifyPluginAsyncTypebox<ConsoleDeps> = async (app, { accounts }) => {
  const { store } = accounts

  app.get(
    '/workspaces/:workspaceId/tokens',
    {
      schema: {
        ...SIGNED_IN_ROUTE,
        description:
          "The workspace's live Public API tokens, newest first (revoked ones are not listed): description, access, when and by whom made, last use (noted at most once a minute). Workspace Owners and instance admins only.",
        params: WorkspaceParams,
        response: { 200: TokensOutput },
      },
    },
    async (req) =>
      store.read(async (q) => {
        const { workspace } = await ownerAccessTo(q, req.params.workspaceId, req.signedIn)
        return { data: { tokens: (await q.tokens.listLive(workspace.id)).map(presentToken) } }
      }),
  )

  app.post(
    '/workspaces/:workspaceId/tokens/security-codes',
    {
      schema: {
        ...SIGNED_IN_ROUTE,
        description:
          "Mails a 6-digit security code to the signed-in owner's email, to confirm creating a token: it works once, for 10 minutes, 5 attempts at most, for this person and workspace only. A few asks per quarter hour (429 beyond).",
        params: WorkspaceParams,
        response: { 201: SecurityCodeOutput },
      },
    },
    async (req, reply) => {
      const sent = await sendTokenCode(accounts, req.params.workspaceId, req.signedIn, clientOf(req))
      return reply.status(201).send({ data: sent })
    },
  )

  app.post(
    '/workspaces/:workspaceId/tokens',
    {
      schema: {
        ...SIGNED_IN_ROUTE,
        description:
          'Creates a token with the emailed security code (`codeId` from POST …/tokens/security-codes): answers the secret once. A wrong, expired or used code is a 422 naming `code`; wrong codes are counted per account (429).',
        params: WorkspaceParams,
        body: CreateTokenBody,
        response: { 201: CreatedTokenOutput },
      },
    },
    async (req, reply) => {
      const created = await createTokenWithCode(accounts, req.params.workspaceId, req.signedIn, req.body, clientOf(req))
      return reply.status(201).send({ data: created })
    },
  )

  app.delete(
    '/workspaces/:workspaceId/tokens/:tokenId',
    {
      schema: {
        ...SIGNED_IN_ROUTE,
        description: 'Revokes a token: it gets 401 from its next request on. 404 for a token of another workspace or one already revoked.',
        params: TokenParams,
        response: { 200: StatusOutput },
      },
    },
    async (req) => {
      await revokeTokenAsPerson(accounts, req.params.workspaceId, req.params.tokenId, req.signedIn)
      return { data: { status: 'SUCCESS' as const } }
    },
  )
}
