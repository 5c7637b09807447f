import { createHmac } from 'node:crypto'
import type { FastifyRequest } from 'fastify'
import { secretsEqual } from '../auth/secrets.js'
import { NotAllowedError } from '../errors.js'
import type { PublicSite } from './site.js'

export const CSRF_HEADER = 'x-csrf-token'

/**
 * Session-bound CSRF tokens: an HMAC of the session id, keyed from the store's secret (shared by every
 * replica), so any replica can check one without storing it. A page on another site can make the browser
 * send the cookie, but cannot read the token (it comes only in the JSON of GET /console/api/session).
 */
export class CsrfTokens {
  private readonly key: Buffer

  constructor(storeSecret: string) {
    this.key = createHmac('sha256', storeSecret).update('gatehouse console csrf v1').digest()
  }

  tokenFor(sessionId: string): string {
    return createHmac('sha256', this.key).update(sessionId).digest('base64url')
  }

  matches(sessionId: string, given: string | string[] | undefined): boolean {
    return typeof given === 'string' && secretsEqual(given, this.tokenFor(sessionId))
  }
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS'])

export function changesState(method: string): boolean {
  return !SAFE_METHODS.has(method)
}

/**
 * The console API answers only its own pages: a request the browser marks cross-site is refused, and a state
 * change whose Origin is another site's is too (that is also what stops login CSRF, with JSON-only bodies:
 * a cross-site form cannot send JSON, and a cross-site fetch of JSON needs a CORS preflight nobody answers).
 */
export function refuseCrossSite(req: FastifyRequest, site: PublicSite): void {
  if (req.headers['sec-fetch-site'] === 'cross-site') throw new NotAllowedError('Forbidden: the console API refuses cross-site requests')
  if (!changesState(req.method)) return
  const origin = req.headers.origin
  if (origin !== undefined && !isOwnOrigin(origin, req, site))
    throw new NotAllowedError('Forbidden: this change comes from a page of another site (Origin)')
}

/**
 * The public URL's origin; while none is configured, also the origin the browser addressed (its Host), so a
 * console opened as http://localhost:4100 works on a server listening on 127.0.0.1. Trusting Host is safe here,
 * unlike in links: a page of another site reaches us with our Host only through DNS rebinding, and then the
 * browser holds it to that site's cookies, not ours. Set --public-url in production: then only its origin.
 */
function isOwnOrigin(origin: string, req: FastifyRequest, site: PublicSite): boolean {
  if (origin === site.origin) return true
  if (site.isConfigured) return false
  let url: URL
  try {
    url = new URL(origin)
  } catch {
    return false
  }
  return (url.protocol === 'http:' || url.protocol === 'https:') && url.origin === origin && url.host === req.headers.host
}
