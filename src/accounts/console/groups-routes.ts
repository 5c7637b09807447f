import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { NotFoundError, PlanError } from '../../errors.js'
import { addEmailsToGroup, createGroup, deleteGroup, findGroup, removeEmailsFromGroup, renameGroup } from '../../iam/operations/groups.js'
import { replacePermissions } from '../../iam/operations/permissions.js'
import { toMinimalUserV1, toPermissionV1 } from '../../iam/present.js'
import { ReplacePermissionsBody, StatusOutput } from '../../iam/schemas/common.js'
import { GroupNameBody } from '../../iam/schemas/groups.js'
import type { GroupRow } from '../../store/queries/groups.js'
import type { Queries } from '../../store/queries/index.js'
import type { PermissionRow } from '../../store/queries/permissions.js'
import { paginate, seekOf } from '../../wire/pagination.js'
import type { ConsoleDeps } from '../routes.js'
import { DEFAULT_MEMBERS_PAGE, SIGNED_IN_ROUTE, WorkspaceParams } from '../schemas.js'
import type { SignedIn } from '../sessions.js'
import { ownerAccessTo, personActor, type WorkspaceAccess } from '../workspaces.js'
import {
  GroupDetailOutput,
  GroupDetailQuery,
  GroupEmailsBody,
  GroupInviteParams,
  GroupMemberParams,
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

export const toGroupSummary = (g: GroupRow) => ({ id: g.id, name: g.name, memberCount: g.member_count, inviteCount: g.invite_count })

function presentPermissions(permissions: readonly PermissionRow[]) {
  return { permissions: permissions.map(toPermissionV1), preview: permissions.map((p) => describeGrant(p)) }
}

/** The console's User Groups (Access Management → User Groups), for Workspace Owners, on the IAM operations. */
export const groupsRoutes: FastifyPluginAsyncTypebox<ConsoleDeps> = async (app, { accounts, cursors }) => {
  const { store } = accounts
  const route = { ...SIGNED_IN_ROUTE }

  /** One change to a group, in one transaction of the workspace, by the signed-in owner. */
  const change = <T>(workspaceId: string, who: SignedIn, work: (q: Queries, access: WorkspaceAccess) => Promise<T>) =>
    store.write(async (q) => work(q, await groupsAccess(q, workspaceId, who)), { workspace: workspaceId })

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
          (position, limit) => q.groupSearch.list(workspace.id, search, seekOf(position, limit)),
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
          (position, limit) => q.groups.listMembers(group.id, seekOf(position, limit)),
          (u) => [u.id],
          () => q.groups.countMembers(group.id),
        )
        const invites = await paginate(
          cursors,
          `console/groups/${group.id}/invites`,
          page(req.query.invitesCursor),
          (position, limit) => q.groups.listInvites(group.id, seekOf(position, limit)),
          (i) => [i.id],
          () => q.groups.countInvites(group.id),
        )
        return {
          data: {
            group: toGroupSummary(group),
            ...presentPermissions(await q.permissions.ofSubjects('group', [group.id])),
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
