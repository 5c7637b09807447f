import type { GroupRow } from '../store/queries/groups.js'
import type { UserRow } from '../store/queries/members.js'
import type { PermissionRow } from '../store/queries/permissions.js'
import { roleName } from './rules/roles.js'

/** Row → wire shapes. Fields are spelled as Segment spells them. */

export function toPermissionV1(p: PermissionRow) {
  return { roleName: roleName(p.role_id), roleId: p.role_id, resources: p.resources }
}

export function toAccessPermissionV1(p: PermissionRow) {
  return { ...toPermissionV1(p), policyId: p.id, subjectId: p.subject_id, subjectType: p.subject_type }
}

export function toUserV1(user: UserRow, permissions: readonly PermissionRow[]) {
  return { id: user.id, name: user.name, email: user.email, permissions: permissions.map(toPermissionV1) }
}

export function toMinimalUserV1(user: UserRow) {
  return { id: user.id, name: user.name, email: user.email }
}

export function toUserGroupV1(group: GroupRow, permissions: readonly PermissionRow[]) {
  return { id: group.id, name: group.name, memberCount: group.member_count, permissions: permissions.map(toPermissionV1) }
}

/** Groups permissions by subject id, keeping grant order. */
export function bySubject(permissions: readonly PermissionRow[]): Map<string, PermissionRow[]> {
  const map = new Map<string, PermissionRow[]>()
  for (const p of permissions) {
    const list = map.get(p.subject_id)
    if (list) list.push(p)
    else map.set(p.subject_id, [p])
  }
  return map
}
