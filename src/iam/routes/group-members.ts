import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { actorOf } from '../actor.js'
import { addEmailsToGroup, removeEmailsFromGroup, replaceGroupEmails } from '../operations/groups.js'
import { EmailsQuery, StatusOutput } from '../schemas/common.js'
import { EmailsBody, GroupIdParams, ReplaceEmailsBody, UserGroupOutput } from '../schemas/groups.js'
import type { IamDeps } from './deps.js'
import { present, requireGroupsPlan } from './groups.js'

/** Who is in a user group, by email: add, replace, remove (new emails become invites, mailed once committed). */
export const groupMemberRoutes: FastifyPluginAsyncTypebox<IamDeps> = async (app, { store, invitations, mailQueued }) => {
  app.addHook('preHandler', async (req) => requireGroupsPlan(req))

  // Segment serves the member writes on the singular /group/ path; the plural form is served too.
  for (const prefix of ['/groups', '/group']) {
    app.post(
      `${prefix}/:userGroupId/users`,
      {
        schema: { params: GroupIdParams, body: EmailsBody, response: { 200: UserGroupOutput } },
        config: { access: 'write', rl60: 'addUsersToUserGroup' },
      },
      async (req) => {
        const { workspaceId } = req.auth
        const answer = await store.write(
          async (q) =>
            present(q, await addEmailsToGroup(q, workspaceId, req.params.userGroupId, req.body.emails, actorOf(req), invitations)),
          { workspace: workspaceId },
        )
        mailQueued()
        return answer
      },
    )
    app.put(
      `${prefix}/:userGroupId/users`,
      {
        schema: { params: GroupIdParams, body: ReplaceEmailsBody, response: { 200: UserGroupOutput } },
        config: { access: 'write', rl60: 'replaceUsersInUserGroup' },
      },
      async (req) => {
        const { workspaceId } = req.auth
        const answer = await store.write(
          async (q) =>
            present(q, await replaceGroupEmails(q, workspaceId, req.params.userGroupId, req.body.emails, actorOf(req), invitations)),
          { workspace: workspaceId },
        )
        mailQueued()
        return answer
      },
    )
    app.delete(
      `${prefix}/:userGroupId/users`,
      {
        schema: { params: GroupIdParams, querystring: EmailsQuery, response: { 200: StatusOutput } },
        config: { access: 'write', rl60: 'removeUsersFromUserGroup' },
      },
      async (req) => {
        await store.write((q) => removeEmailsFromGroup(q, req.auth.workspaceId, req.params.userGroupId, req.query.emails, actorOf(req)), {
          workspace: req.auth.workspaceId,
        })
        return { data: { status: 'SUCCESS' as const } }
      },
    )
  }
}
