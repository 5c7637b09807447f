import { NotAllowedError, NotFoundError, ValidationError } from '../errors.js'
import type { Actor } from '../iam/audit.js'
import { bySubject, toPermissionV1 } from '../iam/present.js'
import { findRole, WORKSPACE_OWNER_ROLE_ID } from '../iam/rules/roles.js'
import type { Queries } from '../store/queries/index.js'
import type { UserFilter, UserRow } from '../store/queries/members.js'
import type { PermissionRow } from '../store/queries/permissions.js'
import type { WorkspaceRow } from '../store/queries/workspaces.js'
import type { CursorCodec } from '../wire/cursor.js'
import { paginate } from '../wire/pagination.js'
import { checkWorkspaceMfa } from './mfa.js'
import { DEFAULT_MEMBERS_PAGE } from './schemas.js'
import type { SignedIn } from './sessions.js'

/** What the signed-in person may do in one workspace, as their user row there says. */
export interface WorkspaceAccess {
  workspace: WorkspaceRow
  /** Their user in the workspace; none for an instance admin who is not a member. */
  user: UserRow | undefined
  /** Workspace Owner (directly or through a group), or an instance admin. */
  owner: boolean
  /** Their own permissions (not their groups'). */
  permissions: PermissionRow[]
  groups: { id: string; name: string }[]
  /** What their groups grant them (subject_id names the group). */
  groupPermissions: PermissionRow[]
}

/**
 * The person's access to the workspace. A workspace that does not exist and one they are not a member of get
 * the same 404, so the console never tells which other workspaces exist; instance admins may open any.
 */
export async function accessTo(
  q: Queries,
  workspaceId: string,
  who: Pick<SignedIn, 'emailKey' | 'instanceAdmin' | 'accountId' | 'mfaAt'>,
): Promise<WorkspaceAccess> {
  const workspace = await q.workspaces.find(workspaceId)
  const [user] = workspace ? await q.users.findByEmailKeys(workspace.id, [who.emailKey]) : []
  if (!workspace || (!user && !who.instanceAdmin)) throw new NotFoundError(`Workspace ${workspaceId}`, 'workspaceId')
  // Require MFA is met here, where every workspace page of the console enters: this workspace closes, others stay open.
  await checkWorkspaceMfa(q, workspace.id, who)
  if (!user) return { workspace, user, owner: true, permissions: [], groups: [], groupPermissions: [] }
  const permissions = await q.permissions.ofSubjects(workspace.id, 'user', [user.id])
  const groups = (await q.groups.groupsOfUsers(workspace.id, [user.id])).map(({ id, name }) => ({ id, name }))
  const fromGroups = await q.permissions.ofSubjects(
    workspace.id,
    'group',
    groups.map((g) => g.id),
  )
  const ownsIt = [...permissions, ...fromGroups].some((p) => p.role_id === WORKSPACE_OWNER_ROLE_ID)
  return { workspace, user, owner: who.instanceAdmin || ownsIt, permissions, groups, groupPermissions: fromGroups }
}

/** The access of a Workspace Owner (or instance admin); 403 for other members, 404 for everyone else. */
export async function ownerAccessTo(
  q: Queries,
  workspaceId: string,
  who: Pick<SignedIn, 'emailKey' | 'instanceAdmin' | 'accountId' | 'mfaAt'>,
) {
  const access = await accessTo(q, workspaceId, who)
  if (!access.owner) throw new NotAllowedError("Forbidden: only the workspace's owners may manage its members")
  return access
}

/**
 * The audit actor of a change made in the console: the person's user in the workspace (as Segment's trail names
 * people), or their account for an instance admin who is not a member; always with their email.
 */
export function personActor(access: WorkspaceAccess, who: Pick<SignedIn, 'accountId' | 'email'>): Actor {
  return { id: access.user?.id ?? who.accountId, email: who.email }
}

export function presentAccess(access: WorkspaceAccess) {
  const { id, slug, name, plan } = access.workspace
  return {
    workspace: { id, slug, name, plan },
    owner: access.owner,
    permissions: access.permissions.map(toPermissionV1),
    groups: access.groups,
    groupPermissions: access.groupPermissions.map((p) => ({
      ...toPermissionV1(p),
      group: access.groups.find((g) => g.id === p.subject_id) ?? { id: p.subject_id, name: p.subject_id },
    })),
  }
}

export interface MembersQuery {
  search?: string | undefined
  roleId?: string | undefined
  count?: number | undefined
  cursor?: string | undefined
}

/** One page of the workspace's members with their own permissions and groups; keyset pages, filters and all. */
export async function membersPage(q: Queries, cursors: CursorCodec, workspaceId: string, query: MembersQuery) {
  const filter = filterOf(query)
  const page = await paginate(
    cursors,
    // The filter is part of the list's name: a cursor works only with the search it was issued for.
    `console/workspaces/${workspaceId}/users|${filter.roleId ?? ''}|${filter.search ?? ''}`,
    { count: query.count ?? DEFAULT_MEMBERS_PAGE, ...(query.cursor === undefined ? {} : { cursor: query.cursor }) },
    (seek) => q.users.listFiltered(workspaceId, filter, seek),
    (user) => [user.id],
    () => q.users.countFiltered(workspaceId, filter),
  )
  const ids = page.items.map((u) => u.id)
  const permissions = bySubject(await q.permissions.ofSubjects(workspaceId, 'user', ids))
  const groups = groupsByUser(await q.groups.groupsOfUsers(workspaceId, ids))
  return {
    users: page.items.map((u) => ({
      id: u.id,
      email: u.email,
      name: u.name,
      permissions: (permissions.get(u.id) ?? []).map(toPermissionV1),
      groups: groups.get(u.id) ?? [],
    })),
    pagination: page.pagination,
  }
}

/** Blank filters are no filters (a cleared search box sends `search=`); an unknown role is a 422. */
export function filterOf(query: MembersQuery): UserFilter {
  const search = query.search?.trim() || undefined
  const roleId = query.roleId?.trim() || undefined
  if (roleId !== undefined && findRole(roleId) === undefined) throw new ValidationError(`roleId: unknown role id ${roleId}`, 'roleId')
  return { search, roleId }
}

function groupsByUser(rows: readonly { user_id: string; id: string; name: string }[]): Map<string, { id: string; name: string }[]> {
  const map = new Map<string, { id: string; name: string }[]>()
  for (const { user_id, id, name } of rows) {
    const list = map.get(user_id)
    if (list) list.push({ id, name })
    else map.set(user_id, [{ id, name }])
  }
  return map
}
