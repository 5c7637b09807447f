import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { BadGatewayError, ConflictError } from '../../errors.js'
import { BodyTooLargeError } from '../../outbound/fetch.js'
import { RefusedTargetError } from '../../outbound/policy.js'
import { findConnection, proxyClientFor, refusalOf } from '../connections.js'
import type { RemoteRequest } from '../connectors/segment.js'
import type { DirectoryContext } from '../context.js'
import { DirId } from '../schemas/unified.js'

const METHODS: RemoteRequest['method'][] = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE']
/** `/…/connections/<id>/proxy` then the remote path; the id is one segment. */
const PROXY_PATH = /^.*?\/connections\/[^/]+\/proxy(\/.*)?$/

/**
 * `/directory/connections/{id}/proxy/*`: the request goes to the connection's remote 1:1 (method, the path
 * after /proxy, the query string exactly as received, the JSON body) with the stored token, through the
 * remote client (the workspace's shared budget, 429s waited out); the remote's status and body come back as
 * they are, errors included. Only the token is added: nothing of the caller's own headers is forwarded.
 */
export const proxyRoutes: FastifyPluginAsyncTypebox<DirectoryContext> = async (app, ctx) => {
  for (const url of ['/connections/:id/proxy', '/connections/:id/proxy/*'])
    app.route({
      method: METHODS,
      url,
      schema: { params: Type.Object({ id: DirId, '*': Type.Optional(Type.String()) }), hide: url.endsWith('*') },
      handler: async (req, reply) => {
        const connection = await findConnection(ctx, req.params.id)
        if (connection.status === 'needs_reauth')
          throw new ConflictError(
            `Connection ${connection.name} needs a new token (its remote answered 401); rotate it with PUT /directory/connections/${connection.id}/token`,
            { data: { connection_id: connection.id, status: connection.status } },
          )
        const refused = refusalOf(ctx, connection.base_url)
        if (refused)
          throw new ConflictError(`Connection ${connection.name} cannot be used: ${refused}`, { data: { connection_id: connection.id } })
        const raw = req.raw.url ?? req.url
        const at = raw.indexOf('?')
        const [rawPath, rawQuery] = at === -1 ? [raw, ''] : [raw.slice(0, at), raw.slice(at + 1)]
        const path = PROXY_PATH.exec(rawPath)?.[1] ?? '/'
        const method = req.method as RemoteRequest['method']
        let answer: { status: number; body: unknown }
        try {
          answer = await proxyClientFor(ctx, connection, method).exchange({
            method,
            path,
            rawQuery,
            ...(req.body === undefined || req.body === null ? {} : { body: req.body }),
          })
        } catch (error) {
          if (error instanceof RefusedTargetError)
            throw new ConflictError(`Connection ${connection.name} cannot be used: ${error.message}`, {
              data: { connection_id: connection.id },
            })
          if (error instanceof BodyTooLargeError)
            throw new BadGatewayError(
              `The remote at ${connection.base_url} answered with more than ${error.limitBytes} bytes; nothing of it is passed on`,
            )
          const cause =
            error instanceof Error && error.cause instanceof Error ? error.cause.message : error instanceof Error ? error.name : ''
          throw new BadGatewayError(`Could not reach the remote at ${connection.base_url}${cause ? `: ${cause.slice(0, 200)}` : ''}`)
        }
        reply.status(answer.status)
        if (answer.body === undefined) return reply.send()
        if (typeof answer.body === 'string') return reply.type('text/plain; charset=utf-8').send(answer.body)
        return reply.type('application/json; charset=utf-8').send(JSON.stringify(answer.body))
      },
    })
}
