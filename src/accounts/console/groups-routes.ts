import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { PlanError } from '../../errors.js'
import { createGroup, deleteGroup, findGroup, renameGroup } from '../../iam/operations/groups.js'
import { replacePermissions } from '../../iam/operations/permissions.js'
import { toMinimalUserV1, toPermissionV1 } from '../../iam/present.js'
import { ReplacePermissionsBody, StatusOutput } from '../../iam/schemas/common.js'
import { GroupNameBody } from '../../iam/schemas/groups.js'
import type { GroupRow } from '../../store/queries/groups.js'
import type { Queries } from '../../store/queries/index.js'
import type { PermissionRow } from '../../store/queries/permissions.js'
import type { Store } from '../../store/store.js'
import { paginate } from '../../wire/pagination.js'
import type { ConsoleDeps } from '../routes.js'
import { DEFAULT_MEMBERS_PAGE, SIGNED_IN_ROUTE, WorkspaceParams } from '../schemas.js'
import type { SignedIn } from '../sessions.js'
import { ownerAccessTo, personActor, type WorkspaceAccess } from '../workspaces.js'
import {
  GroupDetailOutput,
  GroupDetailQuery,
  GroupOutput,
  GroupParams,
  GroupPermissionsOutput,
  GroupsOutput,
  GroupsQuery,
} from './access-schemas.js'
import { describeGrant } from './access-words.js'

/** An owner's access to a workspace whose plan has User Groups (Business), as the Public API requires. */
async function groupsAccess(q: Queries, workspaceId: string, who: SignedIn): Promise<WorkspaceAccess> {
  const access = await ownerAccessTo(q, workspaceId, who)
  if (access.workspace.plan !== 'business') throw new PlanError('User Groups', access.workspace.plan)
  return access
}

/** One change to a group, in one transaction of the workspace, by the signed-in owner. */
export const groupChange =
  (store: Store) =>
  <T>(workspaceId: string, who: SignedIn, work: (q: Queries, access: WorkspaceAccess) => Promise<T>) =>
    store.write(async (q) => work(q, await groupsAccess(q, workspaceId, who)), { workspace: workspaceId })

export const toGroupSummary = (g: GroupRow) => ({ id: g.id, name: g.name, memberCount: g.member_count, inviteCount: g.invite_count })

function presentPermissions(permissions: readonly PermissionRow[]) {
  return { permissions: permissions.map(toPermissionV1), preview: permissions.map((p) => describeGrant(p)) }
}

