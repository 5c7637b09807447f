import { createHash } from 'node:crypto'
import { isoAt } from '../../clock.js'
import { ConflictError, ValidationError } from '../../errors.js'
import { type IdempotencyRow, IN_FLIGHT } from '../../store/queries/dir-actions.js'
import type { Queries } from '../../store/queries/index.js'
import type { DirectoryContext } from '../context.js'
import { abandonment, keepBeating, PROCESS_OWNER } from '../liveness.js'
import { canonicalJson } from '../sync/fingerprint.js'

/*
 * Idempotency keys, after the IETF draft "The Idempotency-Key HTTP Header Field" (and Stripe): the first
 * request with a key claims it; a retry with the same key and the same request gets the first answer (status
 * and body) without acting again; the same key with a different request is a 422; a retry while the first is
 * still running is a 409, unless the process running it died (its claim is taken over, as an abandoned sync
 * run is: see liveness.ts). Keys belong to the directory API key that sent them, and are kept 24 hours.
 */

export const IDEMPOTENCY_HEADER = 'idempotency-key'
/** How long a key's answer is kept for replays. */
export const IDEMPOTENCY_RETENTION_MS = 24 * 60 * 60 * 1000
/**
 * A claim recorded without a heartbeat (before migration 0007, or by a replica not yet upgraded) never
 * beats: its silence proves nothing until this long after it was made, the takeover delay those versions had.
 */
export const UNBEATING_CLAIM_TTL_MS = 10 * 60 * 1000

export type Claim = { kind: 'claimed' } | { kind: 'replay'; status: number; body: unknown }

/** Stores the answer to a claimed request, in the caller's transaction (the one recording the action's effects). */
export type RecordAnswer = (q: Queries, status: number, body: unknown) => Promise<void>

const stillInProgress = (key: string) =>
  new ConflictError(`A request with Idempotency-Key ${key} is still in progress; retry once it has answered`, {
    field: 'Idempotency-Key',
  })

/** What makes two requests "the same": the action and its body (dry_run included), canonically hashed. */
export function requestHash(action: string, body: unknown): string {
  return createHash('sha256').update(canonicalJson({ action, body })).digest('base64url')
}

export function checkKey(key: string): void {
  if (!/^[\x21-\x7e]{1,255}$/.test(key))
    throw new ValidationError('Idempotency-Key must be 1 to 255 visible ASCII characters', 'Idempotency-Key')
}

/** Why an in-flight claim is abandoned (see liveness.ts), or undefined while its owner still runs it. */
export function claimAbandonment(claim: IdempotencyRow, staleRunMs: number, now = Date.now()): string | undefined {
  if (claim.heartbeat_at === null) return abandonment(claim.owner, claim.created_at, Math.max(staleRunMs, UNBEATING_CLAIM_TTL_MS), now)
  return abandonment(claim.owner, claim.heartbeat_at, staleRunMs, now)
}

/**
 * Claims `key` for this process, or answers how the earlier request with the same key went. A claim still in
 * flight is taken over when its process is known to be dead or has stopped heart-beating (the request is
 * then acted on again: every action's calls are safe to repeat); while it is live, this is a 409.
 */
export async function claimKey(ctx: DirectoryContext, apiKeyId: string, key: string, hash: string): Promise<Claim> {
  checkKey(key)
  return ctx.store.write(async (q) => {
    const now = Date.now()
    await q.dirActions.purgeIdempotency(isoAt(now - IDEMPOTENCY_RETENTION_MS))
    const row: IdempotencyRow = {
      key,
      api_key_id: apiKeyId,
      request_hash: hash,
      status: IN_FLIGHT,
      response: '',
      created_at: isoAt(now),
      owner: PROCESS_OWNER,
      heartbeat_at: isoAt(now),
    }
    if (await q.dirActions.claimIdempotency(row)) return { kind: 'claimed' }
    const prior = await q.dirActions.findIdempotency(apiKeyId, key)
    if (!prior) throw stillInProgress(key)
    if (prior.request_hash !== hash)
      throw new ValidationError(
        `Idempotency-Key ${key} was already used for a different request (another action or body); use a new key for a new request`,
        'Idempotency-Key',
      )
    if (prior.status !== IN_FLIGHT) return { kind: 'replay', status: prior.status, body: JSON.parse(prior.response) as unknown }
    if (claimAbandonment(prior, ctx.config.staleRunMs, now) === undefined) throw stillInProgress(key)
    await q.dirActions.releaseIdempotency(apiKeyId, key)
    await q.dirActions.claimIdempotency(row)
    return { kind: 'claimed' }
  })
}

/**
 * Runs `act` under an idempotency key: claims the key (or answers with the stored answer of the earlier
 * request), keeps the claim's heartbeat fresh while `act` runs, and frees the key when `act` fails (a
 * request refused before acting, so a corrected retry may use it). `act` stores its answer with `record`,
 * in the transaction that records its effects; a claim taken over meanwhile keeps its new owner's answer.
 */
export async function withIdempotencyKey<T>(
  ctx: DirectoryContext,
  claim: { apiKeyId: string; key: string; hash: string },
  act: (record: RecordAnswer) => Promise<T>,
): Promise<{ kind: 'replay'; status: number; body: unknown } | { kind: 'done'; value: T }> {
  const { apiKeyId, key, hash } = claim
  const claimed = await claimKey(ctx, apiKeyId, key, hash)
  if (claimed.kind === 'replay') return claimed
  const stopBeating = keepBeating(ctx.config.staleRunMs, () =>
    ctx.store.write((q) => q.dirActions.heartbeatIdempotency(apiKeyId, key, PROCESS_OWNER, isoAt(Date.now()))),
  )
  try {
    const value = await act(async (q, status, body) => {
      await q.dirActions.completeIdempotency(apiKeyId, key, PROCESS_OWNER, status, JSON.stringify(body))
    })
    return { kind: 'done', value }
  } catch (error) {
    await ctx.store.write((q) => q.dirActions.releaseIdempotency(apiKeyId, key, PROCESS_OWNER))
    throw error
  } finally {
    stopBeating()
  }
}
