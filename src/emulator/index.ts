import { randomBytes } from 'node:crypto'
import { ManualClock } from '../clock.js'
import { clockConfig, resolveServeConfig, type ServeFlags } from '../config.js'
import { type Fixture, parseFixture, readFixtureFile } from '../fixtures/schema.js'
import { type RunningServer, startServer } from '../server.js'
import { migrateStore } from '../store/open.js'

/*
 * Gatehouse inside a test suite: `const gh = await startGatehouse()` starts the real server in this process on
 * a free port, on an in-memory SQLite store by default, with the operator API on under a fresh admin key. Each
 * call is its own server with its own store, keys and limits, so one per test worker runs side by side.
 */

export { type Fixture, FixtureError, type FixtureWorkspace, parseFixture, TOKEN_SECRET_PATTERN } from '../fixtures/schema.js'

export interface GatehouseOptions {
  /** A fixture (object or path of a JSON file) seeded at start, and what `reset()` returns to. */
  seed?: Fixture | string
  /** A SQLite file instead of memory (its key file, gatehouse.key, sits beside it). */
  db?: string
  /** PostgreSQL instead (`postgres://…`, a `?options=-c%20search_path%3D…` schema works); migrated first. */
  databaseUrl?: string
  /** The key that seals remote tokens (64 hex characters); default: a new one per start, or the key file beside `db`. */
  secretKey?: string
  /** Default: a new random key per start. */
  adminKey?: string
  /** Requests per minute per workspace, or 'off' (default: 600, as Segment). */
  rateLimit?: number | 'off'
  writeRateLimit?: number
  /** 'silent' unless set: fatal, error, warn, info, debug, trace. */
  logLevel?: string
  /** Default 127.0.0.1 and 0 (any free port). */
  host?: string
  port?: number
  /** Where links in mail point (default: the URL it listens on). Mail is never sent: it waits in the outbox. */
  publicUrl?: string
  /**
   * A clock the test moves (`gatehouse.clock.advance(ms)`): 'manual' stands still at the start time, a Date or
   * an ISO time starts there. Expiries, sessions, rate-limit windows, audit times and the outbox follow it.
   * Default: real time, and `clock.set`/`advance` throw.
   */
  clock?: 'manual' | Date | string
}

/** The emulator's clock: what the server decides by. */
export interface EmulatorClock {
  now(): Date
  /** Jumps to this time (backwards too). */
  set(to: Date | string): Date
  /** Moves forward by this many milliseconds. */
  advance(ms: number): Date
}

export interface CreateWorkspaceOptions {
  /** Default: a unique `ws-…` slug. */
  slug?: string
  name?: string
  plan?: 'business' | 'team' | 'free'
  /** Default: owner@<slug>.example. */
  ownerEmail?: string
  ownerName?: string
}

export interface CreatedWorkspace {
  workspace: { id: string; slug: string; name: string; plan: string }
  /** The workspace's OWNER token, for `Authorization: Bearer …` (or the SDK's `configureApis(token)`). */
  token: string
  owner: { id: string; email: string; name: string }
}

/** A user as the Public API answers it (UserV1). */
export interface EmulatorUser {
  id: string
  email: string
  name: string
  permissions?: unknown[]
}

export interface Gatehouse {
  /** `http://127.0.0.1:<port>`: the Public API at its root, the console under /console, the operator API under /admin. */
  url: string
  /** The operator API's key (`Authorization: Bearer <adminKey>` on /admin/…). */
  adminKey: string
  /** A new workspace with its owner and an OWNER token, through the operator API. */
  createWorkspace(options?: CreateWorkspaceOptions): Promise<CreatedWorkspace>
  /** Makes these emails members of the workspace (id or slug), at once. */
  addUsers(workspace: string, users: readonly (string | { email: string; name?: string })[]): Promise<EmulatorUser[]>
  /** Everything back to the seed (or empty without one): data, accounts, outbox, audit, injected faults. */
  reset(): Promise<void>
  /** One seeded workspace back to its seed. */
  resetWorkspace(workspace: string): Promise<void>
  /** The server's clock; `set` and `advance` need `startGatehouse({ clock: 'manual' })`. */
  clock: EmulatorClock
  /** Stops the server and closes its store (an in-memory store is gone). */
  stop(): Promise<void>
  /** @internal The running server (this repository's tests read its store); not part of the published types. */
  server: RunningServer
}

