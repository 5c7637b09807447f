import { isIP } from 'node:net'
import { dirname, join } from 'node:path'
import type { LogStream } from './app.js'
import { type Clock, clockFrom } from './clock.js'
import { DEFAULT_DIRECTORY_CONFIG, type DirectoryConfig } from './directory/context.js'
import { parseHostRule } from './outbound/policy.js'
import type { StoreConfig } from './store/open.js'
import type { RateLimitStore } from './wire/limiter-stores.js'
import { DEFAULT_RATE_LIMITS, type RateLimitConfig } from './wire/rate-limit.js'

/** One typed config, from flags first, then GATEHOUSE_* environment variables, then defaults. */
export interface ServeConfig {
  host: string
  port: number
  db: string
  /** PostgreSQL instead of the SQLite file: `postgres://…` (flag --database-url, env DATABASE_URL). */
  databaseUrl: string | undefined
  /** PostgreSQL: connections per replica, and how long one statement may run before it is cut off (503). */
  dbPoolSize: number
  dbStatementTimeoutMs: number
  adminKey: string | undefined
  rateLimits: RateLimitConfig
  /** Where rate-limit windows live: memory (one process), or shared by replicas through Redis or PostgreSQL. */
  rateLimitStore: RateLimitStore
  redisUrl: string | undefined
  logLevel: string
  /** Where log lines go instead of stdout; never set from flags or env (tests and embedders). */
  logStream?: LogStream | undefined
  /** Create a demo workspace (and print its token) when the store has none. */
  demo: boolean
  /** A fixture file (`--seed`, env GATEHOUSE_SEED) seeded into an empty store, and what `POST /admin/reset` returns to. */
  seedFile: string | undefined
  /** Key for remote tokens: GATEHOUSE_SECRET_KEY, else this key file (created 0600 on first start). */
  secretKey: string | undefined
  keyFile: string
  directory: DirectoryConfig
  /** Sync every connection on its interval in this process (off: only syncs started through the API or CLI). */
  syncScheduler: boolean
  /** Hosts remotes may be on besides Segment's (`host`, `host:port`, `*.domain`): see src/outbound/policy.ts. */
  allowRemoteHosts: string[]
  /** The most of one remote answer that is read (a list page, a proxied answer); beyond it, 502. */
  remoteBodyLimitBytes: number
  mail: MailConfig
  /**
   * Which proxies in front may say who the client is (X-Forwarded-For): a number of hops, or their addresses
   * and CIDR ranges. Off by default: anyone could otherwise claim any address and slip past the per-address
   * sign-in limits.
   */
  trustProxy: number | string[] | false
  /**
   * What expiries, sessions, rate-limit windows, audit times, the outbox and the sync scheduler read: real time,
   * or (`--clock manual[=ISO]`, tests only) a clock that stands still until `/admin/clock` sets or advances it.
   */
  clock: Clock
}

export interface MailConfig {
  /** `smtp://user:pass@host:587` or `smtps://…`; unset: messages wait in the outbox (instance admins read them). */
  smtpUrl: string | undefined
  /** The From of every message. */
  from: string
  /** The server's address as people reach it, for links in messages; unset: the address it listens on. */
  publicUrl: string | undefined
}

export interface ServeFlags {
  host?: string
  port?: string
  db?: string
  databaseUrl?: string
  dbPoolSize?: string
  dbStatementTimeout?: string
  adminKey?: string
  rateLimit?: string
  writeRateLimit?: string
  rateLimitStore?: string
  redisUrl?: string
  logLevel?: string
  demo?: boolean
  seed?: string
  secretKeyFile?: string
  syncInterval?: string
  driftThreshold?: string
  syncStaleAfter?: string
  syncScheduler?: boolean
  allowRemoteHost?: string[]
  remoteBodyLimit?: string
  smtpUrl?: string
  mailFrom?: string
  publicUrl?: string
  trustProxy?: string
  clock?: string
}

export class ConfigError extends Error {}

