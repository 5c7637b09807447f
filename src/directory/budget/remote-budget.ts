import PQueue from 'p-queue'

/** Priorities in a budget's queue: actions a person is waiting for go before background sync. */
export const PRIORITY = { action: 10, sync: 0 } as const

interface Bucket {
  /** What the remote last said is left in this window; undefined until it has said anything. */
  remaining: number | undefined
  resetAt: number
  /** Requests sent and not answered yet: the remote has not counted them in what it said. */
  inFlight: number
  /** The remote answered without rate-limit headers: nothing to pace by but its 429s. */
  unmetered: boolean
}

/** X-RateLimit-Reset is an HTTP date, whole seconds: the window may turn up to a second after it says. */
const RESET_MARGIN_MS = 1_000
/** While the remote has said nothing about a bucket, one request at a time asks. */
const PROBE_POLL_MS = 20

/**
 * The request budget of one remote workspace, shared by every sync and action that talks to it in
 * this process. It reads the remote's `X-RateLimit-Remaining`/`X-RateLimit-Reset` and waits for the
 * window to turn before the budget runs dry, instead of spending requests to learn about it from a 429.
 * Requests in flight count against what is left, so concurrent reads cannot overrun it together.
 * Buckets: reads share the workspace budget; each write endpoint (RL60) has its own.
 */
export class RemoteBudget {
  private readonly buckets = new Map<string, Bucket>()
  private pausedUntil = 0
  readonly queue: PQueue

  constructor(
    concurrency: number,
    /** Requests kept in hand before waiting for the reset (for other clients of the same token). */
    private readonly reserve = 1,
  ) {
    this.queue = new PQueue({ concurrency })
  }

  /** Runs `task` when the budget allows, by priority; the task learns how long the budget made it wait. */
  schedule<T>(bucket: string, priority: number, task: (waitedMs: number) => Promise<T>): Promise<T> {
    return this.queue.add(
      async () => {
        const waited = await this.acquire(bucket)
        try {
          return await task(waited)
        } finally {
          this.bucket(bucket).inFlight--
        }
      },
      { priority },
    ) as Promise<T>
  }

  /** Records what the remote said about a bucket in a response. */
  observe(bucket: string, headers: Headers): void {
    const raw = headers.get('x-ratelimit-remaining')
    const remaining = Number(raw)
    const b = this.bucket(bucket)
    b.unmetered = raw === null || !Number.isFinite(remaining)
    if (b.unmetered) return
    const parsed = Date.parse(headers.get('x-ratelimit-reset') ?? '')
    const resetAt = (Number.isNaN(parsed) ? Date.now() + 60_000 : parsed) + RESET_MARGIN_MS
    // Answers arrive out of order: within one window the lowest count is the latest; a later reset is a new window.
    if (b.remaining === undefined || resetAt > b.resetAt + RESET_MARGIN_MS) {
      b.remaining = remaining
      b.resetAt = resetAt
    } else b.remaining = Math.min(b.remaining, remaining)
  }

  /** After a 429: nothing goes to this remote until `ms` have passed. */
  pause(ms: number): void {
    this.pausedUntil = Math.max(this.pausedUntil, Date.now() + ms)
  }

  private bucket(name: string): Bucket {
    let b = this.buckets.get(name)
    if (!b) {
      b = { remaining: undefined, resetAt: 0, inFlight: 0, unmetered: false }
      this.buckets.set(name, b)
    }
    return b
  }

  /** Waits until a request may go, counts it in flight, and returns how long it waited. */
  private async acquire(name: string): Promise<number> {
    const started = Date.now()
    const b = this.bucket(name)
    for (;;) {
      const now = Date.now()
      if (b.remaining !== undefined && b.resetAt <= now) b.remaining = undefined // the window turned: ask again
      let wait = Math.max(0, this.pausedUntil - now)
      if (wait === 0 && !b.unmetered && b.remaining === undefined && b.inFlight > 0) wait = PROBE_POLL_MS
      if (wait === 0 && b.remaining !== undefined && b.remaining - b.inFlight <= this.reserve) wait = b.resetAt - now
      if (wait <= 0) break
      await new Promise((resolve) => setTimeout(resolve, Math.min(wait, 65_000)))
    }
    b.inFlight++
    return Date.now() - started
  }
}

/**
 * One budget per stored connection's remote workspace per process, keyed by base URL and remote workspace
 * id; dropped with the connection, so what callers try cannot grow it.
 */
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

  drop(key: string): void {
    this.budgets.delete(key)
  }

  /** Drops every budget but these (connections deleted by another process). */
  retain(keys: ReadonlySet<string>): void {
    for (const key of this.budgets.keys()) if (!keys.has(key)) this.budgets.delete(key)
  }

  get size(): number {
    return this.budgets.size
  }
}
