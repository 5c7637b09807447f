import { setTimeout as sleep } from 'node:timers/promises'
import { type Static, Type } from '@sinclair/typebox'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { isoAt } from '../clock.js'
import { InjectedFaultError, RateLimitError, ValidationError } from '../errors.js'
import { Id } from '../iam/schemas/common.js'
import { newId } from '../ids.js'

/*
 * Fault injection: an operator (or a test) tells the Public API to answer some requests with a 429, a 5xx
 * or a delay, so clients can rehearse retries and back-off against a server that otherwise never fails.
 *
 * Faults live in this process's memory, unlike data, which lives in the store. Gatehouse replicas are
 * otherwise stateless and interchangeable; faults are a test tool, so each replica keeps its own and a
 * fault added through one replica fires only on requests that replica serves. Restarting clears them.
 */

export const FAULT_KINDS = ['rate-limit', 'error', 'delay'] as const
export type FaultKind = (typeof FAULT_KINDS)[number]

export const FAULT_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const

/** Without `msBeforeNext` or `durationMs`, an injected 429 tells the client to wait this long. */
export const DEFAULT_MS_BEFORE_NEXT = 1000

/** A string enum: ajv then says "must be equal to one of the allowed values", not "must be equal to constant". */
const StringEnum = <T extends readonly string[]>(values: T) => Type.Unsafe<T[number]>({ type: 'string', enum: [...values] })

/** What an operator asks for (the body of `POST /admin/faults`); `add` checks the rules a schema cannot express. */
export const FaultSpecSchema = Type.Object(
  {
    /**
     * Matching rule: `route` must equal the Public API route pattern as Fastify registered it, the same
     * string `request.routeOptions.url` holds: `/users`, `/users/:userId`, `/groups/:userGroupId/users`.
     * Exact patterns, never prefixes: `/groups` does not catch `/groups/:userGroupId`, and one fault on
     * `/users/:userId` catches every user id. Segment's docs spelling `{userGroupId}` is read as `:userGroupId`.
     */
    route: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
    method: Type.Optional(StringEnum(FAULT_METHODS)),
    /** Gatehouse workspace id, compared with the id the request's token belongs to. */
    workspaceId: Type.Optional(Id),
    fault: StringEnum(FAULT_KINDS),
    /** For `error`: 500..599, default 500. */
    status: Type.Optional(Type.Integer({ minimum: 500, maximum: 599 })),
    /** For `delay`: how long to hold the request before processing it normally. */
    delayMs: Type.Optional(Type.Integer({ minimum: 1, maximum: 30_000 })),
    /** For `rate-limit`: the wait the 429 announces. Default: what is left of `durationMs`, else 1000. */
    msBeforeNext: Type.Optional(Type.Integer({ minimum: 0, maximum: 60_000 })),
    /** The fault answers this many matching requests, then is spent. */
    count: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000 })),
    /** The fault lapses this long after it was added. With `count` as well, whichever ends first. */
    durationMs: Type.Optional(Type.Integer({ minimum: 1, maximum: 86_400_000 })),
  },
  { additionalProperties: false },
)
export type FaultSpec = Static<typeof FaultSpecSchema>

/** A fault as the operator API shows it. */
export interface Fault extends FaultSpec {
  id: string
  createdAt: string
  /** Matching requests answered so far. */
  hits: number
  /** Matching requests left before the fault is spent (faults with `count`). */
  remaining?: number
  /** When the fault lapses (faults with `durationMs`). */
  expiresAt?: string
}

/** What a faulted request gets. */
export type Injection =
  | { fault: 'rate-limit'; msBeforeNext: number; consumedPoints: number }
  | { fault: 'error'; status: number }
  | { fault: 'delay'; delayMs: number }

export interface FaultTarget {
  method: string
  /** The route pattern (`request.routeOptions.url`). */
  route: string | undefined
  workspaceId: string
}

interface Entry {
  id: string
  spec: FaultSpec
  createdAt: number
  expiresAt: number | undefined
  remaining: number | undefined
  hits: number
}

/** The in-memory fault list. The first live fault that matches a request (in the order added) answers it. */
export class FaultRegistry {
  private readonly entries = new Map<string, Entry>()
  /** Public API route patterns, filled by `injectFaults` as the routes are registered. */
  readonly routes = new Set<string>()

