import { isoNow } from '../clock.js'
import { BadGatewayError, ConflictError, NotFoundError, ValidationError } from '../errors.js'
import { newId } from '../ids.js'
import { BodyTooLargeError } from '../outbound/fetch.js'
import { isRefusal, notAllowed, RefusedTargetError } from '../outbound/policy.js'
import type { ConnectionRow } from '../store/queries/connections.js'
import { PRIORITY, RemoteBudget } from './budget/remote-budget.js'
import { type ClientOptions, RemoteError, SEGMENT_US, SegmentClient } from './connectors/segment.js'
import { budgetKey, type DirectoryContext } from './context.js'
import type { UnifiedWorkspaceRef } from './schemas/unified.js'

/*
 * Connecting remote workspaces: check a token against the remote, store it sealed, rotate it, forget it.
 * The token is handled as a value only: it never reaches an error message, a log line or an answer.
 */

export interface ConnectInput {
  token: string
  baseUrl?: string | undefined
  name?: string | undefined
}

/** How long a token check may take per attempt: someone is waiting for the answer. */
const CHECK_TIMEOUT_MS = 15_000

/**
 * Any http(s) URL (Segment US, EU, or a Gatehouse), reduced to one spelling so the same remote is never
 * connected twice under two: lower-case host, no default port, no trailing slash. Credentials, a query or a
 * fragment in it are refused (the token goes in `token`).
 */