export const DEFAULT_DB = './gatehouse.db'
export const DEFAULT_DB_POOL_SIZE = 10
export const DEFAULT_DB_STATEMENT_TIMEOUT_SECONDS = 10

export function dbPath(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  return flag ?? env.GATEHOUSE_DB ?? DEFAULT_DB
}

export function databaseUrl(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const url = flag ?? env.DATABASE_URL ?? env.GATEHOUSE_DATABASE_URL
  if (url === undefined || url === '') return undefined
  if (!/^postgres(ql)?:\/\//.test(url)) throw new ConfigError('--database-url must be a postgres:// URL')
  return url
}

/** Where the store lives: PostgreSQL when a URL is given, else the SQLite file. */
export function storeConfig(
  config: Pick<ServeConfig, 'db' | 'databaseUrl'> & Partial<Pick<ServeConfig, 'dbPoolSize' | 'dbStatementTimeoutMs'>>,
): StoreConfig {
  if (!config.databaseUrl) return { sqliteFile: config.db }
  return {
    postgresUrl: config.databaseUrl,
    ...(config.dbPoolSize ? { poolSize: config.dbPoolSize } : {}),
    ...(config.dbStatementTimeoutMs ? { statementTimeoutMs: config.dbStatementTimeoutMs } : {}),
  }
}

export function resolveServeConfig(flags: ServeFlags, env: NodeJS.ProcessEnv = process.env): ServeConfig {
  const rateLimit = flags.rateLimit ?? env.GATEHOUSE_RATE_LIMIT
  const off = rateLimit === 'off'
  const adminKey = flags.adminKey ?? env.GATEHOUSE_ADMIN_KEY
  if (adminKey !== undefined && adminKey.length < 16) throw new ConfigError('--admin-key must be at least 16 characters')
  return {
    host: flags.host ?? env.GATEHOUSE_HOST ?? '127.0.0.1',
    port: integer('--port', flags.port ?? env.GATEHOUSE_PORT, 4100, 0, 65535),
    db: dbPath(flags.db, env),
    databaseUrl: databaseUrl(flags.databaseUrl, env),
    dbPoolSize: integer('--db-pool-size', flags.dbPoolSize ?? env.GATEHOUSE_DB_POOL_SIZE, DEFAULT_DB_POOL_SIZE, 1, 1000),
    dbStatementTimeoutMs:
      integer(
        '--db-statement-timeout',
        flags.dbStatementTimeout ?? env.GATEHOUSE_DB_STATEMENT_TIMEOUT,
        DEFAULT_DB_STATEMENT_TIMEOUT_SECONDS,
        1,
        3600,
      ) * 1000,
    adminKey: adminKey || undefined,
    rateLimits: {
      enabled: !off,
      perMinute: off ? 0 : integer('--rate-limit', rateLimit, DEFAULT_RATE_LIMITS.perMinute, 1, 1_000_000),
      writePerMinute: integer(
        '--write-rate-limit',
        flags.writeRateLimit ?? env.GATEHOUSE_WRITE_RATE_LIMIT,
        DEFAULT_RATE_LIMITS.writePerMinute,
        1,
        1_000_000,
      ),
    },
    ...limiterStore(flags, env),
    logLevel: flags.logLevel ?? env.GATEHOUSE_LOG_LEVEL ?? 'info',
    // A seeded store holds the seed's workspaces only, never the demo's.
    demo: (flags.seed ?? env.GATEHOUSE_SEED) ? false : (flags.demo ?? env.GATEHOUSE_DEMO !== 'false'),
    seedFile: flags.seed ?? (env.GATEHOUSE_SEED || undefined),
    ...keyConfig(flags.db, flags.secretKeyFile, env),
    directory: {
      ...DEFAULT_DIRECTORY_CONFIG,
      syncIntervalMs:
        integer(
          '--sync-interval',
          flags.syncInterval ?? env.GATEHOUSE_SYNC_INTERVAL,
          DEFAULT_DIRECTORY_CONFIG.syncIntervalMs / 1000,
          1,
          7 * 86400,
        ) * 1000,
      staleRunMs:
        integer(
          '--sync-stale-after',
          flags.syncStaleAfter ?? env.GATEHOUSE_SYNC_STALE_AFTER,
          DEFAULT_DIRECTORY_CONFIG.staleRunMs / 1000,
          2,
          86400,
        ) * 1000,
      driftThreshold: ratio(
        '--drift-threshold',
        flags.driftThreshold ?? env.GATEHOUSE_DRIFT_THRESHOLD,
        DEFAULT_DIRECTORY_CONFIG.driftThreshold,
      ),
    },
    syncScheduler: flags.syncScheduler ?? env.GATEHOUSE_SYNC_SCHEDULER !== 'off',
    ...remoteConfig(flags, env),
    mail: mailConfig(flags, env),
    trustProxy: trustProxy(flags.trustProxy ?? env.GATEHOUSE_TRUST_PROXY),
    clock: clockConfig(flags.clock ?? env.GATEHOUSE_CLOCK),
  }
}

/** `--clock system` (the default) or `--clock manual` / `manual=2030-01-01T00:00:00Z` (tests: moved through /admin/clock). */
export function clockConfig(raw: string | undefined): Clock {
  const value = raw?.trim() ?? ''
  if (value === '' || value === 'system') return clockFrom('system')
  if (value !== 'manual' && !value.startsWith('manual='))
    throw new ConfigError(`--clock must be system, manual or manual=<ISO time>, got ${value}`)
  try {
    return clockFrom(value as 'manual')
  } catch {
    throw new ConfigError(`--clock ${value}: the start is not an ISO 8601 time (e.g. manual=2030-01-01T00:00:00Z)`)
  }
}

/** `--trust-proxy 1` (hops) or `--trust-proxy 10.0.0.0/8,127.0.0.1` (addresses and ranges); unset or `off`: none. */
export function trustProxy(raw: string | undefined): number | string[] | false {
  if (raw === undefined || raw.trim() === '' || raw === 'off') return false
  if (/^\d+$/.test(raw.trim())) return integer('--trust-proxy', raw.trim(), 0, 1, 10)
  const entries = raw
    .split(',')
    .map((e) => e.trim())
    .filter((e) => e !== '')
  for (const entry of entries) {
    const [address, bits, ...rest] = entry.split('/')
    const family = isIP(address ?? '')
    const maxBits = family === 6 ? 128 : 32
    if (family === 0 || rest.length > 0 || (bits !== undefined && !(/^\d+$/.test(bits) && Number(bits) <= maxBits)))
      throw new ConfigError(`--trust-proxy must be a number of hops (1 to 10) or addresses and CIDR ranges, got ${entry}`)
  }
  return entries
}

export const DEFAULT_MAIL_FROM = 'Gatehouse <gatehouse@localhost>'

export function mailConfig(
  flags: Pick<ServeFlags, 'smtpUrl' | 'mailFrom' | 'publicUrl'>,
  env: NodeJS.ProcessEnv = process.env,
): MailConfig {
  const smtpUrl = flags.smtpUrl ?? env.GATEHOUSE_SMTP_URL
  if (smtpUrl && !/^smtps?:\/\/[^/\s]+/.test(smtpUrl)) throw new ConfigError('--smtp-url must be an smtp:// or smtps:// URL')
  const from = flags.mailFrom ?? env.GATEHOUSE_MAIL_FROM ?? DEFAULT_MAIL_FROM
  if (!/^[^\r\n<>@]*<?[^\s@<>]+@[^\s@<>]+>?$/.test(from.trim()))
    throw new ConfigError('--mail-from must be an address: Name <name@example.com>')
  const publicUrl = flags.publicUrl ?? env.GATEHOUSE_PUBLIC_URL
  if (publicUrl !== undefined && publicUrl !== '') {
    let url: URL | undefined
    try {
      url = new URL(publicUrl)
    } catch {}
    if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:') || url.search || url.hash)
      throw new ConfigError('--public-url must be an http(s) URL such as https://gatehouse.example.com')
  }
  return { smtpUrl: smtpUrl || undefined, from: from.trim(), publicUrl: publicUrl ? publicUrl.replace(/\/+$/, '') : undefined }
}

/** Where the directory may reach, and how much of an answer it reads. */
export function remoteConfig(
  flags: Pick<ServeFlags, 'allowRemoteHost' | 'remoteBodyLimit'>,
  env: NodeJS.ProcessEnv = process.env,
): Pick<ServeConfig, 'allowRemoteHosts' | 'remoteBodyLimitBytes'> {
  const given = flags.allowRemoteHost?.length ? flags.allowRemoteHost : (env.GATEHOUSE_ALLOW_REMOTE_HOSTS ?? '').split(',')
  const allowRemoteHosts = given.map((entry) => entry.trim()).filter((entry) => entry !== '')
  for (const entry of allowRemoteHosts) {
    try {
      parseHostRule(entry)
    } catch (error) {
      throw new ConfigError((error as Error).message)
    }
  }
  const megabytes = integer('--remote-body-limit', flags.remoteBodyLimit ?? env.GATEHOUSE_REMOTE_BODY_LIMIT, 10, 1, 1024)
  return { allowRemoteHosts, remoteBodyLimitBytes: megabytes * 1024 * 1024 }
}

/** Default: memory on SQLite (one process); on PostgreSQL, Redis when a URL is given, else PostgreSQL itself. */
function limiterStore(flags: ServeFlags, env: NodeJS.ProcessEnv): { rateLimitStore: RateLimitStore; redisUrl: string | undefined } {
  const redisUrl = flags.redisUrl ?? env.REDIS_URL ?? env.GATEHOUSE_REDIS_URL
  const onPostgres = databaseUrl(flags.databaseUrl, env) !== undefined
  const chosen = flags.rateLimitStore ?? env.GATEHOUSE_RATE_LIMIT_STORE ?? (onPostgres ? (redisUrl ? 'redis' : 'postgres') : 'memory')
  if (chosen !== 'memory' && chosen !== 'redis' && chosen !== 'postgres')
    throw new ConfigError(`--rate-limit-store must be memory, redis or postgres, got ${chosen}`)
  if (chosen === 'redis' && !redisUrl) throw new ConfigError('--rate-limit-store redis needs --redis-url (env REDIS_URL)')
  if (chosen === 'postgres' && !onPostgres) throw new ConfigError('--rate-limit-store postgres needs --database-url')
  if (redisUrl !== undefined && !/^rediss?:\/\//.test(redisUrl)) throw new ConfigError('--redis-url must be a redis:// URL')
  return { rateLimitStore: chosen, redisUrl: redisUrl || undefined }
}

/** Where the credential key comes from; the key file sits beside the SQLite file by default. */
export function keyConfig(db: string | undefined, keyFileFlag: string | undefined, env: NodeJS.ProcessEnv = process.env) {
  return {
    secretKey: env.GATEHOUSE_SECRET_KEY || undefined,
    keyFile: keyFileFlag ?? env.GATEHOUSE_SECRET_KEY_FILE ?? join(dirname(dbPath(db, env)), 'gatehouse.key'),
  }
}

function ratio(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined || raw === '') return fallback
  const n = Number(raw)
  if (!Number.isFinite(n) || n <= 0 || n > 1)
    throw new ConfigError(`${name} must be a fraction above 0 and at most 1 (0.2 = 20%), got ${raw}`)
  return n
}

function integer(name: string, raw: string | undefined, fallback: number, min: number, max: number): number {
  if (raw === undefined || raw === '') return fallback
  const n = Number(raw)
  if (!Number.isInteger(n) || n < min || n > max) throw new ConfigError(`${name} must be a whole number from ${min} to ${max}, got ${raw}`)
  return n
}
