import cookie from '@fastify/cookie'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { NotFoundError, TooManyAttemptsError, ValidationError } from '../errors.js'
import { StatusOutput } from '../iam/schemas/common.js'
import type { CursorCodec } from '../wire/cursor.js'
import { PageQuery, paginate } from '../wire/pagination.js'
import { instanceRoutes } from './console/instance-routes.js'
import { invitationRoutes } from './console/invitation-routes.js'
import type { AccountsContext } from './context.js'
import { refuseCrossSite } from './csrf.js'
import { recordEvent } from './events.js'
import { requireSession } from './guard.js'
import { sessionView, toEventEntry, toSessionEntry } from './present.js'
import { renameAccount } from './profile.js'
import { inspectLink, redeemLink, requestPasswordReset, signInWithLink } from './recovery.js'
import {
  AcceptedOutput,
  ChangePasswordBody,
  LinkOutput,
  LinkParams,
  PasswordResetBody,
  RedeemLinkBody,
  RenameBody,
  RevokeAllQuery,
  RevokedOutput,
  SecurityLogOutput,
  SessionOutput,
  SessionParams,
  SessionsOutput,
  SIGNED_IN_ROUTE,
  SIGNED_OUT_ROUTE,
  SignInBody,
} from './schemas.js'
import { clearSessionCookie, clientOf, idleSince, MAX_LISTED_SESSIONS, SESSION_COOKIE, setSessionCookie } from './sessions.js'
import { changePassword, signIn } from './sign-in.js'
import { workspaceRoutes } from './workspace-routes.js'

export interface ConsoleDeps {
  accounts: AccountsContext
  cursors: CursorCodec
}

const open = SIGNED_OUT_ROUTE
const session = SIGNED_IN_ROUTE

/** The console's JSON API, under /console/api: signing in, sessions, passwords, links. */
export const consoleRoutes: FastifyPluginAsyncTypebox<ConsoleDeps> = async (app, { accounts, cursors }) => {
  await app.register(cookie)
  app.addHook('onRequest', async (req) => refuseCrossSite(req, accounts.site))
  app.addHook('onError', async (_req, reply, error) => {
    if (error instanceof TooManyAttemptsError) reply.header('retry-after', String(error.retryAfterSeconds))
  })
  // Answers about a person are never kept by a shared cache, nor shown again by the back button after signing out.
  app.addHook('onSend', async (_req, reply) => {
    reply.header('cache-control', 'no-store')
  })
  await app.register(signedOutRoutes, { accounts, cursors })
  await app.register(invitationRoutes, { accounts, cursors })
  await app.register(signedInRoutes, { accounts, cursors })
}

const signedOutRoutes: FastifyPluginAsyncTypebox<ConsoleDeps> = async (app, { accounts }) => {
  const signInDoc =
    'Signs in: sets the HttpOnly `gatehouse_session` cookie (a new session, 7 days at most, ended by 24 idle hours) and answers what GET /console/api/session does. JSON bodies only. A wrong email or password is one 401 for all; failures are counted per email and per address (429).'
  app.post(
    '/session',
    { schema: { ...open, description: signInDoc, body: SignInBody, response: { 200: SessionOutput } } },
    async (req, reply) => {
      const started = await signIn(accounts, { ...req.body, previousSecret: req.cookies[SESSION_COOKIE] }, clientOf(req))
      setSessionCookie(reply, accounts.site, started.secret)
      return { data: started.view }
    },
  )

  const resetDoc =
    'Forgot your password: mails a reset link (1 hour) to an account, or a set-password link (7 days) to a workspace member without a password yet. The answer is the same 202 for every email, known or not.'
  app.post(
    '/password-resets',
    { schema: { ...open, description: resetDoc, body: PasswordResetBody, response: { 202: AcceptedOutput } } },
    async (req, reply) => {
      await requestPasswordReset(accounts, req.body.email, clientOf(req))
      return reply.status(202).send({ data: { status: 'ACCEPTED' as const } })
    },
  )

  // Mail carries links as `<public URL>/console/link/<token>`: the console's page reads the token from its path
  // and asks these two routes about it.
  const linkDoc =
    'What a mailed link (`<public URL>/console/link/<token>`) is for, for whom, and whether it still works (`valid`, `expired`, `used`).'
  app.get(
    '/links/:token',
    { schema: { ...open, description: linkDoc, params: LinkParams, response: { 200: LinkOutput } } },
    async (req) => ({
      data: { link: await inspectLink(accounts, req.params.token, clientOf(req)) },
    }),
  )

  app.post(
    '/links/:token/password',
    {
      schema: {
        ...open,
        description:
          'Uses a set-password or reset link once: sets the password (and the name, if given), ends every other session and link, and signs in.',
        params: LinkParams,
        body: RedeemLinkBody,
        response: { 200: SessionOutput },
      },
    },
    async (req, reply) => {
      const started = await redeemLink(
        accounts,
        req.params.token,
        { ...req.body, previousSecret: req.cookies[SESSION_COOKIE] },
        clientOf(req),
      )
      setSessionCookie(reply, accounts.site, started.secret)
      return { data: started.view }
    },
  )

  app.post(
    '/links/:token/session',
    {
      schema: {
        ...open,
        description:
          'Uses a sign-in link (the demo prints one) once: signs in as POST /console/api/session does. 409 when it was used, has expired, or is a set-password or reset link.',
        params: LinkParams,
        response: { 200: SessionOutput },
      },
    },
    async (req, reply) => {
      const started = await signInWithLink(accounts, req.params.token, { previousSecret: req.cookies[SESSION_COOKIE] }, clientOf(req))
      setSessionCookie(reply, accounts.site, started.secret)
      return { data: started.view }
    },
  )
}

