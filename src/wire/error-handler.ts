import { type IncomingMessage, type ServerResponse, STATUS_CODES } from 'node:http'
import type { Socket } from 'node:net'
import type { ConnectionError, FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import {
  ApiError,
  BadRequestError,
  NotFoundError,
  PayloadTooLargeError,
  RateLimitError,
  UnsupportedMediaTypeError,
  ValidationError,
} from '../errors.js'
import { rateLimitHeaders } from './rate-limit.js'

export const BODY_LIMIT_BYTES = 1024 * 1024
/**
 * Request line plus headers. Node's 16 KiB default is too small for the SDK's bulk deletes: 1000
 * ids go out as `userIds%5B999%5D=<27 chars>`, about 44 KiB of query string.
 */
export const HEADER_LIMIT_BYTES = 256 * 1024
export const MAX_PARAM_LENGTH = 1000

interface WireError {
  type: string
  message: string
  status: number
  field?: string
  data?: unknown
}

/** The only place that writes Segment's error envelope `{"errors":[…]}`. */
export function registerErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const api = toApiError(error, request.headers['content-type'])
    if (api === undefined) {
      request.log.error({ err: error, reqId: request.id }, 'unhandled error')
      return send(reply, { type: 'server', message: `Internal server error (request ${request.id})`, status: 500 })
    }
    if (api instanceof RateLimitError) {
      reply.headers(rateLimitHeaders(api.outcome))
      reply.header('Retry-After', String(Math.ceil(api.outcome.msBeforeNext / 1000)))
    }
    const body: WireError = { type: api.type, message: api.message, status: api.status }
    if (api.detail.field !== undefined) body.field = api.detail.field
    if (api.detail.data !== undefined) body.data = api.detail.data
    return send(reply, body)
  })

  app.setNotFoundHandler((request: FastifyRequest, reply: FastifyReply) => {
    const e = new NotFoundError(`Route ${request.method} ${request.url.split('?')[0]}`)
    return send(reply, { type: e.type, message: e.message, status: e.status })
  })
}

/** Fastify's router errors (bad percent-encoding, an over-long path parameter) in the envelope, not Fastify's own shape. */
export function frameworkErrors(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  let api: ApiError
  if (error.code === 'FST_ERR_BAD_URL') api = new BadRequestError('The URL is not valid: check its percent-encoding')
  else if (error.code === 'FST_ERR_MAX_PARAM_LENGTH') api = new ValidationError(`A path parameter exceeds ${MAX_PARAM_LENGTH} characters`)
  else {
    request.log.error({ err: error, reqId: request.id }, 'unhandled framework error')
    api = new ApiError(500, 'server', `Internal server error (request ${request.id})`)
  }
  void send(reply, { type: api.type, message: api.message, status: api.status })
}

/**
 * Errors Node raises before Fastify sees a request (headers too large, malformed HTTP) still answer
 * in the envelope, so the SDK's unwrap() reads `errors[0]` instead of failing on Fastify's own shape.
 */
export function clientErrorHandler(error: ConnectionError, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return
  const [status, message] =
    error.code === 'HPE_HEADER_OVERFLOW'
      ? [431, `The request line and headers exceed ${HEADER_LIMIT_BYTES} bytes`]
      : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, 'The request did not arrive in time']
        : [400, 'The request is not valid HTTP']
  const body = JSON.stringify({ errors: [{ type: 'bad-request', message, status }] })
  if (socket.writable)
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nContent-Type: application/json; charset=utf-8\r\nConnection: close\r\n\r\n${body}`,
    )
  socket.destroy(error)
}

/**
 * Node answers an `Expect` other than 100-continue with a bare 417 of its own unless this is registered for
 * the server's 'checkExpectation' event; the request is not processed, as RFC 9110 allows.
 */
export function expectationFailedHandler(_req: IncomingMessage, res: ServerResponse): void {
  const status = 417
  const body = JSON.stringify({ errors: [{ type: 'bad-request', message: 'Expect: only 100-continue is supported', status }] })
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    connection: 'close',
  })
  res.end(body)
}

function send(reply: FastifyReply, error: WireError) {
  return reply
    .status(error.status)
    .type('application/json; charset=utf-8')
    .send(JSON.stringify({ errors: [error] }))
}

function toApiError(error: FastifyError, contentType: string | undefined): ApiError | undefined {
  if (error instanceof ApiError) return error
  if (error.validation) return fromValidation(error)
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new PayloadTooLargeError(BODY_LIMIT_BYTES)
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      // Fastify's message never names the type; the request's header does.
      return new UnsupportedMediaTypeError(contentType?.split(';')[0]?.trim().slice(0, 100) || '(none)')
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new BadRequestError('The request body is empty; send a JSON object')
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return new BadRequestError('The request body is not valid JSON')
  }
  // The store's own failures arrive as ApiErrors already: its dialect names them (src/store/store.ts).
  if (error instanceof SyntaxError) return new BadRequestError('The request body is not valid JSON')
  const status = error.statusCode
  if (status !== undefined && status >= 400 && status < 500) return new ApiError(status, 'bad-request', error.message)
  return undefined
}

/** Turns an ajv failure into one 422 naming the offending field as a dotted path (`invites.0.email`). */
function fromValidation(error: FastifyError): ValidationError {
  const [first] = error.validation ?? []
  if (first === undefined) return new ValidationError(error.message)
  const params = first.params as Record<string, unknown>
  const segments = first.instancePath.split('/').filter(Boolean)
  if (typeof params.missingProperty === 'string') segments.push(params.missingProperty)
  if (typeof params.additionalProperty === 'string') segments.push(params.additionalProperty)
  const field = segments.join('.') || (error.validationContext ?? 'body')
  let message: string
  if (typeof params.additionalProperty === 'string') message = `${field} is not a known field`
  else if (typeof params.missingProperty === 'string') message = `${field} is required`
  else if (field === 'body' && first.keyword === 'type') message = 'body must be a JSON object'
  else message = `${field} ${first.message ?? 'is invalid'}`
  return new ValidationError(message, field)
}
