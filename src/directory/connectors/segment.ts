import pRetry from 'p-retry'
import { BodyTooLargeError, type Outbound } from '../../outbound/fetch.js'
import { RefusedTargetError } from '../../outbound/policy.js'
import { PRIORITY, type RemoteBudget } from '../budget/remote-budget.js'

export const SEGMENT_US = 'https://api.segmentapis.com'
export const SEGMENT_EU = 'https://eu1.api.segmentapis.com'

/** What a sync run or an action learns about its remote traffic. */
export interface RemoteStats {
  requests: number
  pages: number
  rateLimited: number
  retries: number
  waitedMs: number
}

export const emptyStats = (): RemoteStats => ({ requests: 0, pages: 0, rateLimited: 0, retries: 0, waitedMs: 0 })

export type Query = Record<string, string | number | readonly string[] | undefined>

export interface RemoteRequest {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'
  path: string
  query?: Query
  /** A query string sent exactly as given (the proxy's, as its caller wrote it); used instead of `query`. */
  rawQuery?: string
  body?: unknown
}

/** The remote answered with an error envelope (or no JSON at all). Never retried when 4xx. */
export class RemoteError extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    message: string,
    readonly body: unknown,
  ) {
    super(message)
  }
  get isUnauthorized(): boolean {
    return this.status === 401
  }
  /** Segment's answer to group calls on a plan without User Groups. */
  get isPlanError(): boolean {
    return this.status === 400 && this.type === 'bad-request'
  }
}

export interface ClientOptions {
  baseUrl: string
  token: string
  /** The guarded fetch: allowed hosts only, no redirects, a cap on what is read. */
  outbound: Outbound
  budget: RemoteBudget
  /** Per attempt. */
  timeoutMs?: number
  /** Retries of network errors, timeouts and 5xx (not of 4xx, which are never retried). */
  retries?: number
  /** 429s waited out before giving up on one request. */
  maxRateLimitWaits?: number
  priority?: number
  stats?: RemoteStats
  /** Called after every page a list read fetched. */
  onPage?: (path: string, items: number) => void
}

const WORDS = new Set(['users', 'invites', 'groups', 'group', 'roles', 'labels', 'permissions', 'audit-events'])

/** Requests with the same rate-limit budget: reads share one; each write endpoint has its own. */
export function bucketOf(method: string, path: string): string {
  if (method === 'GET') return 'read'
  return `${method} ${path
    .split('/')
    .map((s) => (s === '' || WORDS.has(s) ? s : ':id'))
    .join('/')}`
}

/** Encodes a query the way the official SDK does (qs "indices" form: `a%5Bb%5D=1`, `ids%5B0%5D=x`). */
export function encodeQuery(query: Query): string {
  const parts: string[] = []
  const put = (key: string, value: string | number) => {
    parts.push(`${encodeURIComponent(key)}=${encodeURIComponent(String(value))}`)
  }
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined) continue
    if (Array.isArray(value)) {
      for (const [i, v] of value.entries()) put(`${key}[${i}]`, v)
    } else put(key, value as string | number)
  }
  return parts.join('&')
}

/**
 * The one client for every remote call: native fetch, the workspace's shared budget before each request,
 * 429s waited out for `msBeforeNext`, network errors and 5xx retried with jittered exponential backoff
 * (p-retry, capped), 4xx never retried, a timeout per attempt, and list reads that follow every page.
 */
export class SegmentClient {
  readonly stats: RemoteStats
  private readonly baseUrl: string

