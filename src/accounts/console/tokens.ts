import { createHmac, randomInt, timingSafeEqual } from 'node:crypto'
import { NotFoundError, ValidationError } from '../../errors.js'
import { createToken, revokeToken } from '../../iam/operations/workspaces.js'
import { newId } from '../../ids.js'
import { queueMail } from '../../mail/outbox.js'
import type { CodeRow } from '../../store/queries/codes.js'
import type { ListedTokenRow } from '../../store/queries/workspaces.js'
import type { TokenRole } from '../../store/tables.js'
import type { AccountsContext } from '../context.js'
import { type Client, recordEvent } from '../events.js'
import { securityCodeMessage } from '../messages.js'
import type { SignedIn } from '../sessions.js'
import { ownerAccessTo, personActor } from '../workspaces.js'

/** A security code works for 10 minutes, once, and takes at most 5 guesses. */
export const CODE_LIFETIME_MS = 10 * 60_000
export const CODE_MAX_ATTEMPTS = 5

const PURPOSE = 'create_token'

/**
 * The stored form of a code: an HMAC keyed by the store's secret (six digits would fall to a plain hash at once),
 * over the account and workspace too, so a code is good only for the person and workspace it was sent for.
 */
function codeHash(secret: string, accountId: string, workspaceId: string, code: string): string {
  return createHmac('sha256', secret).update(`${PURPOSE}\n${accountId}\n${workspaceId}\n${code}`).digest('base64url')
}

/** "o****@demo.example": enough to recognise the address without spelling it out on a shared screen. */
export function maskEmail(email: string): string {
  const at = email.lastIndexOf('@')
  if (at < 1) return email
  return `${email[0]}${'*'.repeat(Math.min(4, Math.max(1, at - 1)))}${email.slice(at)}`
}

/**
 * Step 3 of Create Token: mails a fresh 6-digit code to the signed-in owner. Only owners (and instance admins)
 * may ask; the asks are throttled per account. The code is never stored in clear, nor logged.
 */
export async function sendTokenCode(ctx: AccountsContext, workspaceId: string, who: SignedIn, client: Client) {
  await ctx.store.read((q) => ownerAccessTo(q, workspaceId, who))
  await ctx.throttle.codeMail(who.accountId)
  const code = String(randomInt(0, 1_000_000)).padStart(6, '0')
  const sent = await ctx.store.write(
    async (q) => {
      const { workspace } = await ownerAccessTo(q, workspaceId, who)
      const now = q.clock.now()
      const at = now.toISOString()
      await q.codes.prune(workspace.id, who.accountId, PURPOSE, at)
      const row = {
        id: newId(),
        account_id: who.accountId,
        workspace_id: workspace.id,
        purpose: PURPOSE,
        code_hash: codeHash(ctx.store.secret, who.accountId, workspace.id, code),
        created_at: at,
        expires_at: new Date(now.getTime() + CODE_LIFETIME_MS).toISOString(),
        used_at: null,
      } as const
      await q.codes.insert(row)
      const message = securityCodeMessage({ to: who.email, name: who.name, code, workspaceName: workspace.name, validFor: '10 minutes' })
      await queueMail(q, ctx.cipher, message, now)
      await recordEvent(q, who.accountId, 'security_code_sent', client, at, { workspaceId: workspace.id, purpose: PURPOSE })
      return row
    },
    { workspace: workspaceId },
  )
  ctx.mailQueued()
  return { codeId: sent.id, expiresAt: sent.expires_at, sentTo: maskEmail(who.email) }
}

export interface CreateTokenInput {
  description: string
  access: TokenRole
  codeId: string
  code: string
}

/**
 * Step 4: the code is judged, then the token is made with the IAM operation (audited with the person as actor)
 * and its secret answered once. A wrong code spends one of the code's attempts (committed on its own, so the
 * refusal cannot roll it back) and one of the account's checks.
 */
export async function createTokenWithCode(
  ctx: AccountsContext,
  workspaceId: string,
  who: SignedIn,
  input: CreateTokenInput,
  client: Client,
) {
  const description = input.description.trim()
  if (description === '') throw new ValidationError('description must not be blank', 'description')
  const check = await ctx.throttle.codeCheck(who.accountId)
  const row = await ctx.store.write(
    async (q) => {
      await ownerAccessTo(q, workspaceId, who)
      const found = await q.codes.find(workspaceId, input.codeId)
      const at = q.clock.now().toISOString()
      const mine = found && found.account_id === who.accountId && found.workspace_id === workspaceId && found.purpose === PURPOSE
      if (!mine) return { problem: 'This security code was not sent to you for this workspace; ask for a new one' }
      const problem = codeProblem(found, at)
      if (problem) return { problem }
      if (!(await q.codes.spendAttempt(workspaceId, found.id, CODE_MAX_ATTEMPTS, at)))
        return { problem: 'This security code can no longer be used; ask for a new one' }
      return { code: found }
    },
    { workspace: workspaceId },
  )
  if ('problem' in row) throw new ValidationError(`code: ${row.problem}`, 'code')
  const given = Buffer.from(codeHash(ctx.store.secret, who.accountId, workspaceId, input.code.trim()))
  const expected = Buffer.from(row.code.code_hash)
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    const left = CODE_MAX_ATTEMPTS - Number(row.code.attempts) - 1
    throw new ValidationError(
      left > 0
        ? `code: This security code is not right; ${left} attempt${left === 1 ? '' : 's'} left`
        : 'code: This security code is not right, and it has no attempts left; ask for a new one',
      'code',
    )
  }
  await check.refund()
  return ctx.store.write(
    async (q) => {
      const access = await ownerAccessTo(q, workspaceId, who)
      const at = q.clock.now().toISOString()
      if (!(await q.codes.use(workspaceId, row.code.id, at)))
        throw new ValidationError('code: This security code was already used; ask for a new one', 'code')
      const { token, secret } = await createToken(q, workspaceId, description, input.access, personActor(access, who))
      await recordEvent(q, who.accountId, 'token_created', client, at, { workspaceId, tokenId: token.id, access: input.access })
      return { token: presentToken({ ...token, created_by: who.email, last_used_at: null }), secret }
    },
    { workspace: workspaceId },
  )
}

function codeProblem(code: CodeRow, at: string): string | undefined {
  if (code.used_at !== null) return 'This security code was already used; ask for a new one'
  if (code.expires_at <= at) return 'This security code has expired; ask for a new one'
  if (Number(code.attempts) >= CODE_MAX_ATTEMPTS) return 'This security code was entered wrong too many times; ask for a new one'
  return undefined
}

/** Revokes a live token of the workspace (audited with the person as actor); 404 for any other id. */
export async function revokeTokenAsPerson(ctx: AccountsContext, workspaceId: string, tokenId: string, who: SignedIn): Promise<void> {
  await ctx.store.write(
    async (q) => {
      const access = await ownerAccessTo(q, workspaceId, who)
      if (!(await revokeToken(q, workspaceId, tokenId, personActor(access, who)))) throw new NotFoundError(`Token ${tokenId}`, 'tokenId')
    },
    { workspace: workspaceId },
  )
}

export function presentToken(row: Omit<ListedTokenRow, 'revoked_at' | 'workspace_id'>) {
  return {
    id: row.id,
    description: row.description,
    access: row.role,
    createdAt: row.created_at,
    createdBy: row.created_by,
    lastUsedAt: row.last_used_at,
  }
}
