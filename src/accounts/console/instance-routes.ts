import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { emailKey } from '../../email.js'
import { ConflictError, NotAllowedError, NotFoundError } from '../../errors.js'
import { outboxPage, readMessage, retryMessage } from '../../mail/outbox.js'
import type { AccountListRow } from '../../store/queries/account-search.js'
import type { AccountRow } from '../../store/queries/accounts.js'
import type { Queries } from '../../store/queries/index.js'
import { paginate } from '../../wire/pagination.js'
import { addInstanceAdmin, removeInstanceAdmin } from '../accounts.js'
import { type AccountEventType, type ActedBy, type Client, recordEvent } from '../events.js'
import { mfaStatus, resetMfa } from '../mfa.js'
import { toEventEntry } from '../present.js'
import type { ConsoleDeps } from '../routes.js'
import { SIGNED_IN_ROUTE } from '../schemas.js'
import { clientOf, idleSince, type SignedIn } from '../sessions.js'
import {
  AccountParams,
  DEFAULT_INSTANCE_PAGE,
  InstanceAccountOutput,
  InstanceAccountsOutput,
  InstanceAccountsQuery,
  InstanceAdminBody,
  InstanceAdminOutput,
  InstanceMfaResetOutput,
  InstanceOutboxOutput,
  InstanceOutboxQuery,
  OutboxMessageOutput,
  OutboxMessageParams,
  OutboxRetryOutput,
  RECENT_EVENTS,
} from './instance-schemas.js'

/** Who acted, as the security log of the person acted on names them. */
function actedBy(who: SignedIn): ActedBy {
  return { by: who.email, byAccountId: who.accountId }
}

async function findAccount(q: Queries, accountId: string): Promise<AccountRow> {
  const account = await q.accounts.find(accountId)
  if (!account) throw new NotFoundError(`Account ${accountId}`, 'accountId')
  return account
}

/** Logs an instance admin's look at (or retry of) a message in its recipient's security log, when they have an account. */
async function logForRecipient(
  q: Queries,
  to: string,
  type: AccountEventType,
  client: Client,
  who: SignedIn,
  detail: Record<string, string>,
) {
  const recipient = await q.accounts.findByEmailKey(emailKey(to))
  if (recipient) await recordEvent(q, recipient.id, type, client, q.clock.now().toISOString(), { ...actedBy(who), ...detail })
}

function toAccountSummary(row: AccountListRow) {
  return {
    id: row.id,
    email: row.email,
    name: row.name,
    hasPassword: Number(row.has_password) === 1,
    mfaEnabled: Number(row.mfa_on) === 1,
    instanceAdmin: Number(row.instance_admin) === 1,
    workspaces: Number(row.workspaces),
    createdAt: row.created_at,
  }
}

async function accountDetail(q: Queries, account: AccountRow) {
  const now = q.clock.now()
  const memberships = await q.accounts.memberships(account.email_key)
  const mfa = await mfaStatus(q, account.id)
  const events = await q.accounts.events(account.id, { direction: 'after', key: null, limit: RECENT_EVENTS })
  return {
    ...toAccountSummary({
      ...account,
      has_password: account.password_hash === null ? 0 : 1,
      mfa_on: mfa.enabled ? 1 : 0,
      workspaces: memberships.length,
    }),
    memberships: memberships.map((m) => ({ id: m.workspace_id, slug: m.slug, name: m.workspace_name, userId: m.user_id })),
    mfa,
    liveSessions: await q.accountSearch.liveSessionCount(account.id, now.toISOString(), idleSince(now)),
    recentEvents: events.rows.map(toEventEntry),
  }
}

/**
 * Instance admins in the console: the outbox and every account of the server (registered under the session
 * guard of routes.ts). Everyone else gets 403, whatever workspaces they own. What an instance admin does to
 * someone's account goes to that person's security log, naming the admin.
 */
