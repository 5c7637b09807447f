import { Redis } from 'ioredis'
import type pg from 'pg'
import { RateLimiterMemory, RateLimiterPostgres, RateLimiterRedis } from 'rate-limiter-flexible'
import type { LimiterFactory } from './rate-limit.js'

export type RateLimitStore = 'memory' | 'redis' | 'postgres'

export interface SharedLimiters {
  factory: LimiterFactory
  close(): Promise<void>
}

/**
 * Where rate-limit windows live. `memory` is per process (one SQLite server); `redis` and `postgres` are
 * shared, so replicas together allow one budget, not one each. A shared store that fails falls back to a
 * per-process window (the "insurance" limiter) instead of failing requests.
 */
export function sharedLimiters(store: RateLimitStore, options: { redisUrl?: string; pgPool?: pg.Pool }): SharedLimiters {
  if (store === 'memory') return { factory: (o) => new RateLimiterMemory(o), close: async () => {} }
  if (store === 'redis') {
    if (!options.redisUrl) throw new Error('--rate-limit-store redis needs --redis-url')
    const redis = new Redis(options.redisUrl, { enableOfflineQueue: false, maxRetriesPerRequest: 1, lazyConnect: false })
    redis.on('error', () => {}) // reconnects by itself; requests use the insurance limiter meanwhile
    return {
      factory: (o) => new RateLimiterRedis({ ...o, storeClient: redis, insuranceLimiter: new RateLimiterMemory(o) }),
      close: async () => {
        redis.disconnect()
      },
    }
  }
  if (!options.pgPool) throw new Error('--rate-limit-store postgres needs the PostgreSQL store')
  const pool = options.pgPool
  return {
    // The table is made by the store's migrations (0003), so no replica races to create it.
    factory: (o) =>
      new RateLimiterPostgres({
        ...o,
        storeClient: pool,
        storeType: 'pool',
        tableName: 'rate_limits',
        tableCreated: true,
        insuranceLimiter: new RateLimiterMemory(o),
      }),
    close: async () => {},
  }
}
