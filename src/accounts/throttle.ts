import { createHash } from 'node:crypto'
import { RateLimiterRes } from 'rate-limiter-flexible'
import { TooManyAttemptsError } from '../errors.js'
import type { LimiterFactory, PointsLimiter } from '../wire/rate-limit.js'

/** A budget of attempts per key and window. */
export interface AttemptLimit {
  points: number
  windowSeconds: number
}

export interface ThrottleLimits {
  /** Failed sign-ins (and wrong current passwords) per email. */
  signInPerEmail: AttemptLimit
  /** Failed sign-ins per client address, whatever the emails. */
  signInPerAddress: AttemptLimit
  /** Reset mails per email: beyond it requests are answered as always but send nothing. */
  resetPerEmail: AttemptLimit
  /** Reset requests per client address. */
  resetPerAddress: AttemptLimit
  /** Unknown link secrets tried per client address. */
  linksPerAddress: AttemptLimit
  /** Security-code mails (token creation) per account. */
  codeMailsPerAccount: AttemptLimit
  /** Wrong security codes entered per account, whatever the code. */
  codeChecksPerAccount: AttemptLimit
  /** Console API requests per person, their own budget: the console never spends a workspace's Public API budget. */
  requestsPerAccount: AttemptLimit
}

export const DEFAULT_THROTTLE_LIMITS: ThrottleLimits = {
  signInPerEmail: { points: 10, windowSeconds: 15 * 60 },
  signInPerAddress: { points: 100, windowSeconds: 15 * 60 },
  resetPerEmail: { points: 3, windowSeconds: 3600 },
  resetPerAddress: { points: 30, windowSeconds: 3600 },
  linksPerAddress: { points: 30, windowSeconds: 15 * 60 },
  codeMailsPerAccount: { points: 5, windowSeconds: 15 * 60 },
  codeChecksPerAccount: { points: 15, windowSeconds: 15 * 60 },
  requestsPerAccount: { points: 600, windowSeconds: 60 },
}

type Budget = keyof ThrottleLimits

/** One spent attempt, given back when it turns out to have been a good one. */
export interface Spent {
  refund(): Promise<void>
}

/**
 * Attempt budgets in the rate-limit store every replica shares (memory, Redis or PostgreSQL: the factory of
 * wire/limiter-stores.ts), so a guesser gains nothing by spreading guesses over replicas. An attempt is spent
 * before it is judged, so concurrent guesses cannot all slip under the budget; a good one is refunded.
 * Emails are keyed by a hash: the shared store never holds an address in clear.
 */
export class Throttle {
  private readonly limiters: Record<Budget, PointsLimiter>

  constructor(factory: LimiterFactory, limits: ThrottleLimits = DEFAULT_THROTTLE_LIMITS) {
    const make = (name: Budget) =>
      factory({ keyPrefix: `gh_acct_${name}`, points: limits[name].points, duration: limits[name].windowSeconds })
    this.limiters = {
      signInPerEmail: make('signInPerEmail'),
      signInPerAddress: make('signInPerAddress'),
      resetPerEmail: make('resetPerEmail'),
      resetPerAddress: make('resetPerAddress'),
      linksPerAddress: make('linksPerAddress'),
      codeMailsPerAccount: make('codeMailsPerAccount'),
      codeChecksPerAccount: make('codeChecksPerAccount'),
      requestsPerAccount: make('requestsPerAccount'),
    }
  }

  /** Spends a sign-in attempt for the email and the address; 429 when either budget is gone. */
  signIn(emailKey: string, address: string): Promise<Spent> {
    return this.spend(
      [
        ['signInPerEmail', keyOfEmail(emailKey)],
        ['signInPerAddress', address],
      ],
      'Too many failed sign-ins',
    )
  }

  /** A wrong current password counts against the same per-email budget as a failed sign-in. */
  passwordCheck(emailKey: string): Promise<Spent> {
    return this.spend([['signInPerEmail', keyOfEmail(emailKey)]], 'Too many wrong passwords')
  }

  /** Spends a reset request of the address (429 when gone); then whether the email may get another mail. */
  async resetRequest(emailKey: string, address: string): Promise<boolean> {
    await this.spend([['resetPerAddress', address]], 'Too many password-reset requests')
    try {
      await this.limiters.resetPerEmail.consume(keyOfEmail(emailKey), 1)
      return true
    } catch (rejection) {
      if (rejection instanceof RateLimiterRes) return false
      throw rejection
    }
  }

  /** Spends a link lookup of the address; refunded when the link exists. */
  link(address: string): Promise<Spent> {
    return this.spend([['linksPerAddress', address]], 'Too many unknown links')
  }

  /** Spends one console API request of the signed-in person (429 past the per-minute budget). */
  async request(accountId: string): Promise<void> {
    await this.spend([['requestsPerAccount', accountId]], 'Too many requests')
  }

  /** Spends one security-code mail of the account (429 when gone); never refunded. */
  async codeMail(accountId: string): Promise<void> {
    await this.spend([['codeMailsPerAccount', accountId]], 'Too many security codes asked for')
  }

  /** Spends a security-code check of the account; refunded when the code was right. */
  codeCheck(accountId: string): Promise<Spent> {
    return this.spend([['codeChecksPerAccount', accountId]], 'Too many wrong security codes')
  }

  private async spend(budgets: [Budget, string][], what: string): Promise<Spent> {
    const results = await Promise.allSettled(budgets.map(([name, key]) => this.limiters[name].consume(key, 1)))
    const refund = async () => {
      await Promise.all(budgets.map(([name, key]) => this.limiters[name].reward(key, 1)))
    }
    const waits: number[] = []
    for (const result of results) {
      if (result.status === 'fulfilled') continue
      if (!(result.reason instanceof RateLimiterRes)) throw result.reason
      waits.push(result.reason.msBeforeNext)
    }
    if (waits.length > 0) throw tooMany(what, Math.max(...waits))
    return { refund }
  }
}

function tooMany(what: string, ms: number): TooManyAttemptsError {
  const minutes = Math.max(1, Math.ceil(ms / 60_000))
  return new TooManyAttemptsError(`${what}; try again in ${minutes} minute${minutes === 1 ? '' : 's'}`, Math.max(1, Math.ceil(ms / 1000)))
}

function keyOfEmail(emailKey: string): string {
  return createHash('sha256').update(emailKey).digest('base64url').slice(0, 32)
}
