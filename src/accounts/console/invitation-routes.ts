import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { CSRF_HEADER } from '../csrf.js'
import { acceptInvitation, inspectInvitation, renewInvitation } from '../invitations.js'
import type { ConsoleDeps } from '../routes.js'
import { AcceptedOutput, SIGNED_OUT_ROUTE } from '../schemas.js'
import { clientOf, SESSION_COOKIE, setSessionCookie } from '../sessions.js'
import { AcceptedInvitationOutput, AcceptInvitationBody, InvitationOutput, InvitationParams } from './invites-schemas.js'

const open = SIGNED_OUT_ROUTE

/**
 * The invitation page's API, open to the signed-out (an invitee may have no account yet). Mail carries links
 * as `<public URL>/console/invitation/<token>`; the page reads the token from its path and asks these routes.
 */
export const invitationRoutes: FastifyPluginAsyncTypebox<ConsoleDeps> = async (app, { accounts }) => {
  const inspectDoc =
    'What an invitation link leads to: the workspace, the invited email, whether the link works (`valid`, `expired`, `used`, `revoked`: the invite was withdrawn), and whether that email has an account with a password (`existing`: sign in to accept) or not (`new`: choose a name and password). Unknown links count against the address (404, then 429).'
  app.get(
    '/invitations/:token',
    { schema: { ...open, description: inspectDoc, params: InvitationParams, response: { 200: InvitationOutput } } },
    async (req) => ({ data: { invitation: await inspectInvitation(accounts, req.params.token, clientOf(req)) } }),
  )

  const acceptDoc =
    "Accepts an invitation once: the invite becomes membership with its permissions and groups. Signed in as the invited email: send the session's X-CSRF-Token and an empty body `{}`. A person without a password yet sends `{name, password}`: the account gets them and a session starts (cookie). An account with a password that is not signed in gets 401 (sign in as that email first); signed in as another email, 409."
  app.post(
    '/invitations/:token/accept',
    {
      schema: {
        ...open,
        description: acceptDoc,
        params: InvitationParams,
        body: AcceptInvitationBody,
        response: { 200: AcceptedInvitationOutput },
      },
    },
    async (req, reply) => {
      const accepted = await acceptInvitation(
        accounts,
        req.params.token,
        {
          name: req.body?.name,
          password: req.body?.password,
          sessionSecret: req.cookies[SESSION_COOKIE],
          csrfToken: req.headers[CSRF_HEADER],
        },
        clientOf(req),
      )
      if (accepted.newSecret !== undefined) setSessionCookie(reply, accounts.site, accepted.newSecret)
      return { data: { workspace: accepted.workspace, session: accepted.session } }
    },
  )

  const renewDoc =
    'On an expired link whose invite is still pending: mails a fresh link to the invited address. The answer is 202 whatever happens; mails are limited per invite, requests per address.'
  app.post(
    '/invitations/:token/renewal',
    { schema: { ...open, description: renewDoc, params: InvitationParams, response: { 202: AcceptedOutput } } },
    async (req, reply) => {
      await renewInvitation(accounts, req.params.token, clientOf(req))
      return reply.status(202).send({ data: { status: 'ACCEPTED' as const } })
    },
  )
}