  constructor(private readonly options: ClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '')
    this.stats = options.stats ?? emptyStats()
  }

  async request<T = unknown>(req: RemoteRequest): Promise<T> {
    const { status, body } = await this.exchange(req)
    if (status >= 200 && status < 300) return body as T
    throw remoteError(status, body)
  }

  /**
   * Like `request` (same budget, 429 waits and retries), but resolves with the remote's final status and
   * body whatever they are: the proxy hands both back as they came. Rejects only when no answer came.
   */
  async exchange(req: RemoteRequest): Promise<{ status: number; body: unknown }> {
    const bucket = bucketOf(req.method, req.path)
    const maxWaits = this.options.maxRateLimitWaits ?? 30
    for (let waits = 0; ; waits++) {
      let answer: { status: number; body: unknown }
      try {
        answer = await this.attempt(req, bucket)
      } catch (error) {
        // A 5xx that outlived its retries is still the remote's answer.
        if (error instanceof RemoteError) return { status: error.status, body: error.body }
        throw error
      }
      const { status, body } = answer
      if (status !== 429 || waits >= maxWaits) return answer
      // A 429 is waited out, not retried blindly: the budget holds every request to this remote.
      this.stats.rateLimited++
      const wait = Number(firstError(body)?.data?.msBeforeNext) || 1000
      this.options.budget.pause(Math.min(Math.max(wait, 50), 65_000))
    }
  }

  /** One request through the budget; network errors, timeouts and 5xx are retried with jittered backoff. */
  private attempt(req: RemoteRequest, bucket: string): Promise<{ status: number; body: unknown }> {
    return pRetry(
      async () => {
        const result = await this.options.budget.schedule(bucket, this.options.priority ?? PRIORITY.sync, async (waited) => {
          this.stats.waitedMs += waited
          return this.send(req, bucket)
        })
        if (result.status >= 500) throw remoteError(result.status, result.body)
        return result
      },
      {
        retries: this.options.retries ?? 5,
        factor: 2,
        minTimeout: 100,
        maxTimeout: 5_000,
        randomize: true,
        shouldRetry: ({ error }) => !isFinal(error),
        onFailedAttempt: ({ error }) => {
          if (!isFinal(error)) this.stats.retries++
        },
      },
    )
  }

  private async send(req: RemoteRequest, bucket: string): Promise<{ status: number; body: unknown }> {
    const query = req.rawQuery ?? (req.query ? encodeQuery(req.query) : '')
    const url = `${this.baseUrl}${req.path}${query ? `?${query}` : ''}`
    const headers: Record<string, string> = { authorization: `Bearer ${this.options.token}`, accept: 'application/json' }
    if (req.body !== undefined) headers['content-type'] = 'application/json'
    this.stats.requests++
    const res = await this.options.outbound.fetch(url, {
      method: req.method,
      headers,
      ...(req.body !== undefined ? { body: JSON.stringify(req.body) } : {}),
      signal: AbortSignal.timeout(this.options.timeoutMs ?? 30_000),
    })
    this.options.budget.observe(bucket, res.headers)
    const text = res.text
    let body: unknown = text
    try {
      body = text === '' ? undefined : JSON.parse(text)
    } catch {
      // not JSON: kept as text for the error message
    }
    return { status: res.status, body }
  }

  /**
   * Reads every page of a list. `key` names the array in `data` (`users`, `userGroups`, …). Returns the
   * items and whether the read was complete: every page to the end and `totalEntries` (when given)
   * equal to what was read.
   */
  async list<T>(path: string, key: string, pageSize = 1000): Promise<{ items: T[]; complete: boolean; totalEntries?: number }> {
    const items: T[] = []
    let cursor: string | undefined
    let totalEntries: number | undefined
    const seen = new Set<string>()
    for (;;) {
      const body = await this.request<{ data: Record<string, unknown> & { pagination?: { next?: string | null; totalEntries?: number } } }>(
        {
          method: 'GET',
          path,
          query: { 'pagination[count]': pageSize, ...(cursor ? { 'pagination[cursor]': cursor } : {}) },
        },
      )
      this.stats.pages++
      const page = (body?.data?.[key] ?? []) as T[]
      items.push(...page)
      this.options.onPage?.(path, page.length)
      const pagination = body?.data?.pagination
      if (typeof pagination?.totalEntries === 'number') totalEntries = pagination.totalEntries
      const next = pagination?.next
      if (!next) break
      // A remote that hands back a cursor twice would loop for ever: stop, and call the read incomplete.
      if (seen.has(next)) return { items, complete: false, ...(totalEntries === undefined ? {} : { totalEntries }) }
      seen.add(next)
      cursor = next
    }
    const complete = totalEntries === undefined || totalEntries === items.length
    return { items, complete, ...(totalEntries === undefined ? {} : { totalEntries }) }
  }
}

/** A refused host or an oversized answer would be refused or oversized again: never retried. */
export const isFinal = (error: unknown) => error instanceof RefusedTargetError || error instanceof BodyTooLargeError

/** Segment's error envelope, `{ errors: [{ type, message, data }] }`: its first entry speaks for the answer. */
interface ErrorEntry {
  type?: string
  message?: string
  /** On a 429: how long to wait before the next request. */
  data?: { msBeforeNext?: unknown }
}

function firstError(body: unknown): ErrorEntry | undefined {
  return (body as { errors?: ErrorEntry[] } | undefined)?.errors?.[0]
}

/** The remote's own words for a failed answer: its error envelope's first entry, or the start of whatever it sent. */
export function remoteWords(status: number, body: unknown): { type: string; message: string } {
  const first = firstError(body)
  const message = first?.message ?? (typeof body === 'string' && body !== '' ? body.slice(0, 200) : `HTTP ${status}`)
  return { type: first?.type ?? 'unknown', message }
}

/** A failed answer as an error: "Remote answered 404: …", with the remote's error type. */
export function remoteError(status: number, body: unknown): RemoteError {
  const { type, message } = remoteWords(status, body)
  return new RemoteError(status, type, `Remote answered ${status}: ${message}`, body)
}
