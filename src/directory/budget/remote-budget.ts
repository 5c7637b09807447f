import PQueue from 'p-queue'

/** Priorities in a budget's queue: actions a person is waiting for go before background sync. */
export const PRIORITY = { action: 10, sync: 0 } as const

interface Bucket {
  remaining: number | undefined
  resetAt: number
}

/**
 * The request budget of one remote workspace, shared by every sync and action that talks to it in
 * this process. It reads the remote's `X-RateLimit-Remaining`/`X-RateLimit-Reset` and waits for the
 * reset before the budget runs dry, instead of spending requests to learn about it from a 429.
 * Buckets: reads share the workspace budget; each write endpoint (RL60) has its own.
 */
export class RemoteBudget {
  private readonly buckets = new Map<string, Bucket>()
  private pausedUntil = 0
  readonly queue: PQueue

  constructor(
    concurrency: number,
    /** Requests kept in hand before waiting for the reset (others may be in flight). */
    private readonly reserve = 1,
  ) {
    this.queue = new PQueue({ concurrency })
  }

  /** Runs `task` when the budget allows, by priority; the task learns how long the budget made it wait. */
  schedule<T>(bucket: string, priority: number, task: (waitedMs: number) => Promise<T>): Promise<T> {
    return this.queue.add(async () => task(await this.waitFor(bucket)), { priority }) as Promise<T>
  }

  /** Records what the remote said about a bucket after a response. */
  observe(bucket: string, headers: Headers): void {
    const remaining = Number(headers.get('x-ratelimit-remaining'))
    const reset = Date.parse(headers.get('x-ratelimit-reset') ?? '')
    if (!Number.isFinite(remaining) || headers.get('x-ratelimit-remaining') === null) return
    this.buckets.set(bucket, { remaining, resetAt: Number.isNaN(reset) ? Date.now() + 60_000 : reset })
  }

  /** After a 429: nothing goes to this remote until `ms` have passed. */
  pause(ms: number): void {
    this.pausedUntil = Math.max(this.pausedUntil, Date.now() + ms)
  }

  /** Milliseconds this bucket would wait now (for progress reporting). */
  private delayFor(bucket: string): number {
    const now = Date.now()
    let wait = Math.max(0, this.pausedUntil - now)
    const b = this.buckets.get(bucket)
    if (b && b.remaining !== undefined && b.remaining <= this.reserve && b.resetAt > now) wait = Math.max(wait, b.resetAt - now)
    return wait
  }

  private async waitFor(bucket: string): Promise<number> {
    let waited = 0
    for (let wait = this.delayFor(bucket); wait > 0; wait = this.delayFor(bucket)) {
      waited += wait
      await new Promise((resolve) => setTimeout(resolve, Math.min(wait + 25, 65_000)))
      const b = this.buckets.get(bucket)
      // The window has turned: forget the old count until the remote tells us the new one.
      if (b && b.resetAt <= Date.now()) this.buckets.delete(bucket)
    }
    const b = this.buckets.get(bucket)
    if (b?.remaining !== undefined) b.remaining -= 1 // spend optimistically; the next response corrects it
    return waited
  }
}

/** One budget per remote workspace per process, keyed by base URL and remote workspace id. */
export class BudgetRegistry {
  private readonly budgets = new Map<string, RemoteBudget>()

  constructor(private readonly concurrency = 4) {}

  for(key: string): RemoteBudget {
    let budget = this.budgets.get(key)
    if (!budget) {
      budget = new RemoteBudget(this.concurrency)
      this.budgets.set(key, budget)
    }
    return budget
  }
}
