import type { IncomingMessage } from 'node:http'
import swagger from '@fastify/swagger'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify'
import type { AccountsContext } from './accounts/context.js'
import { consoleRoutes } from './accounts/routes.js'
import { FaultRegistry, injectFaults } from './admin/faults.js'
import { adminRoutes } from './admin/routes.js'
import { requireWorkspaceToken } from './auth/authenticate.js'
import { consolePages, defaultConsoleDir, sendBrowsersToConsole } from './console-site/pages.js'
import type { DirectoryContext } from './directory/context.js'
import { directoryRoutes } from './directory/routes/index.js'
import { BadRequestError, PayloadTooLargeError, UnavailableError } from './errors.js'
import type { Seeder } from './fixtures/seed.js'
import { groupMemberRoutes } from './iam/routes/group-members.js'
import { groupRoutes } from './iam/routes/groups.js'
import { inviteRoutes } from './iam/routes/invites.js'
import { userRoutes } from './iam/routes/users.js'
import { workspaceRoutes } from './iam/routes/workspace.js'
import type { Store } from './store/store.js'
import { VERSION } from './version.js'
import { CursorCodec } from './wire/cursor.js'
import {
  BODY_LIMIT_BYTES,
  clientErrorHandler,
  expectationFailedHandler,
  frameworkErrors,
  HEADER_LIMIT_BYTES,
  MAX_PARAM_LENGTH,
  registerErrorHandling,
} from './wire/error-handler.js'
import { parseQuery } from './wire/query.js'
import type { RateLimits } from './wire/rate-limit.js'
import { refuseNulCharacters, validatorCompiler } from './wire/validation.js'

/**
 * The router calls the query parser outside Fastify's error handling, where a throw would end the process.
 * parseQuery is written not to throw; should it ever, the request goes on without a query (and fails its
 * validation) instead.
 */
function parseQuerySafely(raw: string): Record<string, unknown> {
  try {
    return parseQuery(raw)
  } catch {
    return {}
  }
}

export interface AppDeps {
  store: Store
  directory: DirectoryContext
  rateLimits: RateLimits
  adminKey: string | undefined
  /** Sign-in, sessions and links: the console API and the instance-admin routes. */
  accounts: AccountsContext
  /** The fixture seed the operator API's resets go back to. */
  seeder: Seeder
  logLevel: string
  /** Where log lines go instead of stdout (tests read them). */
  logStream?: LogStream | undefined
  /** Who may say who the client is (X-Forwarded-For); see ServeConfig.trustProxy. */
  trustProxy?: number | string[] | false
  /** The built console's folder (default: dist/console); tests point it elsewhere. */
  consoleDir?: string | undefined
}

/** A destination for log lines, one JSON object per `write`. */
export interface LogStream {
  write(line: string): void
}

/** Builds the Fastify app. It never listens: `server.ts` does, tests may use `inject`. Stateless by design. */
/** Single-use link secrets travel in the path (`/console/api/links/<secret>`, `/console/invitation/<secret>`): logged URLs show none. */
function withoutLinkSecrets(url: string): string {
  return url.replace(/(\/console\/(?:api\/)?(?:links?|invitations?)\/)[^/?#]+/, '$1[redacted]')
}

/** Fastify's own request serializer, but with link secrets masked. */
function logRequest(req: FastifyRequest) {
  const remotePort = req.socket?.remotePort
  return {
    method: req.method,
    url: withoutLinkSecrets(req.url),
    host: req.host,
    remoteAddress: req.ip,
    ...(remotePort === undefined ? {} : { remotePort }),
  }
}

function carriesBody(req: IncomingMessage): boolean {
  return req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0
}

/**
 * Fastify reads no body of a GET or HEAD, but one may come anyway. Read and dropped first, it is no longer
 * arriving when the answer is sent: a connection closed with unread bytes is reset, and the reset would lose
 * whatever part of a long answer (/openapi.json) the client had not read yet. Beyond the body limit, the
 * 413 every other method gets. A body that breaks off is the usual request without one.
 */
async function discardBody(req: IncomingMessage, limit: number): Promise<void> {
  if (Number(req.headers['content-length'] ?? 0) > limit) throw new PayloadTooLargeError(limit)
  const fits = await new Promise<boolean>((resolve) => {
    let received = 0
    const onData = (chunk: Buffer) => {
      received += chunk.length
      if (received > limit) done(false)
    }
    const done = (ended: boolean) => {
      req.off('data', onData)
      resolve(ended)
    }
    req.on('data', onData)
    for (const event of ['end', 'close', 'error', 'aborted']) req.once(event, () => done(true))
  })
  if (!fits) throw new PayloadTooLargeError(limit)
}

export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const { store, directory, rateLimits, adminKey, accounts, seeder, consoleDir } = deps
  const app = createFastify(deps)
  app.setValidatorCompiler(validatorCompiler)
  refuseNulCharacters(app)
  readBodiesAsJson(app)
  registerErrorHandling(app)
  refuseMalformedRequests(app)
  sendBrowsersToConsole(app)
  closeConnectionsWhenClosing(app)
  await app.register(swagger, OPENAPI)

  const cursors = new CursorCodec(store.secret)
  // Per process, not in the store: see src/admin/faults.ts.
  const faults = new FaultRegistry()
  healthRoutes(app, store)
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger())
  await app.register(async (api) => {
    requireWorkspaceToken(api, store, rateLimits)
    injectFaults(api, faults)
    // Invites made through the Public API are mailed; the mailer is poked once their change has committed.
    const iam = { store, cursors, invitations: accounts.invitations, mailQueued: () => accounts.mailQueued() }
    await api.register(workspaceRoutes, iam)
    await api.register(userRoutes, iam)
    await api.register(inviteRoutes, iam)
    await api.register(groupRoutes, iam)
    await api.register(groupMemberRoutes, iam)
  })
  await app.register(adminRoutes, { prefix: '/admin', store, cursors, adminKey, faults, accounts, seeder })
  await app.register(consoleRoutes, { prefix: '/console/api', accounts, cursors })
  await app.register(consolePages, { dir: consoleDir ?? defaultConsoleDir() })
  await app.register(directoryRoutes, { prefix: '/directory', ...directory })
  return app
}

