import { createHash } from 'node:crypto'
import { ConflictError, ValidationError } from '../../errors.js'
import type { DirectoryContext } from '../context.js'
import { canonicalJson } from '../sync/fingerprint.js'

/*
 * Idempotency keys, after the IETF draft "The Idempotency-Key HTTP Header Field" (and Stripe): the first
 * request with a key claims it; a retry with the same key and the same request gets the first answer (status
 * and body) without acting again; the same key with a different request is a 422; a retry while the first is
 * still running is a 409. Keys belong to the directory API key that sent them, and are kept 24 hours.
 */

export const IDEMPOTENCY_HEADER = 'idempotency-key'
/** How long a key's answer is kept for replays. */
export const IDEMPOTENCY_RETENTION_MS = 24 * 60 * 60 * 1000
/** A claim this old that never got its answer belongs to a process that died mid-action: the next retry takes it over. */
export const IN_FLIGHT_TTL_MS = 10 * 60 * 1000

/** The status a claimed key holds until its action answers (no HTTP answer has status 0). */
const IN_FLIGHT = 0

export type Claim = { kind: 'claimed' } | { kind: 'replay'; status: number; body: unknown }

const iso = (ms: number) => new Date(ms).toISOString()

/** What makes two requests "the same": the action and its body (dry_run included), canonically hashed. */
export function requestHash(action: string, body: unknown): string {
  return createHash('sha256').update(canonicalJson({ action, body })).digest('base64url')
}

export function checkKey(key: string): void {
  if (!/^[\x21-\x7e]{1,255}$/.test(key))
    throw new ValidationError('Idempotency-Key must be 1 to 255 visible ASCII characters', 'Idempotency-Key')
}

/** Claims `key` for this request, or answers how the earlier request with the same key went. */
export async function claimKey(ctx: DirectoryContext, apiKeyId: string, key: string, hash: string): Promise<Claim> {
  checkKey(key)
  return ctx.store.write(async (q) => {
    const now = Date.now()
    await q.dirActions.purgeIdempotency(iso(now - IDEMPOTENCY_RETENTION_MS))
    const row = { key, api_key_id: apiKeyId, request_hash: hash, status: IN_FLIGHT, response: '', created_at: iso(now) }
    if (await q.dirActions.claimIdempotency(row)) return { kind: 'claimed' }
    const prior = await q.dirActions.findIdempotency(apiKeyId, key)
    if (!prior) throw new ConflictError(`A request with Idempotency-Key ${key} is still in progress; retry once it has answered`)
    if (prior.request_hash !== hash)
      throw new ValidationError(
        `Idempotency-Key ${key} was already used for a different request (another action or body); use a new key for a new request`,
        'Idempotency-Key',
      )
    if (prior.status !== IN_FLIGHT) return { kind: 'replay', status: prior.status, body: JSON.parse(prior.response) as unknown }
    if (Date.parse(prior.created_at) > now - IN_FLIGHT_TTL_MS)
      throw new ConflictError(`A request with Idempotency-Key ${key} is still in progress; retry once it has answered`, {
        field: 'Idempotency-Key',
      })
    await q.dirActions.releaseIdempotency(apiKeyId, key)
    await q.dirActions.claimIdempotency(row)
    return { kind: 'claimed' }
  })
}

/** Frees a key whose request failed before acting (refused, invalid), so a corrected retry may use it. */
export async function releaseKey(ctx: DirectoryContext, apiKeyId: string, key: string): Promise<void> {
  await ctx.store.write((q) => q.dirActions.releaseIdempotency(apiKeyId, key))
}
