import type { FastifyRequest } from 'fastify'
import type { Actor } from './audit.js'

/** The audit actor of a Public API request: the token that made it. */
export function actorOf(req: FastifyRequest): Actor {
  return { id: req.auth.tokenId }
}
