import type { CredentialCipher } from '../auth/credentials.js'
import { hashSecret } from '../auth/secrets.js'
import { emailKey } from '../email.js'
import { ConflictError, NotAllowedError, NotFoundError, UnauthorizedError, ValidationError } from '../errors.js'
import { type Actor, now as nowIso, recordAudit } from '../iam/audit.js'
import type { InvitationSender } from '../iam/operations/invitations.js'
import { addMembers } from '../iam/operations/members.js'
import { newId, randomBase62 } from '../ids.js'
import { queueMail } from '../mail/outbox.js'
import type { Queries } from '../store/queries/index.js'
import type { InviteLinkRow } from '../store/queries/invite-links.js'
import type { InviteRow } from '../store/queries/members.js'
import type { WorkspaceRow } from '../store/queries/workspaces.js'
import { accountForEmail } from './accounts.js'
import type { AccountsContext } from './context.js'
import { CSRF_HEADER } from './csrf.js'
import { type Client, recordEvent } from './events.js'
import { invitationMessage } from './messages.js'
import { checkPasswordPolicy, hashPassword } from './passwords.js'
import { sessionView } from './present.js'
import { resumeSession, type SignedIn } from './sessions.js'
import { openSession, type SessionView } from './sign-in.js'
import type { PublicSite } from './site.js'

/** Invitation links work for a week, as Segment's do. */
export const INVITATION_LIFETIME_MS = 7 * 24 * 3600_000

export type InvitationStatus = 'valid' | 'expired' | 'used' | 'revoked'

/** What an invitation mail is written with. */
export interface InvitationMailer {
  cipher: CredentialCipher
  site: PublicSite
}

/** The console page that opens an invitation link. */
export function invitationUrl(site: PublicSite, secret: string): string {
  return `${site.url}/console/invitation/${secret}`
}

/**
 * The InvitationSender of this server: every invite an IAM operation newly creates gets a link and a mail,
 * in that operation's transaction. The caller pokes the mailer after the commit (`mailQueued`).
 */
export function invitationSender(mailer: InvitationMailer): InvitationSender {
  return {
    async invited(q, workspaceId, invites, actor) {
      if (invites.length === 0) return
      const workspace = await q.workspaces.find(workspaceId)
      if (!workspace) throw new NotFoundError(`Workspace ${workspaceId}`)
      const inviter = await inviterOf(q, workspaceId, actor)
      const now = q.clock.now()
      for (const invite of invites) await mailInvitation(q, mailer, workspace, invite, inviter, now)
    },
  }
}

/** The person behind an invitation, for the mail ("Ada (ada@…) invited you"): none for a token or the operator. */
async function inviterOf(q: Queries, workspaceId: string, actor: Actor) {
  if (actor.email === undefined) return undefined
  const key = emailKey(actor.email)
  const [user] = await q.users.findByEmailKeys(workspaceId, [key])
  const account = user ? undefined : await q.accounts.findByEmailKey(key)
  return { name: user?.name ?? account?.name ?? '', email: actor.email }
}

/**
 * A new single-use link for the invite, mailed; the invite's older links end (a re-sent invitation replaces
 * them). The secret exists only in the sealed mail: the store keeps its SHA-256.
 */
async function mailInvitation(
  q: Queries,
  mailer: InvitationMailer,
  workspace: WorkspaceRow,
  invite: InviteRow,
  inviter: { name: string; email: string } | undefined,
  now: Date,
): Promise<string> {
  const at = now.toISOString()
  await q.inviteLinks.endOfInvite(workspace.id, invite.id, at)
  const secret = randomBase62(43)
  await q.inviteLinks.insert({
    id: newId(),
    secret_hash: hashSecret(secret),
    workspace_id: workspace.id,
    invite_id: invite.id,
    email_key: invite.email_key,
    created_at: at,
    expires_at: new Date(now.getTime() + INVITATION_LIFETIME_MS).toISOString(),
    used_at: null,
  })
  const message = invitationMessage({
    to: invite.email,
    name: '',
    url: invitationUrl(mailer.site, secret),
    validFor: '7 days',
    workspaceName: workspace.name,
    inviter,
  })
  return queueMail(q, mailer.cipher, message, now)
}

/**
 * The console's "Resend": a new link for each pending invite (the older ones end), mailed, audited with the
 * person as actor. Every email must be a pending invite. Returns how many mails were queued.
 */
