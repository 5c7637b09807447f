import type { FastifyInstance } from 'fastify'
import { NotAllowedError, UnauthorizedError } from '../errors.js'
import type { AccountsContext } from './context.js'
import { CSRF_HEADER, changesState } from './csrf.js'
import { clearSessionCookie, resumeSession, SESSION_COOKIE, type SignedIn } from './sessions.js'

declare module 'fastify' {
  interface FastifyRequest {
    signedIn: SignedIn
  }
}

export const SIGNED_OUT = 'Unauthorized: sign in first'

/**
 * Every route of `app` needs a live session; changes also need its CSRF token. A request with a bearer token
 * is judged by the token alone (the cookie is ignored, and no token opens the console API yet), so a script
 * holding a Public API token never acts through a browser's session by accident.
 */
export function requireSession(app: FastifyInstance, accounts: AccountsContext): void {
  app.decorateRequest('signedIn', null as unknown as SignedIn)
  app.addHook('onRequest', async (req, reply) => {
    if (req.headers.authorization !== undefined)
      throw new UnauthorizedError('Unauthorized: the console API takes a session cookie, not a bearer token')
    const secret = req.cookies[SESSION_COOKIE]
    const signedIn = secret === undefined ? undefined : await resumeSession(accounts.store, secret)
    if (!signedIn) {
      // An ended session's cookie is of no more use: the browser may as well forget it.
      if (secret !== undefined) clearSessionCookie(reply, accounts.site)
      throw new UnauthorizedError(SIGNED_OUT)
    }
    if (changesState(req.method) && !accounts.csrf.matches(signedIn.sessionId, req.headers[CSRF_HEADER]))
      throw new NotAllowedError('Forbidden: a change needs the X-CSRF-Token header that GET /console/api/session gives')
    await accounts.throttle.request(signedIn.accountId)
    req.signedIn = signedIn
  })
}
