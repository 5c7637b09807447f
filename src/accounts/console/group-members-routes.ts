import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { NotFoundError } from '../../errors.js'
import { addEmailsToGroup, removeEmailsFromGroup } from '../../iam/operations/groups.js'
import type { ConsoleDeps } from '../routes.js'
import { SIGNED_IN_ROUTE } from '../schemas.js'
import { personActor } from '../workspaces.js'
import { GroupEmailsBody, GroupInviteParams, GroupMemberParams, GroupOutput, GroupParams } from './access-schemas.js'
import { groupChange, toGroupSummary } from './groups-routes.js'

/** Who is in a console User Group: add people by email, take a member or a pending invite out. */
export const groupMembersRoutes: FastifyPluginAsyncTypebox<ConsoleDeps> = async (app, { accounts }) => {
  const change = groupChange(accounts.store)
  const route = { ...SIGNED_IN_ROUTE }

  const addDoc =
    "Adds emails to a group, as the Public API's addUsersToUserGroup: a member joins, an invited email joins as its pending invite, and any other email becomes a new invite of the workspace in this group."
  app.post(
    '/workspaces/:workspaceId/groups/:userGroupId/members',
    { schema: { ...route, description: addDoc, params: GroupParams, body: GroupEmailsBody, response: { 200: GroupOutput } } },
    async (req) => {
      const answer = await change(req.params.workspaceId, req.signedIn, async (q, access) => {
        const actor = personActor(access, req.signedIn)
        const group = await addEmailsToGroup(q, access.workspace.id, req.params.userGroupId, req.body.emails, actor, accounts.invitations)
        return { data: { group: toGroupSummary(group) } }
      })
      // The new invites' mail is queued with the change: send it now it has committed.
      accounts.mailQueued()
      return answer
    },
  )

  app.delete(
    '/workspaces/:workspaceId/groups/:userGroupId/members/:userId',
    {
      schema: {
        ...route,
        description: 'Takes a member out of the group (they stay in the workspace). 404 for a user of another workspace.',
        params: GroupMemberParams,
        response: { 200: GroupOutput },
      },
    },
    async (req) =>
      change(req.params.workspaceId, req.signedIn, async (q, access) => {
        const user = await q.users.find(access.workspace.id, req.params.userId)
        if (!user) throw new NotFoundError(`User ${req.params.userId}`, 'userId')
        const group = await removeEmailsFromGroup(
          q,
          access.workspace.id,
          req.params.userGroupId,
          [user.email],
          personActor(access, req.signedIn),
        )
        return { data: { group: toGroupSummary(group) } }
      }),
  )

  app.delete(
    '/workspaces/:workspaceId/groups/:userGroupId/invites/:inviteId',
    {
      schema: {
        ...route,
        description: 'Takes a pending invite out of the group (the invite stays pending in the workspace).',
        params: GroupInviteParams,
        response: { 200: GroupOutput },
      },
    },
    async (req) =>
      change(req.params.workspaceId, req.signedIn, async (q, access) => {
        const [invite] = await q.invites.findByIds(access.workspace.id, [req.params.inviteId])
        if (!invite) throw new NotFoundError(`Invite ${req.params.inviteId}`, 'inviteId')
        const group = await removeEmailsFromGroup(
          q,
          access.workspace.id,
          req.params.userGroupId,
          [invite.email],
          personActor(access, req.signedIn),
        )
        return { data: { group: toGroupSummary(group) } }
      }),
  )
}
