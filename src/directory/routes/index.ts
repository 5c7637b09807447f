import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { bearerToken, hashSecret } from '../../auth/secrets.js'
import { UnauthorizedError } from '../../errors.js'
import type { DirectoryContext } from '../context.js'
import { actionRoutes } from './actions.js'
import { syncRoutes } from './sync.js'
import { unifiedRoutes } from './unified.js'

declare module 'fastify' {
  interface FastifyRequest {
    /** The directory API key that made the request. */
    apiKeyId: string
  }
}

/**
 * The directory API under /directory: every route needs a directory API key (`ghk_…`, stored hashed),
 * which is not a workspace token. Route files register below, one per resource.
 */
export const directoryRoutes: FastifyPluginAsyncTypebox<DirectoryContext> = async (app, ctx) => {
  app.decorateRequest('apiKeyId', '')
  app.addHook('onRequest', async (req) => {
    const secret = bearerToken(req.headers.authorization)
    const key = secret === undefined ? undefined : await ctx.store.read((q) => q.apiKeys.findActiveByHash(hashSecret(secret)))
    if (key === undefined) throw new UnauthorizedError('Unauthorized: a valid directory API key is required')
    req.apiKeyId = key.id
  })
  // The options carry this plugin's own prefix: clear it, or the routes would land under /directory/directory.
  await app.register(syncRoutes, { ...ctx, prefix: '' })
  await app.register(actionRoutes, { ...ctx, prefix: '' })
  await app.register(unifiedRoutes, { ...ctx, prefix: '' })
}
