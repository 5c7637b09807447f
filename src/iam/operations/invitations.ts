import type { Queries } from '../../store/queries/index.js'
import type { InviteRow } from '../../store/queries/members.js'
import type { Actor } from '../audit.js'

/**
 * What mails an invitation. Every operation that creates invites takes one and calls it, in its own
 * transaction, with the invites it newly created (never those already pending): no way of inviting can
 * forget the mail, and a change that rolls back sends none. The accounts module implements it
 * (src/accounts/invitations.ts); the server pokes its mailer after the commit.
 */
export interface InvitationSender {
  invited(q: Queries, workspaceId: string, invites: readonly InviteRow[], actor: Actor): Promise<void>
}
