import { type RateLimiterAbstract, RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible'
import { type Clock, systemClock } from '../clock.js'
import { RateLimitError, type RateLimitOutcome } from '../errors.js'

export interface RateLimitConfig {
  enabled: boolean
  /** Budget for all Public API requests of one workspace, per one-minute window. */
  perMinute: number
  /** Budget for each RL60 write endpoint of one workspace, per one-minute window. */
  writePerMinute: number
  /** Window length in seconds: 60, as Segment's; shorter only to test clients against window turns quickly. */
  windowSeconds?: number
}

export const DEFAULT_RATE_LIMITS: RateLimitConfig = { enabled: true, perMinute: 600, writePerMinute: 60 }

/** The part of a rate-limiter-flexible limiter Gatehouse uses (clock-limiter.ts implements it too). */
export type PointsLimiter = Pick<RateLimiterAbstract, 'consume' | 'reward' | 'get' | 'delete'>

/** Makes a points-per-window limiter: in memory, or shared through Redis or PostgreSQL (see limiter-stores.ts). */
export type LimiterFactory = (options: { keyPrefix: string; points: number; duration: number }) => PointsLimiter

export const memoryLimiters: LimiterFactory = (options) => new RateLimiterMemory(options)

/**
 * Per-workspace budgets in fixed one-minute windows: one for every request, one per RL60 endpoint.
 * A request on an RL60 endpoint spends a point of both and reports the endpoint's budget.
 */
export class RateLimits {
  private readonly all: PointsLimiter
  private readonly writes: PointsLimiter

  constructor(
    readonly config: RateLimitConfig,
    factory: LimiterFactory = memoryLimiters,
    private readonly clock: Clock = systemClock,
  ) {
    const duration = config.windowSeconds ?? 60
    this.all = factory({ keyPrefix: 'gh_all', points: config.perMinute, duration })
    this.writes = factory({ keyPrefix: 'gh_rl60', points: config.writePerMinute, duration })
  }

  /** Spends a point; throws RateLimitError (429) when a budget is exhausted. */
  async consume(workspaceId: string, endpoint: string | undefined): Promise<RateLimitOutcome> {
    const overall = await spend(this.all, workspaceId, this.clock)
    if (endpoint === undefined) return overall
    return spend(this.writes, `${workspaceId}:${endpoint}`, this.clock)
  }
}

async function spend(limiter: PointsLimiter, key: string, clock: Clock): Promise<RateLimitOutcome> {
  try {
    return outcome(await limiter.consume(key, 1), clock)
  } catch (rejection) {
    if (rejection instanceof RateLimiterRes) throw new RateLimitError(outcome(rejection, clock))
    throw rejection
  }
}

function outcome(res: RateLimiterRes, clock: Clock): RateLimitOutcome {
  return {
    remainingPoints: Math.max(0, res.remainingPoints),
    msBeforeNext: res.msBeforeNext,
    consumedPoints: res.consumedPoints,
    resetAt: new Date(clock.ms() + res.msBeforeNext),
  }
}

/** The three headers Segment sends; X-RateLimit-Reset is an RFC 5322 date. */
export function rateLimitHeaders(o: RateLimitOutcome): Record<string, string> {
  return {
    'X-RateLimit-Consumed': String(o.consumedPoints),
    'X-RateLimit-Remaining': String(o.remainingPoints),
    'X-RateLimit-Reset': o.resetAt.toUTCString(),
  }
}