export async function resendInvitations(
  q: Queries,
  mailer: InvitationMailer,
  workspace: WorkspaceRow,
  emails: readonly string[],
  actor: Actor,
): Promise<number> {
  const keys = [...new Set(emails.map(emailKey))]
  const invites = await q.invites.findByEmailKeys(workspace.id, keys)
  if (invites.length !== keys.length) {
    const found = new Set(invites.map((i) => i.email_key))
    throw new NotFoundError(`Invite for ${keys.find((k) => !found.has(k))}`, 'emails')
  }
  const inviter = await inviterOf(q, workspace.id, actor)
  const now = q.clock.now()
  for (const invite of invites) await mailInvitation(q, mailer, workspace, invite, inviter, now)
  await recordAudit(
    q,
    workspace.id,
    actor,
    invites.map((i) => ({ type: 'Invite Resent', resourceId: i.id, resourceType: 'invite' as const, resourceName: i.email })),
    nowIso(q),
  )
  return invites.length
}

/** An invitation link with what it leads to; the invite is gone once accepted or revoked. */
interface FoundInvitation {
  link: InviteLinkRow
  workspace: WorkspaceRow
  invite: InviteRow | undefined
  email: string
  /** The account of the invited email has a password (so it signs in to accept). */
  hasPassword: boolean
  status: InvitationStatus
}

/** The link with this secret; unknown secrets spend from the address's link budget (404, then 429). */
async function findInvitation(ctx: AccountsContext, secret: string, client: Client): Promise<FoundInvitation> {
  const spent = await ctx.throttle.link(client.ip ?? 'unknown')
  const found = await ctx.store.read((q) => readInvitation(q, hashSecret(secret), q.clock.now()))
  if (!found) throw new NotFoundError('Invitation')
  await spent.refund()
  return found
}

async function readInvitation(q: Queries, secretHash: string, now: Date): Promise<FoundInvitation | undefined> {
  const link = await q.inviteLinks.findByHash(secretHash)
  const workspace = link ? await q.workspaces.find(link.workspace_id) : undefined
  if (!link || !workspace) return undefined
  const [invite] = await q.invites.findByIds(workspace.id, [link.invite_id])
  const [member] = invite ? [] : await q.users.findByEmailKeys(workspace.id, [link.email_key])
  const account = await q.accounts.findByEmailKey(link.email_key)
  const email = invite?.email ?? member?.email ?? account?.email ?? link.email_key
  return {
    link,
    workspace,
    invite,
    email,
    hasPassword: account?.password_hash != null,
    status: statusOf(link, invite, member !== undefined, now),
  }
}

/** Used: this link, or the invite was accepted otherwise; revoked: the invite is gone without joining. */
function statusOf(link: InviteLinkRow, invite: InviteRow | undefined, joined: boolean, now: Date): InvitationStatus {
  if (link.used_at !== null) return 'used'
  if (!invite) return joined ? 'used' : 'revoked'
  return link.expires_at <= now.toISOString() ? 'expired' : 'valid'
}

const PROBLEMS: Record<Exclude<InvitationStatus, 'valid'>, string> = {
  expired: 'This invitation link has expired; ask for a new one',
  used: 'This invitation was already accepted',
  revoked: 'This invitation was withdrawn by the workspace',
}

/** What the invitation page shows about a link. */
export async function inspectInvitation(ctx: AccountsContext, secret: string, client: Client) {
  const found = await findInvitation(ctx, secret, client)
  return {
    workspace: { name: found.workspace.name, slug: found.workspace.slug },
    email: found.email,
    status: found.status,
    expiresAt: found.link.expires_at,
    account: found.hasPassword ? ('existing' as const) : ('new' as const),
  }
}

export interface AcceptInput {
  name?: string | undefined
  password?: string | undefined
  /** The browser's session cookie and CSRF header, when it sends them. */
  sessionSecret: string | undefined
  csrfToken: string | string[] | undefined
}

export interface Accepted {
  workspace: { id: string; slug: string; name: string }
  session: SessionView
  /** A new session's secret, for the cookie (a new person); none when the person was signed in already. */
  newSecret: string | undefined
}

/**
 * Accepts an invitation: signed in as the invited email (with the CSRF token), or, for a person without a
 * password yet, by choosing one (which signs them in). The invite becomes membership with its permissions and
 * groups (`addMembers`), the link is used once, and the new member is the audit actor.
 */
export async function acceptInvitation(ctx: AccountsContext, secret: string, input: AcceptInput, client: Client): Promise<Accepted> {
  const found = await findInvitation(ctx, secret, client)
  if (found.status !== 'valid') throw new ConflictError(PROBLEMS[found.status], { data: { status: found.status } })
  const who = input.sessionSecret === undefined ? undefined : await resumeSession(ctx.store, input.sessionSecret)
  if (who) return acceptSignedIn(ctx, found, who, input, client)
  if (found.hasPassword) throw new UnauthorizedError(`Unauthorized: sign in as ${found.email} first, then accept the invitation`)
  return acceptAsNewPerson(ctx, found, input, client)
}

