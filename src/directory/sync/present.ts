import type { ConnectionRow } from '../../store/queries/connections.js'
import type { DirGroupRow } from '../../store/queries/dir-groups.js'
import type { DirUserRow } from '../../store/queries/dir-users.js'
import type { GroupRole, UnifiedGroup, UnifiedUser, UnifiedUserRole, UnifiedWorkspaceRef } from '../schemas/unified.js'

/*
 * Rows → the unified objects that change events carry. Events snapshot the object as the change left it:
 * `groups` and the group-granted roles come from the memberships at that moment. The read API presents
 * live rows the same way, except that it reports `last_seen_at` as the connection's last complete sync.
 */

export function workspaceRef(
  connection: Pick<ConnectionRow, 'remote_workspace_id' | 'remote_workspace_slug' | 'remote_workspace_name'>,
): UnifiedWorkspaceRef {
  return { id: connection.remote_workspace_id, slug: connection.remote_workspace_slug, name: connection.remote_workspace_name }
}

export function parseJson<T>(text: string | null, fallback: T): T {
  if (text === null || text === '') return fallback
  try {
    return JSON.parse(text) as T
  } catch {
    return fallback
  }
}

/** A user as of now: its direct roles plus those of the groups it is in (`via: 'group'`). */
export function presentUser(row: DirUserRow, workspace: UnifiedWorkspaceRef, groups: readonly DirGroupRow[]): UnifiedUser {
  const direct = parseJson<UnifiedUserRole[]>(row.roles, [])
  const viaGroups: UnifiedUserRole[] = groups.flatMap((g) =>
    parseJson<GroupRole[]>(g.roles, []).map((r) => ({
      ...r,
      via: 'group' as const,
      group: { id: g.id, remote_id: g.remote_id, name: g.name },
    })),
  )
  return {
    id: row.id,
    connection_id: row.connection_id,
    remote_id: row.remote_id,
    email: row.email,
    name: row.name,
    status: row.status,
    roles: [...direct, ...viaGroups],
    groups: groups.map((g) => ({ id: g.id, remote_id: g.remote_id, name: g.name })),
    workspace,
    license_type: 'Segment',
    first_seen_at: row.first_seen_at,
    last_seen_at: row.last_seen_at,
    last_changed_at: row.last_changed_at,
    deleted_at: row.deleted_at,
    remote_data: parseJson(row.remote_data, {}),
  }
}

export function presentGroup(row: DirGroupRow, workspace: UnifiedWorkspaceRef): UnifiedGroup {
  return {
    id: row.id,
    connection_id: row.connection_id,
    remote_id: row.remote_id,
    name: row.name,
    member_count: row.member_count,
    group_type: 'group',
    roles: parseJson<GroupRole[]>(row.roles, []),
    workspace,
    first_seen_at: row.first_seen_at,
    last_seen_at: row.last_seen_at,
    deleted_at: row.deleted_at,
    remote_data: parseJson(row.remote_data, null),
  }
}

/** A membership event's payload: which account is in which group, as a member or as an invite. */
export function presentMembership(group: DirGroupRow, user: DirUserRow, workspace: UnifiedWorkspaceRef, createdAt: string) {
  return {
    connection_id: group.connection_id,
    group: { id: group.id, remote_id: group.remote_id, name: group.name },
    user: { id: user.id, remote_id: user.remote_id, email: user.email, status: user.status },
    member_kind: user.status === 'invited' ? ('invite' as const) : ('user' as const),
    workspace,
    created_at: createdAt,
  }
}
