import createClient, { type Middleware } from 'openapi-fetch'
import type { paths } from './schema'

/** The success body of an operation, straight from the generated schema. */
export type Answer<P extends keyof paths, M extends keyof paths[P]> = paths[P][M] extends {
  responses: { [status: number]: { content: { 'application/json': infer Body } } }
}
  ? Body extends { data: infer D }
    ? D
    : never
  : never

export type Session = Answer<'/console/api/session', 'get'>

/** One error of the server's envelope (`{errors: [{type, message, status, field?, data?}]}`), or a network failure (status 0). */
export class ApiProblem extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    message: string,
    readonly field?: string,
    readonly data?: unknown,
  ) {
    super(message)
  }
}

let csrfToken: string | undefined
let onSessionEnded: (() => void) | undefined

/** Every change made with this session carries its CSRF token (from the session answer). */
export function setCsrfToken(token: string | undefined): void {
  csrfToken = token
}

/** Called when a signed-in request is answered 401: the session ended (signed out elsewhere, expired, revoked). */
export function whenSessionEnds(handler: (() => void) | undefined): void {
  onSessionEnded = handler
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS'])

const session: Middleware = {
  onRequest({ request }) {
    if (!SAFE_METHODS.has(request.method) && csrfToken !== undefined) request.headers.set('X-CSRF-Token', csrfToken)
    return request
  },
  onResponse({ request, response }) {
    // A 401 from signing in means a wrong email or password; from anything else, that the session is over.
    const signingIn = request.method === 'POST' && new URL(request.url).pathname === '/console/api/session'
    if (response.status === 401 && !signingIn) onSessionEnded?.()
    return response
  },
}

/** The one client of the console API, typed from the server's OpenAPI document. */
export const api = createClient<paths>({ baseUrl: '', credentials: 'same-origin', headers: { accept: 'application/json' } })
api.use(session)

/**
 * The data of a call's answer, or an ApiProblem with the server's first error (its message is written for people).
 * A network failure becomes a problem with status 0.
 */
export async function must<E extends { data: unknown }>(
  pending: Promise<{ data?: E; error?: unknown; response: Response }>,
): Promise<E['data']> {
  let result: { data?: E; error?: unknown; response: Response }
  try {
    result = await pending
  } catch {
    throw new ApiProblem(0, 'network', 'Gatehouse is not answering. Check your connection, then try again.')
  }
  const { data, error, response } = result
  if (response.ok && data !== undefined) return data.data
  throw problemOf(error, response)
}

function problemOf(error: unknown, response: Response): ApiProblem {
  const first = (error as { errors?: unknown[] } | undefined)?.errors?.[0] as
    | { type?: unknown; message?: unknown; field?: unknown; data?: unknown }
    | undefined
  if (first && typeof first.message === 'string')
    return new ApiProblem(
      response.status,
      typeof first.type === 'string' ? first.type : 'error',
      first.message,
      typeof first.field === 'string' ? first.field : undefined,
      first.data,
    )
  return new ApiProblem(response.status, 'error', `Gatehouse answered ${response.status} ${response.statusText}`.trim())
}

/** Any thrown value as a problem to show. */
export function asProblem(error: unknown): ApiProblem {
  if (error instanceof ApiProblem) return error
  return new ApiProblem(0, 'client', error instanceof Error ? error.message : String(error))
}
