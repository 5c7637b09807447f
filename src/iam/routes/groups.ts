import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import type { FastifyRequest } from 'fastify'
import { PlanError } from '../../errors.js'
import type { GroupRow } from '../../store/queries/groups.js'
import type { Queries } from '../../store/queries/index.js'
import { PageQuery, paginate } from '../../wire/pagination.js'
import { actorOf } from '../actor.js'
import { createGroup, deleteGroup, findGroup, renameGroup } from '../operations/groups.js'
import { addPermissions, replacePermissions } from '../operations/permissions.js'
import { bySubject, toAccessPermissionV1, toMinimalUserV1, toUserGroupV1 } from '../present.js'
import { AccessPermissionV1, data, PermissionsBody, ReplacePermissionsBody, StatusOutput } from '../schemas/common.js'
import {
  GroupIdParams,
  GroupNameBody,
  ListInvitesFromUserGroupOutput,
  ListUserGroupsOutput,
  ListUsersFromUserGroupOutput,
  UserGroupOutput,
} from '../schemas/groups.js'
import type { IamDeps } from './deps.js'

const PermissionsOutput = data({ permissions: Type.Array(AccessPermissionV1) })

/** User groups exist on the business plan only; other plans get Segment's `bad-request`. */
export function requireGroupsPlan(req: FastifyRequest): void {
  if (req.auth.plan !== 'business') throw new PlanError('User Groups', req.auth.plan)
}

export async function present(q: Queries, group: GroupRow) {
  return { data: { userGroup: toUserGroupV1(group, await q.permissions.ofSubjects(group.workspace_id, 'group', [group.id])) } }
}

export const groupRoutes: FastifyPluginAsyncTypebox<IamDeps> = async (app, { store, cursors }) => {
  app.addHook('preHandler', async (req) => requireGroupsPlan(req))

  app.get(
    '/groups',
    { schema: { querystring: PageQuery, response: { 200: ListUserGroupsOutput } }, config: { access: 'read' } },
    async (req) => {
      const ws = req.auth.workspaceId
      return store.read(async (q) => {
        const page = await paginate(
          cursors,
          'groups',
          req.query.pagination,
          (seek) => q.groups.list(ws, seek),
          (g) => [g.id],
          () => q.groups.count(ws),
        )
        const permissions = bySubject(
          await q.permissions.ofSubjects(
            ws,
            'group',
            page.items.map((g) => g.id),
          ),
        )
        return { data: { userGroups: page.items.map((g) => toUserGroupV1(g, permissions.get(g.id) ?? [])), pagination: page.pagination } }
      })
    },
  )

  // Create answers 200, not 201: that is what Segment's spec declares for createUserGroup.
  app.post(
    '/groups',
    { schema: { body: GroupNameBody, response: { 200: UserGroupOutput } }, config: { access: 'write', rl60: 'createUserGroup' } },
    async (req) =>
      store.write(async (q) => present(q, await createGroup(q, req.auth.workspaceId, req.body.name, actorOf(req))), {
        workspace: req.auth.workspaceId,
      }),
  )

  app.get(
    '/groups/:userGroupId',
    { schema: { params: GroupIdParams, response: { 200: UserGroupOutput } }, config: { access: 'read' } },
    async (req) => store.read(async (q) => present(q, await findGroup(q, req.auth.workspaceId, req.params.userGroupId))),
  )

  app.patch(
    '/groups/:userGroupId',
    {
      schema: { params: GroupIdParams, body: GroupNameBody, response: { 200: UserGroupOutput } },
      config: { access: 'write', rl60: 'updateUserGroup' },
    },
    async (req) =>
      store.write(
        async (q) => present(q, await renameGroup(q, req.auth.workspaceId, req.params.userGroupId, req.body.name, actorOf(req))),
        { workspace: req.auth.workspaceId },
      ),
  )

  app.delete(
    '/groups/:userGroupId',
    { schema: { params: GroupIdParams, response: { 200: StatusOutput } }, config: { access: 'write', rl60: 'deleteUserGroup' } },
    async (req) => {
      await store.write((q) => deleteGroup(q, req.auth.workspaceId, req.params.userGroupId, actorOf(req)), {
        workspace: req.auth.workspaceId,
      })
      return { data: { status: 'SUCCESS' as const } }
    },
  )

  app.get(
    '/groups/:userGroupId/users',
    {
      schema: { params: GroupIdParams, querystring: PageQuery, response: { 200: ListUsersFromUserGroupOutput } },
      config: { access: 'read' },
    },
    async (req) =>
      store.read(async (q) => {
        const group = await findGroup(q, req.auth.workspaceId, req.params.userGroupId)
        const page = await paginate(
          cursors,
          `groups/${group.id}/users`,
          req.query.pagination,
          (seek) => q.groups.listMembers(group.workspace_id, group.id, seek),
          (u) => [u.id],
          () => q.groups.countMembers(group.workspace_id, group.id),
        )
        return { data: { users: page.items.map(toMinimalUserV1), pagination: page.pagination } }
      }),
  )

  app.get(
    '/groups/:userGroupId/invites',
    {
      schema: { params: GroupIdParams, querystring: PageQuery, response: { 200: ListInvitesFromUserGroupOutput } },
      config: { access: 'read' },
    },
    async (req) =>
      store.read(async (q) => {
        const group = await findGroup(q, req.auth.workspaceId, req.params.userGroupId)
        const page = await paginate(
          cursors,
          `groups/${group.id}/invites`,
          req.query.pagination,
          (seek) => q.groups.listInvites(group.workspace_id, group.id, seek),
          (i) => [i.id],
          () => q.groups.countInvites(group.workspace_id, group.id),
        )
        return { data: { emails: page.items.map((i) => i.email), pagination: page.pagination } }
      }),
  )

  for (const [method, rl60, operation] of [
    ['POST', 'addPermissionsToUserGroup', addPermissions],
    ['PUT', 'replacePermissionsForUserGroup', replacePermissions],
  ] as const) {
    app.route({
      method,
      url: '/groups/:userGroupId/permissions',
      schema: {
        params: GroupIdParams,
        body: method === 'POST' ? PermissionsBody : ReplacePermissionsBody,
        response: { 200: PermissionsOutput },
      },
      config: { access: 'write', rl60 },
      handler: async (req) => {
        const { workspaceId, plan } = req.auth
        const permissions = await store.write(
          async (q) => {
            const group = await findGroup(q, workspaceId, req.params.userGroupId)
            return operation(q, workspaceId, plan, { type: 'group', id: group.id, name: group.name }, req.body.permissions, actorOf(req))
          },
          { workspace: workspaceId },
        )
        return { data: { permissions: permissions.map(toAccessPermissionV1) } }
      },
    })
  }
}