const signedInRoutes: FastifyPluginAsyncTypebox<ConsoleDeps> = async (app, { accounts, cursors }) => {
  requireSession(app, accounts)
  const { store, site } = accounts

  app.get('/session', { schema: { ...session, response: { 200: SessionOutput } } }, async (req) => {
    const who = req.signedIn
    return {
      data: await store.read((q) =>
        sessionView(q, accounts.csrf, who, { id: who.sessionId, createdAt: who.sessionCreatedAt, expiresAt: who.expiresAt }),
      ),
    }
  })

  app.delete('/session', { schema: { ...session, response: { 200: StatusOutput } } }, async (req, reply) => {
    const who = req.signedIn
    await store.write(async (q) => {
      const at = q.clock.now().toISOString()
      await q.accounts.revokeSession(who.accountId, who.sessionId, at)
      await recordEvent(q, who.accountId, 'sign_out', clientOf(req), at, { sessionId: who.sessionId })
    })
    clearSessionCookie(reply, site)
    return { data: { status: 'SUCCESS' as const } }
  })

  app.get('/account/sessions', { schema: { ...session, response: { 200: SessionsOutput } } }, async (req) => {
    const who = req.signedIn
    const now = store.clock.now()
    const rows = await store.read((q) => q.accounts.liveSessions(who.accountId, now.toISOString(), idleSince(now), MAX_LISTED_SESSIONS))
    return { data: { sessions: rows.map((row) => toSessionEntry(row, who.sessionId)) } }
  })

  app.delete(
    '/account/sessions/:sessionId',
    { schema: { ...session, params: SessionParams, response: { 200: StatusOutput } } },
    async (req, reply) => {
      const who = req.signedIn
      const { sessionId } = req.params
      await store.write(async (q) => {
        const at = q.clock.now().toISOString()
        if (!(await q.accounts.revokeSession(who.accountId, sessionId, at))) throw new NotFoundError(`Session ${sessionId}`, 'sessionId')
        await recordEvent(q, who.accountId, 'session_revoked', clientOf(req), at, { sessionId })
      })
      if (sessionId === who.sessionId) clearSessionCookie(reply, site)
      return { data: { status: 'SUCCESS' as const } }
    },
  )

  app.post(
    '/account/sessions/revoke-all',
    { schema: { ...session, querystring: RevokeAllQuery, response: { 200: RevokedOutput } } },
    async (req, reply) => {
      const who = req.signedIn
      const keepCurrent = req.query.keepCurrent === true
      const endedSessions = await store.write(async (q) => {
        const at = q.clock.now().toISOString()
        const ended = await q.accounts.revokeSessions(who.accountId, at, keepCurrent ? who.sessionId : undefined)
        await recordEvent(q, who.accountId, 'sign_out', clientOf(req), at, {
          everywhere: true,
          keptCurrent: keepCurrent,
          endedSessions: ended,
        })
        return ended
      })
      if (!keepCurrent) clearSessionCookie(reply, site)
      return { data: { endedSessions } }
    },
  )

  const renameDoc =
    "Changes the signed-in person's name: on their account and on their user in every workspace of this server (each workspace's audit trail notes it). Answers what GET /console/api/session does."
  app.patch(
    '/account',
    { schema: { ...session, description: renameDoc, body: RenameBody, response: { 200: SessionOutput } } },
    async (req) => {
      const who = req.signedIn
      const name = req.body.name.trim()
      if (name === '') throw new ValidationError('name: say what to call you', 'name')
      await renameAccount(accounts, who, name, clientOf(req))
      const current = { id: who.sessionId, createdAt: who.sessionCreatedAt, expiresAt: who.expiresAt }
      return { data: await store.read((q) => sessionView(q, accounts.csrf, { ...who, name }, current)) }
    },
  )

  app.put('/account/password', { schema: { ...session, body: ChangePasswordBody, response: { 200: RevokedOutput } } }, async (req) => ({
    data: await changePassword(accounts, req.signedIn, req.body, clientOf(req)),
  }))

  app.get(
    '/account/security-log',
    { schema: { ...session, querystring: PageQuery, response: { 200: SecurityLogOutput } } },
    async (req) => {
      const who = req.signedIn
      const page = await store.read((q) =>
        paginate(
          cursors,
          { name: 'console/security-log', width: 2 },
          req.query.pagination,
          (seek) => q.accounts.events(who.accountId, seek),
          (e) => [e.created_at, e.id],
          undefined,
        ),
      )
      return { data: { events: page.items.map(toEventEntry), pagination: page.pagination } }
    },
  )

  await app.register(workspaceRoutes, { accounts, cursors })
  await app.register(instanceRoutes, { accounts, cursors })
}

/** A security-log cursor holds (created_at, id); the codec has checked it is ours and for this list. */
