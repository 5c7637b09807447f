import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { PageQuery, paginate } from '../../wire/pagination.js'
import { actorOf } from '../actor.js'
import { createInvites, deleteInvites } from '../operations/members.js'
import { permissionContext } from '../operations/permissions.js'
import { checkInvitePermissions } from '../rules/permissions.js'
import { EmailsQuery, StatusOutput } from '../schemas/common.js'
import { CreateInvitesBody, CreateInvitesOutput, ListInvitesOutput } from '../schemas/users.js'
import type { IamDeps } from './deps.js'

export const inviteRoutes: FastifyPluginAsyncTypebox<IamDeps> = async (app, { store, cursors, invitations, mailQueued }) => {
  app.get(
    '/invites',
    { schema: { querystring: PageQuery, response: { 200: ListInvitesOutput } }, config: { access: 'read' } },
    async (req) => {
      const ws = req.auth.workspaceId
      const page = await store.read((q) =>
        paginate(
          cursors,
          'invites',
          req.query.pagination,
          (seek) => q.invites.list(ws, seek),
          (i) => [i.id],
          () => q.invites.count(ws),
        ),
      )
      return { data: { invites: page.items.map((i) => i.email), pagination: page.pagination } }
    },
  )

  app.post(
    '/invites',
    { schema: { body: CreateInvitesBody, response: { 201: CreateInvitesOutput } }, config: { access: 'write', rl60: 'createInvites' } },
    async (req, reply) => {
      const { workspaceId, plan } = req.auth
      const emails = await store.write(
        async (q) => {
          const ctx = await permissionContext(q, workspaceId, plan)
          const invites = req.body.invites.map((invite, i) => ({
            email: invite.email,
            permissions: checkInvitePermissions(invite.permissions ?? [], ctx, `invites.${i}.permissions`),
          }))
          return createInvites(q, workspaceId, invites, actorOf(req), invitations)
        },
        { workspace: workspaceId },
      )
      mailQueued()
      return reply.status(201).send({ data: { emails } })
    },
  )

  app.delete(
    '/invites',
    { schema: { querystring: EmailsQuery, response: { 200: StatusOutput } }, config: { access: 'write', rl60: 'deleteInvites' } },
    async (req) => {
      await store.write((q) => deleteInvites(q, req.auth.workspaceId, req.query.emails, actorOf(req)), { workspace: req.auth.workspaceId })
      return { data: { status: 'SUCCESS' as const } }
    },
  )
}
