import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { NotFoundError } from '../../errors.js'
import { PageQuery, paginate } from '../../wire/pagination.js'
import { actorOf } from '../actor.js'
import { deleteUsers } from '../operations/members.js'
import { addPermissions, replacePermissions } from '../operations/permissions.js'
import { bySubject, toAccessPermissionV1, toUserV1 } from '../present.js'
import { AccessPermissionV1, data, PermissionsBody, ReplacePermissionsBody, StatusOutput } from '../schemas/common.js'
import { DeleteUsersQuery, GetUserOutput, ListUserGroupsFromUserOutput, ListUsersOutput, UserIdParams } from '../schemas/users.js'
import type { IamDeps } from './deps.js'

const PermissionsOutput = data({ permissions: Type.Array(AccessPermissionV1) })

export const userRoutes: FastifyPluginAsyncTypebox<IamDeps> = async (app, { store, cursors }) => {
  app.get('/users', { schema: { querystring: PageQuery, response: { 200: ListUsersOutput } }, config: { access: 'read' } }, async (req) => {
    const ws = req.auth.workspaceId
    return store.read(async (q) => {
      const page = await paginate(
        cursors,
        'users',
        req.query.pagination,
        (seek) => q.users.list(ws, seek),
        (u) => [u.id],
        () => q.users.count(ws),
      )
      const permissions = bySubject(
        await q.permissions.ofSubjects(
          ws,
          'user',
          page.items.map((u) => u.id),
        ),
      )
      return { data: { users: page.items.map((u) => toUserV1(u, permissions.get(u.id) ?? [])), pagination: page.pagination } }
    })
  })

  app.get(
    '/users/:userId',
    { schema: { params: UserIdParams, response: { 200: GetUserOutput } }, config: { access: 'read' } },
    async (req) =>
      store.read(async (q) => {
        const user = await q.users.find(req.auth.workspaceId, req.params.userId)
        if (!user) throw new NotFoundError(`User ${req.params.userId}`, 'userId')
        return { data: { user: toUserV1(user, await q.permissions.ofSubjects(user.workspace_id, 'user', [user.id])) } }
      }),
  )

  app.delete(
    '/users',
    { schema: { querystring: DeleteUsersQuery, response: { 200: StatusOutput } }, config: { access: 'write', rl60: 'deleteUsers' } },
    async (req) => {
      await store.write((q) => deleteUsers(q, req.auth.workspaceId, req.query.userIds, actorOf(req)), { workspace: req.auth.workspaceId })
      return { data: { status: 'SUCCESS' as const } }
    },
  )

  app.get(
    '/users/:userId/groups',
    {
      schema: { params: UserIdParams, querystring: PageQuery, response: { 200: ListUserGroupsFromUserOutput } },
      config: { access: 'read' },
    },
    async (req) =>
      store.read(async (q) => {
        const user = await q.users.find(req.auth.workspaceId, req.params.userId)
        if (!user) throw new NotFoundError(`User ${req.params.userId}`, 'userId')
        const page = await paginate(
          cursors,
          `users/${user.id}/groups`,
          req.query.pagination,
          (seek) => q.groups.listGroupsOfUser(user.workspace_id, user.id, seek),
          (g) => [g.id],
          () => q.groups.countGroupsOfUser(user.workspace_id, user.id),
        )
        return { data: { groups: page.items, pagination: page.pagination } }
      }),
  )

  for (const [method, rl60, operation] of [
    ['POST', 'addPermissionsToUser', addPermissions],
    ['PUT', 'replacePermissionsForUser', replacePermissions],
  ] as const) {
    app.route({
      method,
      url: '/users/:userId/permissions',
      schema: {
        params: UserIdParams,
        body: method === 'POST' ? PermissionsBody : ReplacePermissionsBody,
        response: { 200: PermissionsOutput },
      },
      config: { access: 'write', rl60 },
      handler: async (req) => {
        const { workspaceId, plan } = req.auth
        const permissions = await store.write(
          async (q) => {
            const user = await q.users.find(workspaceId, req.params.userId)
            if (!user) throw new NotFoundError(`User ${req.params.userId}`, 'userId')
            return operation(q, workspaceId, plan, { type: 'user', id: user.id, name: user.email }, req.body.permissions, actorOf(req))
          },
          { workspace: workspaceId },
        )
        return { data: { permissions: permissions.map(toAccessPermissionV1) } }
      },
    })
  }
}