/** The console's User Groups (Access Management → User Groups), for Workspace Owners, on the IAM operations. */
export const groupsRoutes: FastifyPluginAsyncTypebox<ConsoleDeps> = async (app, { accounts, cursors }) => {
  const { store } = accounts
  const route = { ...SIGNED_IN_ROUTE }

  const change = groupChange(store)

  const listDoc =
    "The workspace's user groups with their member and pending-invite counts (Business plan; others get the Public API's plan error). `search` matches a part of the name in any case. Keyset pages of `count` (1-200, default 50) in creation order; `cursor` is a page's `pagination.next` or `previous`."
  app.get(
    '/workspaces/:workspaceId/groups',
    { schema: { ...route, description: listDoc, params: WorkspaceParams, querystring: GroupsQuery, response: { 200: GroupsOutput } } },
    async (req) =>
      store.read(async (q) => {
        const { workspace } = await groupsAccess(q, req.params.workspaceId, req.signedIn)
        const search = req.query.search?.trim() || undefined
        const page = await paginate(
          cursors,
          // The search is part of the list's name: a cursor works only with the search it was issued for.
          `console/workspaces/${workspace.id}/groups|${search ?? ''}`,
          { count: req.query.count ?? DEFAULT_MEMBERS_PAGE, ...(req.query.cursor === undefined ? {} : { cursor: req.query.cursor }) },
          (seek) => q.groupSearch.list(workspace.id, search, seek),
          (g) => [g.id],
          () => q.groupSearch.count(workspace.id, search),
        )
        return { data: { groups: page.items.map(toGroupSummary), pagination: page.pagination } }
      }),
  )

  app.post(
    '/workspaces/:workspaceId/groups',
    {
      schema: {
        ...route,
        description: 'Creates a user group with no members and no permissions. 409 when the workspace has a group of that name (any case).',
        params: WorkspaceParams,
        body: GroupNameBody,
        response: { 200: GroupOutput },
      },
    },
    async (req) =>
      change(req.params.workspaceId, req.signedIn, async (q, access) => ({
        data: { group: toGroupSummary(await createGroup(q, access.workspace.id, req.body.name, personActor(access, req.signedIn))) },
      })),
  )

  const detailDoc =
    "A group with its permissions, a preview of the access they grant in words, and keyset pages of its members and pending invites (`count` each; `membersCursor` and `invitesCursor` page them apart). 404 for another workspace's group."
  app.get(
    '/workspaces/:workspaceId/groups/:userGroupId',
    {
      schema: {
        ...route,
        description: detailDoc,
        params: GroupParams,
        querystring: GroupDetailQuery,
        response: { 200: GroupDetailOutput },
      },
    },
    async (req) =>
      store.read(async (q) => {
        const { workspace } = await groupsAccess(q, req.params.workspaceId, req.signedIn)
        const group = await findGroup(q, workspace.id, req.params.userGroupId)
        const count = req.query.count ?? DEFAULT_MEMBERS_PAGE
        const page = (cursor: string | undefined) => ({ count, ...(cursor === undefined ? {} : { cursor }) })
        const members = await paginate(
          cursors,
          `console/groups/${group.id}/members`,
          page(req.query.membersCursor),
          (seek) => q.groups.listMembers(workspace.id, group.id, seek),
          (u) => [u.id],
          () => q.groups.countMembers(workspace.id, group.id),
        )
        const invites = await paginate(
          cursors,
          `console/groups/${group.id}/invites`,
          page(req.query.invitesCursor),
          (seek) => q.groups.listInvites(workspace.id, group.id, seek),
          (i) => [i.id],
          () => q.groups.countInvites(workspace.id, group.id),
        )
        return {
          data: {
            group: toGroupSummary(group),
            ...presentPermissions(await q.permissions.ofSubjects(workspace.id, 'group', [group.id])),
            members: { users: members.items.map(toMinimalUserV1), pagination: members.pagination },
            invites: {
              invites: invites.items.map((i) => ({ id: i.id, email: i.email, createdAt: i.created_at })),
              pagination: invites.pagination,
            },
          },
        }
      }),
  )

  app.patch(
    '/workspaces/:workspaceId/groups/:userGroupId',
    {
      schema: {
        ...route,
        description: 'Renames a group. 409 when another group has that name (any case).',
        params: GroupParams,
        body: GroupNameBody,
        response: { 200: GroupOutput },
      },
    },
    async (req) =>
      change(req.params.workspaceId, req.signedIn, async (q, access) => ({
        data: {
          group: toGroupSummary(
            await renameGroup(q, access.workspace.id, req.params.userGroupId, req.body.name, personActor(access, req.signedIn)),
          ),
        },
      })),
  )

  app.delete(
    '/workspaces/:workspaceId/groups/:userGroupId',
    {
      schema: {
        ...route,
        description: 'Deletes a group and its permissions; its members stay in the workspace, its pending invites stay pending.',
        params: GroupParams,
        response: { 200: StatusOutput },
      },
    },
    async (req) => {
      await change(req.params.workspaceId, req.signedIn, (q, access) =>
        deleteGroup(q, access.workspace.id, req.params.userGroupId, personActor(access, req.signedIn)),
      )
      return { data: { status: 'SUCCESS' as const } }
    },
  )

  app.put(
    '/workspaces/:workspaceId/groups/:userGroupId/permissions',
    {
      schema: {
        ...route,
        description:
          "Replaces the group's permissions (an empty list removes them all), checked as the Public API checks them: known roles, the plan's roles, resource types, existing labels.",
        params: GroupParams,
        body: ReplacePermissionsBody,
        response: { 200: GroupPermissionsOutput },
      },
    },
    async (req) =>
      change(req.params.workspaceId, req.signedIn, async (q, access) => {
        const { workspace } = access
        const group = await findGroup(q, workspace.id, req.params.userGroupId)
        const subject = { type: 'group' as const, id: group.id, name: group.name }
        const actor = personActor(access, req.signedIn)
        return { data: presentPermissions(await replacePermissions(q, workspace.id, workspace.plan, subject, req.body.permissions, actor)) }
      }),
  )
}