function createFastify({ logLevel, logStream, trustProxy = false }: AppDeps) {
  return Fastify({
    // req.ip is the socket's peer unless the operator names the proxies allowed to say otherwise (a number:
    // that many hops nearest the server).
    trustProxy: typeof trustProxy === 'number' ? (_address: string, hop: number) => hop < trustProxy : trustProxy,
    logger: {
      level: logLevel,
      ...(logStream ? { stream: logStream } : {}),
      // Secrets travel in Authorization and in the session cookie; never log them, whatever the level.
      redact: {
        paths: [
          'req.headers.authorization',
          'headers.authorization',
          'req.headers.cookie',
          'headers.cookie',
          'res.headers["set-cookie"]',
          'headers["set-cookie"]',
        ],
        censor: '[redacted]',
      },
      serializers: { req: logRequest },
    },
    bodyLimit: BODY_LIMIT_BYTES,
    // Node would answer an HTTP/1.1 request without Host with a bare 400 of its own; a hook answers it in the envelope.
    http: { maxHeaderSize: HEADER_LIMIT_BYTES, requireHostHeader: false },
    frameworkErrors,
    clientErrorHandler,
    return503OnClosing: true,
    // The SDK doubles the slash when a basePath ends in '/'; serve `//groups` as `/groups`.
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH, ignoreDuplicateSlashes: true, querystringParser: parseQuerySafely },
  }).withTypeProvider<TypeBoxTypeProvider>()
}

/**
 * An empty JSON body (a DELETE sent with `Content-Type: application/json`, as hand-written scripts do) reads
 * as no body; validation then says what is missing. Segment's versioned media types are JSON too.
 */
function readBodiesAsJson(app: FastifyInstance): void {
  const parseJson = app.getDefaultJsonParser('error', 'error')
  app.removeContentTypeParser('application/json')
  for (const type of ['application/json', /^application\/vnd\.segment\.[\w.-]+\+json/]) {
    app.addContentTypeParser(type, { parseAs: 'string' }, (req, body, done) =>
      body === '' ? done(null, undefined) : parseJson(req, body as string, done),
    )
  }
  // Bodies are JSON only: without this, Fastify's built-in text/plain parser hands the string to the
  // validator and a text/plain POST gets a 422 instead of the 415 it deserves.
  app.removeContentTypeParser('text/plain')
}

/** Requests Node or Fastify would otherwise answer in their own shape, or read a body for that nobody wants. */
function refuseMalformedRequests(app: FastifyInstance): void {
  app.server.on('checkExpectation', expectationFailedHandler)
  app.addHook('onRequest', async (req) => {
    if (req.raw.httpVersion === '1.1' && req.headers.host === undefined)
      throw new BadRequestError('An HTTP/1.1 request needs a Host header')
  })
  app.addHook('onRequest', async (req) => {
    if ((req.method === 'GET' || req.method === 'HEAD') && carriesBody(req.raw)) await discardBody(req.raw, BODY_LIMIT_BYTES)
  })
}

/**
 * Fastify closes idle keep-alive sockets when close() begins, but a socket whose request is still in
 * flight stays open after its answer until the client drops it (72 s): close() and a SIGTERM would hang.
 * Answering those requests with `Connection: close` lets Node end each socket once its answer is sent.
 */
function closeConnectionsWhenClosing(app: FastifyInstance): void {
  let closing = false
  app.addHook('preClose', async () => {
    closing = true
  })
  app.addHook('onSend', async (_req, reply) => {
    if (closing) reply.header('connection', 'close')
  })
}

const OPENAPI = {
  openapi: {
    openapi: '3.0.3',
    info: { title: 'Gatehouse', version: VERSION, description: 'Segment Public API–compatible workspace access management' },
    components: {
      securitySchemes: {
        token: { type: 'http' as const, scheme: 'bearer' },
        session: {
          type: 'apiKey' as const,
          in: 'cookie',
          name: 'gatehouse_session',
          description: 'Console sessions; changes also need X-CSRF-Token',
        },
      },
    },
    security: [{ token: [] }],
  },
}

/** Liveness: the process answers. Readiness: the store answers too (a load balancer stops routing here when not). */
function healthRoutes(app: FastifyInstance, store: Store): void {
  app.get('/healthz', { schema: { hide: true } }, async () => ({ status: 'ok' }))
  app.get('/readyz', { schema: { hide: true } }, async () => {
    try {
      await Promise.race([
        store.ping(),
        new Promise((_, reject) => setTimeout(() => reject(new Error('timeout exceeded when trying to connect')), 2_000).unref()),
      ])
    } catch {
      throw new UnavailableError('Not ready: the store is unreachable')
    }
    return { status: 'ready' }
  })
}
