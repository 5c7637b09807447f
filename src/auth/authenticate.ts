import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { ForbiddenError, UnauthorizedError } from '../errors.js'
import { TOKEN_TOUCH_EVERY_MS } from '../store/queries/workspaces.js'
import type { Store } from '../store/store.js'
import type { Plan, TokenRole } from '../store/tables.js'
import { type RateLimits, rateLimitHeaders } from '../wire/rate-limit.js'
import { bearerToken, hashSecret } from './secrets.js'

/** The workspace a request acts on, decided by its token alone. */
export interface WorkspaceAuth {
  workspaceId: string
  plan: Plan
  tokenId: string
  role: TokenRole
}

/**
 * What a route needs of its caller. `read`: any token of the workspace. `write` and `owner`: an OWNER
 * token (MEMBER tokens get 401, as Segment folds "lacks permission" into 401). `rl60` names the
 * endpoint's own 60-per-minute budget; the singular and plural paths of one operation share it.
 */
export interface AccessConfig {
  access: 'read' | 'write' | 'owner'
  rl60?: string
}

declare module 'fastify' {
  interface FastifyRequest {
    auth: WorkspaceAuth
  }
  interface FastifyContextConfig {
    access?: AccessConfig['access']
    rl60?: string
  }
}

/** Adds token authentication, per-workspace rate limits and access checks to every route of `app`. */
export function requireWorkspaceToken(app: FastifyInstance, store: Store, limits: RateLimits): void {
  app.decorateRequest('auth', null as unknown as WorkspaceAuth)
  app.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    const secret = bearerToken(request.headers.authorization)
    if (secret === undefined) throw new UnauthorizedError()
    const token = await store.read((q) => q.tokens.findActiveByHash(hashSecret(secret)))
    if (token === undefined) throw new UnauthorizedError()
    request.auth = { workspaceId: token.workspace_id, plan: token.plan, tokenId: token.id, role: token.role }
    noteUse(store, request, token, store.clock.now())
    const config = request.routeOptions.config
    if (limits.config.enabled) reply.headers(rateLimitHeaders(await limits.consume(token.workspace_id, config.rl60)))
    if ((config.access ?? 'write') !== 'read' && token.role !== 'OWNER') throw new ForbiddenError()
  })
}

/**
 * The token's "last used", noted at most once a minute: the lookup already read it, so a request within the minute
 * costs nothing more, and the one write a minute is a conditional UPDATE (replicas racing for it write once). It
 * is not awaited: the request never waits for bookkeeping, and a failure to note it only leaves the time older.
 */
function noteUse(
  store: Store,
  request: FastifyRequest,
  token: { id: string; workspace_id: string; last_used_at: string | null },
  now: Date,
): void {
  if (token.last_used_at !== null && now.getTime() - Date.parse(token.last_used_at) < TOKEN_TOUCH_EVERY_MS) return
  store
    .write((q) => q.tokens.touch(token.workspace_id, token.id, now))
    .catch((error: unknown) => request.log.debug({ err: error }, 'token last use not noted'))
}
