import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { LogStream } from '../../src/app.js'
import { resolveServeConfig } from '../../src/config.js'
import type { MailOptions } from '../../src/mail/mailer.js'
import { type RunningServer, startServer } from '../../src/server.js'
import { migrateStore } from '../../src/store/open.js'
import { createTestSchema, testStore } from './postgres.js'

export const ADMIN_KEY = 'test-admin-key-0123456789'

export interface HttpResult<T = any> {
  status: number
  headers: Headers
  body: T
  text: string
}

export interface SeededWorkspace {
  id: string
  slug: string
  name: string
  token: string
  owner: { id: string; email: string; name: string }
  http: HttpClient
}

/** Raw HTTP against a base URL with a bearer token; bodies are JSON-encoded, answers JSON-decoded. */
export class HttpClient {
  constructor(
    readonly baseUrl: string,
    readonly token: string | undefined,
  ) {}

  async request(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<HttpResult> {
    const init: RequestInit = { method, headers: { ...(this.token ? { authorization: `Bearer ${this.token}` } : {}), ...headers } }
    if (body !== undefined) {
      init.body = typeof body === 'string' ? body : JSON.stringify(body)
      ;(init.headers as Record<string, string>)['content-type'] ??= 'application/json'
    }
    const res = await fetch(this.baseUrl + path, init)
    const text = await res.text()
    let parsed: unknown
    try {
      parsed = text === '' ? undefined : JSON.parse(text)
    } catch {
      parsed = text
    }
    return { status: res.status, headers: res.headers, body: parsed, text }
  }

  get = (path: string, headers?: Record<string, string>) => this.request('GET', path, undefined, headers)
  post = (path: string, body?: unknown, headers?: Record<string, string>) => this.request('POST', path, body, headers)
  put = (path: string, body?: unknown, headers?: Record<string, string>) => this.request('PUT', path, body, headers)
  patch = (path: string, body?: unknown, headers?: Record<string, string>) => this.request('PATCH', path, body, headers)
  delete = (path: string, headers?: Record<string, string>) => this.request('DELETE', path, undefined, headers)
}

export interface Gatehouse {
  url: string
  dbFile: string
  /** The PostgreSQL schema's URL when the server runs on PostgreSQL (a second server or the CLI may share it). */
  databaseUrl: string | undefined
  server: RunningServer
  admin: HttpClient
  /** Creates a workspace through the operator API; each call gets a unique slug. */
  workspace(options?: { plan?: 'business' | 'team' | 'free'; name?: string }): Promise<SeededWorkspace>
  /** Makes these emails members at once through the operator API. */
  addUsers(workspace: SeededWorkspace, emails: string[]): Promise<{ id: string; email: string; name: string }[]>
  stop(): Promise<void>
}

let slugCounter = 0

export interface StartOptions {
  rateLimit?: string
  writeRateLimit?: string
  /** Rate-limit window in seconds (60 unless a test needs windows to turn quickly). */
  rateLimitWindowSeconds?: number
  /** Reuse a database file (restart tests); the credential key file sits beside it. */
  dbFile?: string
  /** Reuse a migrated PostgreSQL schema instead (restart tests on PostgreSQL); the caller drops it. */
  databaseUrl?: string
  /** Run the directory's periodic sync scheduler (off by default: tests start their syncs). */
  syncScheduler?: boolean
  /** The directory's sync interval, in ms (the flag's 1 s floor does not apply). */
  syncIntervalMs?: number
  /** Log level (default silent) and where the lines go (default stdout). */
  logLevel?: string
  logStream?: LogStream
  /** Hosts remotes may be on (default: 127.0.0.1, where these tests' remotes are). */
  allowRemoteHosts?: string[]
  /** The address people reach the server at (links in mail, Secure cookies when https); default: where it listens. */
  publicUrl?: string
  /** Send mail through this SMTP server (default: none, mail stays in the outbox). */
  smtpUrl?: string
  /** `--trust-proxy` (default: none). */
  trustProxy?: string
  /** The mail worker's timings (polls, retries), so tests need not wait minutes. */
  mail?: Partial<MailOptions>
  /** `--clock` (`manual`, `manual=<ISO>`): the server's own clock, moved through `gh.server.store.clock`. */
  clock?: string
}

/** Starts the real server in this process on a free port with a temporary SQLite file. */
export async function startGatehouse(options: StartOptions = {}): Promise<Gatehouse> {
  const dir = options.dbFile ? undefined : mkdtempSync(join(tmpdir(), 'gatehouse-test-'))
  const dbFile = options.dbFile ?? join(dir as string, 'gatehouse.db')
  // The same suites run on both stores: the vitest project sets GATEHOUSE_TEST_STORE.
  const pgSchema = options.databaseUrl
    ? { url: options.databaseUrl, drop: async () => {} }
    : testStore() === 'postgres' && !options.dbFile
      ? await createTestSchema()
      : undefined
  const config = resolveServeConfig(
    {
      host: '127.0.0.1',
      port: '0',
      db: dbFile,
      ...(pgSchema ? { databaseUrl: pgSchema.url } : {}),
      adminKey: ADMIN_KEY,
      rateLimit: options.rateLimit ?? 'off',
      ...(options.writeRateLimit ? { writeRateLimit: options.writeRateLimit } : {}),
      logLevel: options.logLevel ?? 'silent',
      demo: false,
      syncScheduler: options.syncScheduler ?? false,
      allowRemoteHost: options.allowRemoteHosts ?? ['127.0.0.1'],
      ...(options.publicUrl ? { publicUrl: options.publicUrl } : {}),
      ...(options.smtpUrl ? { smtpUrl: options.smtpUrl } : {}),
      ...(options.trustProxy ? { trustProxy: options.trustProxy } : {}),
      ...(options.clock ? { clock: options.clock } : {}),
    },
    {},
  )
  if (options.syncIntervalMs !== undefined) config.directory.syncIntervalMs = options.syncIntervalMs
  if (options.rateLimitWindowSeconds !== undefined) config.rateLimits.windowSeconds = options.rateLimitWindowSeconds
  if (options.logStream) config.logStream = options.logStream
  if (pgSchema) await migrateStore({ postgresUrl: pgSchema.url })
  const server = await startServer(config, () => {}, options.mail ? { mail: options.mail } : {})
  const admin = new HttpClient(server.url, ADMIN_KEY)
  return {
    url: server.url,
    dbFile,
    databaseUrl: pgSchema?.url,
    server,
    admin,
    async workspace({ plan = 'business', name } = {}) {
      const slug = `ws-${process.pid}-${++slugCounter}-${Math.random().toString(36).slice(2, 8)}`
      const res = await admin.post('/admin/workspaces', {
        name: name ?? `Workspace ${slug}`,
        slug,
        ownerEmail: `owner@${slug}.example`,
        ownerName: 'Owner',
        plan,
      })
      if (res.status !== 201) throw new Error(`workspace create failed: ${res.status} ${res.text}`)
      const { workspace, token, owner } = res.body.data
      return { ...workspace, token, owner, http: new HttpClient(server.url, token) }
    },
    async addUsers(workspace, emails) {
      const res = await admin.post(`/admin/workspaces/${workspace.id}/users`, {
        users: emails.map((email) => ({ email, name: email.split('@')[0] })),
      })
      if (res.status !== 201) throw new Error(`add users failed: ${res.status} ${res.text}`)
      return res.body.data.users
    },
    async stop() {
      await server.stop()
      await pgSchema?.drop()
      if (dir) rmSync(dir, { recursive: true, force: true })
    },
  }
}

/** Stands for the object `current` answers once it exists: property reads go to it, and throw before it does. */
export function startedLater<T extends object>(current: () => T | undefined, what: string): T {
  return new Proxy({} as T, {
    get(_, key) {
      const target = current()
      if (target === undefined) throw new Error(`${what} is used before beforeAll started it`)
      return Reflect.get(target, key)
    },
  })
}
