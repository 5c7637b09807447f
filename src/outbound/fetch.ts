import { lookup as dnsLookup, type LookupAddress } from 'node:dns'
import { isIP, type LookupFunction } from 'node:net'
import { Agent, fetch } from 'undici'
import { internalRefused, isInternalAddress, RefusedTargetError, type RemoteHostPolicy } from './policy.js'

/** The answer was larger than the caller's cap: it was cut off, not read into memory. */
export class BodyTooLargeError extends Error {
  override readonly name = 'BodyTooLargeError'
  constructor(readonly limitBytes: number) {
    super(`The remote's answer is larger than ${limitBytes} bytes`)
  }
}

export interface OutboundRequest {
  method: string
  headers: Record<string, string>
  body?: string
  signal?: AbortSignal
  /** Overrides the default cap for this answer. */
  maxBodyBytes?: number
}

export interface OutboundAnswer {
  status: number
  headers: Headers
  text: string
}

export const DEFAULT_MAX_BODY_BYTES = 10 * 1024 * 1024

/**
 * Every request Gatehouse makes of another server goes through here: the host must be allowed, the address
 * it resolves to is checked as the socket connects (so a DNS answer that changes between a check and the
 * connection cannot get around it), redirects are never followed (a 3xx is the remote's answer), and the
 * body is read up to a cap.
 */
export class Outbound {
  private readonly agent: Agent

  constructor(
    readonly policy: RemoteHostPolicy,
    readonly maxBodyBytes = DEFAULT_MAX_BODY_BYTES,
    /** Name resolution (the system's by default); tests give their own to play a DNS answer. */
    resolve: LookupFunction = dnsLookup as LookupFunction,
  ) {
    this.agent = new Agent({ connect: { lookup: guardedLookup(policy, resolve) } })
  }

  async fetch(target: string, request: OutboundRequest): Promise<OutboundAnswer> {
    const url = new URL(target)
    this.policy.check(url)
    // An IP literal is never looked up: its address is checked here, before any connection.
    if (isIP(url.hostname.replace(/^\[|\]$/g, '')) !== 0 && isInternalAddress(url.hostname) && !this.policy.internalOk(url.hostname))
      throw internalRefused(url.host)
    let res: Awaited<ReturnType<typeof fetch>>
    try {
      res = await fetch(url, {
        method: request.method,
        headers: request.headers,
        redirect: 'manual',
        dispatcher: this.agent,
        ...(request.body === undefined ? {} : { body: request.body }),
        ...(request.signal ? { signal: request.signal } : {}),
      })
    } catch (error) {
      throw refusal(error) ?? error
    }
    const text = await readCapped(res, request.maxBodyBytes ?? this.maxBodyBytes)
    return { status: res.status, headers: res.headers as unknown as Headers, text }
  }

  close(): Promise<void> {
    return this.agent.close()
  }
}

/** The lookup the sockets use: every address a name resolves to must be public, unless the operator named the host. */
function guardedLookup(policy: RemoteHostPolicy, resolve: LookupFunction): LookupFunction {
  return ((hostname, options, callback) => {
    resolve(hostname, { ...options, all: true }, (error, found) => {
      if (error) return callback(error, '', 0)
      const addresses = found as unknown as LookupAddress[]
      // All of them, not only the first: the connection may try each in turn.
      if (!policy.internalOk(hostname) && addresses.some((a) => isInternalAddress(a.address)))
        return callback(internalRefused(hostname), '', 0)
      if (options.all) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, addresses)
      const first = addresses[0]
      if (!first) return callback(Object.assign(new Error(`${hostname} has no address`), { code: 'ENOTFOUND' }), '', 0)
      callback(null, first.address, first.family)
    })
  }) as LookupFunction
}

/** fetch wraps a refused lookup as "fetch failed" → cause: the refusal itself is the answer. */
function refusal(error: unknown): RefusedTargetError | undefined {
  for (let e = error; e instanceof Error; e = e.cause) if (e instanceof RefusedTargetError) return e
  return undefined
}

async function readCapped(res: Awaited<ReturnType<typeof fetch>>, limit: number): Promise<string> {
  const declared = Number(res.headers.get('content-length'))
  if (res.body === null) return ''
  if (Number.isFinite(declared) && declared > limit) {
    await res.body.cancel()
    throw new BodyTooLargeError(limit)
  }
  const chunks: Uint8Array[] = []
  let size = 0
  for await (const chunk of res.body) {
    size += chunk.byteLength
    // Leaving the loop cancels the stream, which closes the connection.
    if (size > limit) throw new BodyTooLargeError(limit)
    chunks.push(chunk)
  }
  return Buffer.concat(chunks).toString('utf8')
}
