/**
 * The unified directory models (Truto's vocabulary: snake_case, `remote_id`, `remote_data`), as the
 * directory API answers them and as change events carry them.
 */

export interface UnifiedWorkspaceRef {
  id: string
  slug: string
  name: string
}

export interface UnifiedResource {
  id: string
  type: string
  labels?: { key: string; value: string }[]
}

/** A role a user holds: granted to the user (`via: 'direct'`) or through a group (`via: 'group'`). */
export interface UnifiedUserRole {
  id: string
  name: string
  resources: UnifiedResource[]
  via: 'direct' | 'group'
  group?: { id: string; remote_id: string; name: string }
}

export interface UnifiedUser {
  id: string
  connection_id: string
  remote_id: string | null
  email: string
  name: string | null
  status: 'active' | 'invited' | 'deleted'
  roles: UnifiedUserRole[]
  groups: { id: string; remote_id: string; name: string }[]
  workspace: UnifiedWorkspaceRef
  license_type: 'Segment'
  first_seen_at: string
  last_seen_at: string
  last_changed_at: string
  deleted_at: string | null
  remote_data: { user?: unknown; invite?: string }
}

export interface UnifiedGroup {
  id: string
  connection_id: string
  remote_id: string
  name: string
  member_count: number
  group_type: 'group'
  roles: Omit<UnifiedUserRole, 'via' | 'group'>[]
  workspace: UnifiedWorkspaceRef
  first_seen_at: string
  last_seen_at: string
  deleted_at: string | null
  remote_data: unknown
}

export interface UnifiedRole {
  id: string
  connection_id: string
  remote_id: string
  name: string
  description: string
  applicable_in: 'workspace'
  workspace: UnifiedWorkspaceRef
  deleted_at: string | null
}

export interface UnifiedWorkspace {
  id: string
  connection_id: string
  slug: string
  name: string
  status: 'active' | 'inactive'
  groups_supported: boolean
}

/** One person (normalised email) and every workspace account they hold. */
export interface Person {
  email: string
  name: string | null
  accounts: Pick<UnifiedUser, 'id' | 'connection_id' | 'remote_id' | 'status' | 'roles' | 'groups' | 'workspace'>[]
}

export type DirectoryEventType =
  | 'user.created'
  | 'user.updated'
  | 'user.deleted'
  | 'user.reactivated'
  | 'group.created'
  | 'group.updated'
  | 'group.deleted'
  | 'membership.added'
  | 'membership.removed'