async function acceptSignedIn(ctx: AccountsContext, found: FoundInvitation, who: SignedIn, input: AcceptInput, client: Client) {
  if (who.emailKey !== found.link.email_key)
    throw new ConflictError(
      `You are signed in as ${who.email}, but this invitation is for ${found.email}: sign out, then open the link again`,
    )
  if (!ctx.csrf.matches(who.sessionId, input.csrfToken))
    throw new NotAllowedError(`Forbidden: a change needs the ${CSRF_HEADER} header that GET /console/api/session gives`)
  return ctx.store.write(async (q) => {
    const now = q.clock.now()
    await join(q, found, { id: who.accountId, email: who.email }, who.name, client, now)
    const session = await sessionView(q, ctx.csrf, who, { id: who.sessionId, createdAt: who.sessionCreatedAt, expiresAt: who.expiresAt })
    return { workspace: presentWorkspace(found.workspace), session, newSecret: undefined }
  })
}

async function acceptAsNewPerson(ctx: AccountsContext, found: FoundInvitation, input: AcceptInput, client: Client) {
  const name = input.name?.trim() ?? ''
  if (name === '') throw new ValidationError('name: tell us your name', 'name')
  if (input.password === undefined) throw new ValidationError('password: choose a password to accept the invitation', 'password')
  await checkPasswordPolicy(input.password, found.email, 'password')
  const hash = await hashPassword(input.password)
  return ctx.store.write(async (q) => {
    const now = q.clock.now()
    const at = now.toISOString()
    const account = await accountForEmail(q, found.email, 'always', at)
    if (!account) throw new NotFoundError('Account')
    // Someone chose a password for this email meanwhile (another link): they sign in instead.
    if (account.password_hash !== null)
      throw new UnauthorizedError(`Unauthorized: sign in as ${found.email} first, then accept the invitation`)
    await q.accounts.update(account.id, { password_hash: hash, password_changed_at: at, name }, at)
    await join(q, found, { id: account.id, email: account.email }, name, client, now)
    await recordEvent(q, account.id, 'password_changed', client, at, { via: 'invitation' })
    const started = await openSession(q, ctx, { ...account, name, password_hash: hash }, client, now, { via: 'invitation' })
    return { workspace: presentWorkspace(found.workspace), session: started.view, newSecret: started.secret }
  })
}

/** Uses the link once and makes the invited email a member; 409 when another request used it a moment ago. */
async function join(q: Queries, found: FoundInvitation, actor: Actor, name: string, client: Client, now: Date): Promise<void> {
  const at = now.toISOString()
  if (!(await q.inviteLinks.use(found.workspace.id, found.link.id, at)))
    throw new ConflictError(PROBLEMS.used, { data: { status: 'used' } })
  const [invite] = await q.invites.findByIds(found.workspace.id, [found.link.invite_id])
  if (!invite) throw new ConflictError(PROBLEMS.revoked, { data: { status: 'revoked' } })
  await addMembers(q, found.workspace.id, [{ email: invite.email, name }], actor)
  await q.inviteLinks.endOfInvite(found.workspace.id, invite.id, at)
  const account = await q.accounts.findByEmailKey(invite.email_key)
  if (account) await recordEvent(q, account.id, 'link_used', client, at, { purpose: 'invitation', workspaceId: found.workspace.id })
}

function presentWorkspace(workspace: WorkspaceRow) {
  return { id: workspace.id, slug: workspace.slug, name: workspace.name }
}

/**
 * "Email me a new link" on an expired invitation: a fresh link to the invited address, if the invite is still
 * pending. The caller answers 202 whatever happens; mails are limited per invite (and requests per address).
 */
export async function renewInvitation(ctx: AccountsContext, secret: string, client: Client): Promise<void> {
  const found = await findInvitation(ctx, secret, client)
  const invite = found.invite
  // The per-email budget of password resets, keyed by the invite: a few mails an hour at most.
  const mayMail = await ctx.throttle.resetRequest(`invite:${found.link.invite_id}`, client.ip ?? 'unknown')
  if (!invite || found.status !== 'expired' || !mayMail) return
  await ctx.store.write(async (q) => {
    const [still] = await q.invites.findByIds(found.workspace.id, [invite.id])
    if (still) await mailInvitation(q, ctx, found.workspace, still, undefined, q.clock.now())
  })
  ctx.mailQueued()
}