export const instanceRoutes: FastifyPluginAsyncTypebox<ConsoleDeps> = async (app, { accounts, cursors }) => {
  const { store } = accounts
  const route = SIGNED_IN_ROUTE

  app.addHook('onRequest', async (req) => {
    if (!req.signedIn.instanceAdmin) throw new NotAllowedError('Forbidden: only instance admins may see the outbox and the accounts')
  })

  const outboxDoc =
    "The outbox, for instance admins: every message the server queued (waiting, being sent, sent or failed), newest first, without bodies. `status` keeps one state; keyset pages of `count` (1-200, default 50); `cursor` is a page's `pagination.next` or `previous`."
  app.get(
    '/instance/outbox',
    { schema: { ...route, description: outboxDoc, querystring: InstanceOutboxQuery, response: { 200: InstanceOutboxOutput } } },
    async (req) => {
      const { status, count, cursor } = req.query
      const input = { count: count ?? DEFAULT_INSTANCE_PAGE, ...(cursor === undefined ? {} : { cursor }) }
      const page = await store.read((q) => outboxPage(q, cursors, 'console/instance/outbox', input, status))
      return { data: { messages: page.items, pagination: page.pagination } }
    },
  )

  const messageDoc =
    "One message with its text and HTML body, as the operator API shows it. Only instance admins may read it: the body holds the recipient's single-use link or code, which is how a server without SMTP hands a person their link. The look is logged in the recipient's security log, naming the admin."
  app.get(
    '/instance/outbox/:messageId',
    { schema: { ...route, description: messageDoc, params: OutboxMessageParams, response: { 200: OutboxMessageOutput } } },
    async (req) => {
      const message = await store.write(async (q) => {
        const read = await readMessage(q, accounts.cipher, req.params.messageId)
        await logForRecipient(q, read.to, 'outbox_message_read', clientOf(req), req.signedIn, { messageId: read.id, kind: read.kind })
        return read
      })
      return { data: { message } }
    },
  )

  const retryDoc =
    'Sends a failed message again, with a fresh round of attempts, as soon as a server with SMTP gets to it. 409 for a message that has not failed.'
  app.post(
    '/instance/outbox/:messageId/retry',
    { schema: { ...route, description: retryDoc, params: OutboxMessageParams, response: { 200: OutboxRetryOutput } } },
    async (req) => {
      const message = await store.write(async (q) => {
        const retried = await retryMessage(q, req.params.messageId)
        await logForRecipient(q, retried.to, 'outbox_message_retried', clientOf(req), req.signedIn, { messageId: retried.id })
        return retried
      })
      accounts.mailQueued()
      return { data: { message } }
    },
  )

  const accountsDoc =
    "Every account on this server, for instance admins, in email order. `search` matches a part of the name or email in any case. Keyset pages of `count` (1-200, default 50); `cursor` is a page's `pagination.next` or `previous`."
  app.get(
    '/instance/accounts',
    { schema: { ...route, description: accountsDoc, querystring: InstanceAccountsQuery, response: { 200: InstanceAccountsOutput } } },
    async (req) => {
      const search = req.query.search?.trim() || undefined
      const { count, cursor } = req.query
      const page = await store.read((q) =>
        paginate(
          cursors,
          // The search is part of the list's name: a cursor works only with the search it was issued for.
          `console/instance/accounts|${search ?? ''}`,
          { count: count ?? DEFAULT_INSTANCE_PAGE, ...(cursor === undefined ? {} : { cursor }) },
          (seek) => q.accountSearch.list(search, seek),
          (row) => [row.email_key],
          () => q.accountSearch.count(search),
        ),
      )
      return { data: { accounts: page.items.map(toAccountSummary), pagination: page.pagination } }
    },
  )

  const accountDoc =
    "One account: its workspaces, MFA, how many live sessions it has, and the latest entries of its security log. 404 for an id that is not an account's."
  app.get(
    '/instance/accounts/:accountId',
    { schema: { ...route, description: accountDoc, params: AccountParams, response: { 200: InstanceAccountOutput } } },
    async (req) => ({ data: { account: await store.read(async (q) => accountDetail(q, await findAccount(q, req.params.accountId))) } }),
  )

  const resetDoc =
    "Resets a person's MFA (lost authenticator and recovery codes): forgets both, ends every session of theirs, mails them a notice, and logs it in their security log naming the instance admin. 409 for your own account (turn it off in My account)."
  app.post(
    '/instance/accounts/:accountId/mfa-reset',
    { schema: { ...route, description: resetDoc, params: AccountParams, response: { 200: InstanceMfaResetOutput } } },
    async (req) => {
      const who = req.signedIn
      if (req.params.accountId === who.accountId)
        throw new ConflictError('You cannot reset your own MFA here: turn it off in My account', { field: 'accountId' })
      const reset = await store.write(async (q) => {
        const account = await findAccount(q, req.params.accountId)
        return resetMfa(q, accounts, account.email, actedBy(who), clientOf(req), q.clock.now())
      })
      if (!reset) throw new NotFoundError(`Account ${req.params.accountId}`, 'accountId')
      accounts.mailQueued()
      return { data: reset }
    },
  )

  const adminDoc =
    'Makes the account an instance admin or takes that away, logged in their security log naming the instance admin. A new instance admin without a password is mailed a set-password link. 409 for taking away your own (another instance admin must).'
  app.put(
    '/instance/accounts/:accountId/instance-admin',
    { schema: { ...route, description: adminDoc, params: AccountParams, body: InstanceAdminBody, response: { 200: InstanceAdminOutput } } },
    async (req) => {
      const who = req.signedIn
      const { instanceAdmin } = req.body
      if (req.params.accountId === who.accountId && !instanceAdmin)
        throw new ConflictError('You cannot take away your own instance admin: another instance admin must', { field: 'instanceAdmin' })
      const messageId = await store.write(async (q) => {
        const account = await findAccount(q, req.params.accountId)
        const now = q.clock.now()
        if (instanceAdmin) return (await addInstanceAdmin(q, accounts, account.email, clientOf(req), now, actedBy(who))).messageId
        await removeInstanceAdmin(q, account.email, clientOf(req), now.toISOString(), actedBy(who))
        return undefined
      })
      if (messageId !== undefined) accounts.mailQueued()
      return { data: { account: { id: req.params.accountId, instanceAdmin }, linkQueued: messageId !== undefined } }
    },
  )
}
