import { recordAudit } from '../iam/audit.js'
import type { AccountsContext } from './context.js'
import { type Client, recordEvent } from './events.js'
import type { SignedIn } from './sessions.js'

/**
 * Changes the person's name: on the account and on their user in every workspace of this server (a person has
 * one name, as in Segment), one transaction, each workspace's audit trail noting it with the person as actor.
 */
export async function renameAccount(ctx: AccountsContext, who: SignedIn, name: string, client: Client): Promise<void> {
  await ctx.store.write(async (q) => {
    const at = q.clock.now().toISOString()
    await q.accounts.update(who.accountId, { name }, at)
    for (const membership of await q.accounts.memberships(who.emailKey)) {
      if (membership.user_name === name) continue
      await q.users.rename(membership.workspace_id, who.emailKey, name)
      await recordAudit(
        q,
        membership.workspace_id,
        { id: membership.user_id, email: who.email },
        [{ type: 'User Name Updated', resourceId: membership.user_id, resourceType: 'user', resourceName: membership.email }],
        at,
      )
    }
    await recordEvent(q, who.accountId, 'name_changed', client, at)
  })
}