export function normaliseBaseUrl(raw: string | undefined): string {
  if (raw === undefined) return SEGMENT_US
  const invalid = (why: string) => new ValidationError(`baseUrl ${why}`, 'baseUrl')
  let url: URL
  try {
    url = new URL(raw.trim())
  } catch {
    throw invalid('must be an http(s) URL such as https://api.segmentapis.com')
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw invalid('must be an http(s) URL such as https://api.segmentapis.com')
  if (url.username !== '' || url.password !== '') throw invalid('must not carry credentials: send the token as `token`')
  if (url.search !== '' || url.hash !== '') throw invalid('must not have a query string or a fragment')
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`
}

/** Visible ASCII, as Segment's tokens are: anything else cannot go in a header, and fetch's refusal would quote the token. */
const TOKEN_SHAPE = /^[\x21-\x7e]{1,4096}$/

/** Asks the remote who the token belongs to (`GET /`), at action priority. */
export async function checkToken(ctx: DirectoryContext, baseUrl: string, token: string): Promise<UnifiedWorkspaceRef> {
  if (!TOKEN_SHAPE.test(token)) throw new ValidationError('token must be a Public API token: visible ASCII characters, no spaces', 'token')
  // Refused before anything is sent, with the same words whatever listens there (no port scanning).
  const refused = refusalOf(ctx, baseUrl)
  if (refused) throw new ValidationError(refused, 'baseUrl')
  const client = new SegmentClient({
    baseUrl,
    token,
    outbound: ctx.outbound,
    // The workspace is not known yet: a budget of its own, dropped with the check (a registry entry per
    // URL tried would grow without end).
    budget: new RemoteBudget(1),
    timeoutMs: Math.min(ctx.config.remoteTimeoutMs, CHECK_TIMEOUT_MS),
    retries: 1,
    maxRateLimitWaits: 2,
    priority: PRIORITY.action,
  })
  let body: unknown
  try {
    body = await client.request({ method: 'GET', path: '/' })
  } catch (error) {
    if (error instanceof RefusedTargetError) throw new ValidationError(error.message, 'baseUrl')
    if (error instanceof BodyTooLargeError)
      throw new BadGatewayError(`The remote at ${baseUrl} answered GET / with more than ${error.limitBytes} bytes`)
    if (error instanceof RemoteError) {
      // Segment folds "token lacks permission" into 401 too: either way this token cannot be used.
      if (error.status === 401 || error.status === 403)
        throw new ValidationError(`The remote rejected the token (it answered ${error.status}): check the token and the base URL`, 'token')
      if (error.status === 429 || error.status >= 500)
        throw new BadGatewayError(`The remote at ${baseUrl} answered ${error.status} to GET /; try again later`)
      throw new ValidationError(
        `The remote at ${baseUrl} answered ${error.status} to GET /: is it a Segment Public API base URL?`,
        'baseUrl',
      )
    }
    throw new BadGatewayError(`Could not reach the remote at ${baseUrl}: ${networkCause(error)}`)
  }
  const workspace = (body as { data?: { workspace?: Partial<UnifiedWorkspaceRef> } } | undefined)?.data?.workspace
  if (typeof workspace?.id !== 'string' || typeof workspace.slug !== 'string' || typeof workspace.name !== 'string')
    throw new ValidationError(
      `The remote at ${baseUrl} did not answer GET / as the Segment Public API does: is it the right base URL?`,
      'baseUrl',
    )
  return { id: workspace.id, slug: workspace.slug, name: workspace.name }
}

/** Why fetch failed, in a few words (fetch itself only says "fetch failed"). */
function networkCause(error: unknown): string {
  if (!(error instanceof Error)) return 'no answer'
  if (error.name === 'TimeoutError') return 'no answer in time'
  const cause = error.cause instanceof Error ? error.cause.message : undefined
  return (cause ?? error.message).slice(0, 200)
}

/** Checks the token, then stores the connection with the token sealed. The same remote workspace twice is a 409. */
export async function createConnection(ctx: DirectoryContext, input: ConnectInput): Promise<ConnectionRow> {
  const baseUrl = normaliseBaseUrl(input.baseUrl)
  const workspace = await checkToken(ctx, baseUrl, input.token)
  const sealed = ctx.cipher.seal(input.token)
  return ctx.store.write(async (q) => {
    const existing = await q.connections.findByRemote(baseUrl, workspace.id)
    if (existing)
      throw new ConflictError(`Workspace ${workspace.slug} at ${baseUrl} is already connected as ${existing.name} (${existing.id})`, {
        data: { connection_id: existing.id },
      })
    const row = newConnectionRow({ name: input.name ?? workspace.slug, baseUrl, sealedToken: sealed, workspace, now: isoNow(q.clock) })
    await q.connections.insert(row)
    return row
  })
}

export async function findConnection(ctx: DirectoryContext, id: string): Promise<ConnectionRow> {
  const connection = await ctx.store.read((q) => q.connections.find(id))
  if (!connection) throw new NotFoundError(`Connection ${id}`, 'id')
  return connection
}

/**
 * Replaces the token after checking that it reaches the same remote workspace (a connection never moves
 * to another workspace: its synced rows are that workspace's). Clears `needs_reauth`/`error` and makes
 * the connection due for a sync at once.
 */
export async function rotateToken(ctx: DirectoryContext, id: string, token: string): Promise<ConnectionRow> {
  const before = await findConnection(ctx, id)
  const workspace = await checkToken(ctx, before.base_url, token)
  if (workspace.id !== before.remote_workspace_id)
    throw new ValidationError(
      `The new token reaches workspace ${workspace.slug} (${workspace.id}), not ${before.remote_workspace_slug} (${before.remote_workspace_id}): connect that workspace separately`,
      'token',
    )
  const sealed = ctx.cipher.seal(token)
  return ctx.store.write(async (q) => {
    const current = await q.connections.find(id)
    if (!current) throw new NotFoundError(`Connection ${id}`, 'id')
    const changes = {
      token_ciphertext: sealed,
      remote_workspace_slug: workspace.slug,
      remote_workspace_name: workspace.name,
      status: 'active' as const,
      status_detail: null,
      updated_at: isoNow(q.clock),
      next_sync_at: null,
    }
    await q.connections.update(id, changes)
    return { ...current, ...changes }
  })
}

/** Forgets a connection: its synced users, groups, memberships, roles and runs go with it (FK cascade). The remote is untouched. */
export async function deleteConnection(ctx: DirectoryContext, id: string): Promise<void> {
  const connection = await ctx.store.write(async (q) => {
    const row = await q.connections.find(id)
    if (row) await q.connections.delete(id)
    return row
  })
  if (!connection) throw new NotFoundError(`Connection ${id}`, 'id')
  ctx.budgets.drop(budgetKey(connection))
}

/** Why the allow-list refuses a base URL (undefined: allowed). Said before any connection is made. */
export function refusalOf(ctx: DirectoryContext, baseUrl: string): string | undefined {
  const url = new URL(baseUrl)
  return ctx.outbound.policy.allows(url) ? undefined : notAllowed(url).message
}

/**
 * Puts stored connections whose host the allow-list no longer names in status `error` with the reason, and
 * those it names again (after the operator allowed them) back to `active`. Run when the server starts.
 */
export async function applyAllowList(ctx: DirectoryContext): Promise<void> {
  await ctx.store.write(async (q) => {
    for (const c of await q.connections.all()) {
      const refused = refusalOf(ctx, c.base_url)
      const now = isoNow(q.clock)
      if (refused && !(c.status === 'error' && c.status_detail === refused))
        await q.connections.update(c.id, { status: 'error', status_detail: refused, updated_at: now })
      else if (!refused && c.status === 'error' && isRefusal(c.status_detail))
        await q.connections.update(c.id, { status: 'active', status_detail: null, updated_at: now, next_sync_at: null })
    }
  })
}

/** The remote client of a connection, on the budget of its remote workspace, which syncs, actions and the proxy share. */
export function clientFor(
  ctx: DirectoryContext,
  connection: Pick<ConnectionRow, 'base_url' | 'remote_workspace_id' | 'token_ciphertext'>,
  options: Pick<ClientOptions, 'priority' | 'stats' | 'onPage' | 'retries' | 'maxRateLimitWaits'>,
): SegmentClient {
  return new SegmentClient({
    ...options,
    baseUrl: connection.base_url,
    token: ctx.cipher.open(connection.token_ciphertext),
    outbound: ctx.outbound,
    budget: ctx.budgets.for(budgetKey(connection)),
    timeoutMs: ctx.config.remoteTimeoutMs,
  })
}

/** A client for a connection's remote that hands back every answer (the proxy), at action priority. */
export function proxyClientFor(ctx: DirectoryContext, connection: ConnectionRow, method: string): SegmentClient {
  // Reads may be retried; a write is sent once, as its caller sent it, and its answer returned.
  return clientFor(ctx, connection, { priority: PRIORITY.action, retries: method === 'GET' ? 3 : 0, maxRateLimitWaits: 3 })
}

/** A new connection's row: active, never synced, due at once (the scheduler's next pass syncs it). */
export function newConnectionRow(input: {
  name: string
  baseUrl: string
  sealedToken: string
  workspace: { id: string; slug: string; name: string }
  now: string
}): ConnectionRow {
  const { now } = input
  return {
    id: newId(),
    name: input.name,
    base_url: input.baseUrl,
    token_ciphertext: input.sealedToken,
    remote_workspace_id: input.workspace.id,
    remote_workspace_slug: input.workspace.slug,
    remote_workspace_name: input.workspace.name,
    status: 'active',
    status_detail: null,
    groups_supported: 1,
    created_at: now,
    updated_at: now,
    last_sync_run_id: null,
    last_complete_sync_at: null,
    next_sync_at: null,
    audit_watermark: null,
    last_full_sync_at: null,
  }
}
