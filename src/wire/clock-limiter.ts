import { RateLimiterRes } from 'rate-limiter-flexible'
import type { Clock } from '../clock.js'
import type { LimiterFactory, PointsLimiter } from './rate-limit.js'

/*
 * rate-limiter-flexible's memory limiter reads Date.now itself, so a test that advances the server's clock
 * would still wait a real minute for a window to turn. Under a controllable clock the windows live here
 * instead: fixed windows, in memory, that start at a key's first point and end `duration` seconds of the
 * server's clock later. Production keeps rate-limiter-flexible (memory, Redis or PostgreSQL).
 */

interface Window {
  points: number
  endsAt: number
}

export class ClockLimiter implements PointsLimiter {
  private readonly windows = new Map<string, Window>()
  private readonly durationMs: number

  constructor(
    private readonly clock: Clock,
    private readonly options: { keyPrefix: string; points: number; duration: number },
  ) {
    this.durationMs = options.duration * 1000
  }

  /** Spends points; rejects with a RateLimiterRes past the budget, as rate-limiter-flexible does. */
  async consume(key: string | number, points = 1): Promise<RateLimiterRes> {
    const window = this.windowOf(key, true) as Window
    window.points += points
    const res = this.res(window)
    if (window.points > this.options.points) throw res
    return res
  }

  /** Gives points back (a refunded attempt). */
  async reward(key: string | number, points = 1): Promise<RateLimiterRes> {
    const window = this.windowOf(key, true) as Window
    window.points -= points
    return this.res(window)
  }

  async get(key: string | number): Promise<RateLimiterRes | null> {
    const window = this.windowOf(key, false)
    return window ? this.res(window) : null
  }

  async delete(key: string | number): Promise<boolean> {
    return this.windows.delete(this.keyOf(key))
  }

  private windowOf(key: string | number, open: boolean): Window | undefined {
    const name = this.keyOf(key)
    const now = this.clock.ms()
    const current = this.windows.get(name)
    if (current && current.endsAt > now) return current
    this.windows.delete(name)
    if (!open) return undefined
    const fresh = { points: 0, endsAt: now + this.durationMs }
    this.windows.set(name, fresh)
    return fresh
  }

  private keyOf(key: string | number): string {
    return `${this.options.keyPrefix}:${key}`
  }

  private res(window: Window): RateLimiterRes {
    return new RateLimiterRes(Math.max(0, this.options.points - window.points), Math.max(0, window.endsAt - this.clock.ms()), window.points)
  }
}

/** The limiter factory of a server whose clock tests move. */
export function clockLimiters(clock: Clock): LimiterFactory {
  return (options) => new ClockLimiter(clock, options)
}