/** Starts Gatehouse in this process; resolves once it listens (and the seed, if any, is in). */
export async function startGatehouse(options: GatehouseOptions = {}): Promise<Gatehouse> {
  const fixture = typeof options.seed === 'string' ? readFixtureFile(options.seed) : options.seed && parseFixture(options.seed)
  const adminKey = options.adminKey ?? randomBytes(24).toString('hex')
  const flags: ServeFlags = {
    host: options.host ?? '127.0.0.1',
    port: String(options.port ?? 0),
    db: options.db ?? ':memory:',
    adminKey,
    logLevel: options.logLevel ?? 'silent',
    demo: false,
    syncScheduler: false,
    ...(options.databaseUrl ? { databaseUrl: options.databaseUrl } : {}),
    ...(options.rateLimit === undefined ? {} : { rateLimit: String(options.rateLimit) }),
    ...(options.writeRateLimit === undefined ? {} : { writeRateLimit: String(options.writeRateLimit) }),
    ...(options.publicUrl ? { publicUrl: options.publicUrl } : {}),
  }
  // No GATEHOUSE_* variable of the test process reaches an emulator: it is configured by its options only.
  const config = resolveServeConfig(flags, {})
  if (options.clock !== undefined)
    config.clock = clockConfig(
      options.clock instanceof Date
        ? `manual=${options.clock.toISOString()}`
        : options.clock === 'manual'
          ? 'manual'
          : `manual=${options.clock}`,
    )
  const persistentKey = options.db !== undefined && options.databaseUrl === undefined
  config.secretKey = options.secretKey ?? (persistentKey ? undefined : randomBytes(32).toString('hex'))
  if (config.databaseUrl) await migrateStore({ postgresUrl: config.databaseUrl })
  const server = await startServer(config, () => {})
  if (fixture) {
    try {
      await server.seeder.seed(fixture)
    } catch (error) {
      await server.stop()
      throw error
    }
  }
  return emulator(server, adminKey)
}

// Process-wide, not per emulator: default slugs stay unique across every emulator of a test process (they may share a database).
let slugs = 0

function emulator(server: RunningServer, adminKey: string): Gatehouse {
  const admin = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const res = await fetch(`${server.url}/admin${path}`, {
      method,
      headers: { authorization: `Bearer ${adminKey}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    })
    const text = await res.text()
    if (!res.ok) throw new Error(`Gatehouse ${method} /admin${path} answered ${res.status}: ${text}`)
    return (JSON.parse(text) as { data: T }).data
  }
  return {
    url: server.url,
    adminKey,
    server,
    async createWorkspace(options = {}) {
      slugs += 1
      const slug = options.slug ?? `ws-${slugs}-${randomBytes(3).toString('hex')}`
      return admin<CreatedWorkspace>('POST', '/workspaces', {
        slug,
        name: options.name ?? slug,
        ownerEmail: options.ownerEmail ?? `owner@${slug}.example`,
        ...(options.ownerName === undefined ? {} : { ownerName: options.ownerName }),
        ...(options.plan === undefined ? {} : { plan: options.plan }),
      })
    },
    async addUsers(workspace, users) {
      const people = users.map((u) => (typeof u === 'string' ? { email: u } : u))
      const added: EmulatorUser[] = []
      // The operator API takes up to 1,000 at a time.
      for (let i = 0; i < people.length; i += 1000) {
        const chunk = people.slice(i, i + 1000)
        added.push(
          ...(await admin<{ users: EmulatorUser[] }>('POST', `/workspaces/${encodeURIComponent(workspace)}/users`, { users: chunk })).users,
        )
      }
      return added
    },
    async reset() {
      await admin('POST', '/reset')
    },
    async resetWorkspace(workspace) {
      await admin('POST', `/workspaces/${encodeURIComponent(workspace)}/reset`)
    },
    clock: emulatorClock(server),
    stop: () => server.stop(),
  }
}

function emulatorClock(server: RunningServer): EmulatorClock {
  const manual = (): ManualClock => {
    const { clock } = server.store
    if (clock instanceof ManualClock) return clock
    throw new Error("This Gatehouse runs on the system clock: start it with startGatehouse({ clock: 'manual' }) to set or advance it")
  }
  return {
    now: () => server.store.clock.now(),
    set: (to) => manual().set(to),
    advance: (ms) => manual().advance(ms),
  }
}