  /** Records a fault; throws ValidationError (422) for combinations the body schema cannot rule out. */
  add(spec: FaultSpec): Fault {
    if (spec.count === undefined && spec.durationMs === undefined) throw new ValidationError('count or durationMs is required', 'count')
    if (spec.status !== undefined && spec.fault !== 'error') throw new ValidationError("status applies only to fault 'error'", 'status')
    if (spec.msBeforeNext !== undefined && spec.fault !== 'rate-limit')
      throw new ValidationError("msBeforeNext applies only to fault 'rate-limit'", 'msBeforeNext')
    if (spec.fault === 'delay' && spec.delayMs === undefined) throw new ValidationError("delayMs is required for fault 'delay'", 'delayMs')
    if (spec.delayMs !== undefined && spec.fault !== 'delay') throw new ValidationError("delayMs applies only to fault 'delay'", 'delayMs')
    const stored: FaultSpec = { ...spec }
    if (spec.route !== undefined) {
      const route = spec.route.replace(/\{(\w+)\}/g, ':$1')
      // A typo would otherwise make a fault that silently never fires.
      if (!this.routes.has(route))
        throw new ValidationError(
          `route ${spec.route} is not a Public API route pattern; known: ${[...this.routes].sort().join(', ')}`,
          'route',
        )
      stored.route = route
    }
    if (spec.fault === 'error') stored.status = spec.status ?? 500
    const now = Date.now()
    const entry: Entry = {
      id: newId(),
      spec: stored,
      createdAt: now,
      expiresAt: spec.durationMs === undefined ? undefined : now + spec.durationMs,
      remaining: spec.count,
      hits: 0,
    }
    this.entries.set(entry.id, entry)
    return present(entry)
  }

  /** Live faults, oldest first. */
  list(): Fault[] {
    this.prune(Date.now())
    return [...this.entries.values()].map(present)
  }

  /** Removes one fault (false when there is none by that id, or it is spent), or every fault. */
  clear(id?: string): boolean {
    this.prune(Date.now())
    if (id !== undefined) return this.entries.delete(id)
    this.entries.clear()
    return true
  }

  /** Finds the fault that answers this request and counts the request against it. */
  match(target: FaultTarget): Injection | undefined {
    const now = Date.now()
    this.prune(now)
    for (const entry of this.entries.values()) {
      const { spec } = entry
      if (spec.route !== undefined && spec.route !== target.route) continue
      if (spec.method !== undefined && spec.method !== target.method.toUpperCase()) continue
      if (spec.workspaceId !== undefined && spec.workspaceId !== target.workspaceId) continue
      entry.hits += 1
      if (entry.remaining !== undefined) {
        entry.remaining -= 1
        if (entry.remaining === 0) this.entries.delete(entry.id)
      }
      switch (spec.fault) {
        case 'rate-limit':
          return {
            fault: 'rate-limit',
            msBeforeNext: spec.msBeforeNext ?? (entry.expiresAt === undefined ? DEFAULT_MS_BEFORE_NEXT : entry.expiresAt - now),
            consumedPoints: entry.hits,
          }
        case 'error':
          return { fault: 'error', status: spec.status ?? 500 }
        case 'delay':
          return { fault: 'delay', delayMs: spec.delayMs ?? 0 }
      }
    }
    return undefined
  }

  private prune(now: number): void {
    for (const entry of this.entries.values()) if (entry.expiresAt !== undefined && entry.expiresAt <= now) this.entries.delete(entry.id)
  }
}

function present(entry: Entry): Fault {
  const fault: Fault = { id: entry.id, ...entry.spec, createdAt: isoAt(entry.createdAt), hits: entry.hits }
  if (entry.remaining !== undefined) fault.remaining = entry.remaining
  if (entry.expiresAt !== undefined) fault.expiresAt = isoAt(entry.expiresAt)
  return fault
}

/**
 * Applies faults to every route of `api`, the Public API scope. Call it after `requireWorkspaceToken`
 * and before registering routes: the hook must run after authentication (it reads `request.auth`, so
 * unauthenticated requests still get their 401), and `onRoute` must see every route to learn the patterns.
 * A faulted 429 or 5xx is thrown before the handler runs, so it changes nothing in the store.
 */
export function injectFaults(api: FastifyInstance, faults: FaultRegistry): void {
  api.addHook('onRoute', (route) => {
    faults.routes.add(route.url)
  })
  api.addHook('onRequest', async (request: FastifyRequest) => {
    const injection = faults.match({ method: request.method, route: request.routeOptions.url, workspaceId: request.auth.workspaceId })
    if (injection === undefined) return
    switch (injection.fault) {
      case 'delay':
        await sleep(injection.delayMs)
        return
      case 'error':
        throw new InjectedFaultError(injection.status)
      case 'rate-limit': {
        // The same error class as a real 429, so the error handler writes the same body and headers.
        const { msBeforeNext, consumedPoints } = injection
        throw new RateLimitError({
          remainingPoints: 0,
          msBeforeNext,
          consumedPoints,
          resetAt: new Date(Date.now() + msBeforeNext),
        })
      }
    }
  })
}
