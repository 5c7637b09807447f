/** Kysely table types. Columns are snake_case; `store/queries` maps rows to wire shapes. */
export interface Database {
  meta: MetaTable
  workspaces: WorkspaceTable
  api_tokens: ApiTokenTable
  users: UserTable
  invites: InviteTable
  user_groups: UserGroupTable
  group_members: GroupMemberTable
  group_invites: GroupInviteTable
  permissions: PermissionTable
  permission_labels: PermissionLabelTable
  labels: LabelTable
  audit_events: AuditEventTable
}

export interface MetaTable {
  key: string
  value: string
}

export type Plan = 'business' | 'team' | 'free'

export interface WorkspaceTable {
  id: string
  slug: string
  name: string
  plan: Plan
  created_at: string
}

export type TokenRole = 'OWNER' | 'MEMBER'

export interface ApiTokenTable {
  id: string
  workspace_id: string
  description: string
  role: TokenRole
  secret_hash: string
  created_at: string
  revoked_at: string | null
}

export interface UserTable {
  id: string
  workspace_id: string
  email: string
  /** Lower-cased email: emails match case-insensitively, the original spelling is kept. */
  email_key: string
  name: string
  created_at: string
}

export interface InviteTable {
  id: string
  workspace_id: string
  email: string
  email_key: string
  created_at: string
}

export interface UserGroupTable {
  id: string
  workspace_id: string
  name: string
  name_key: string
  created_at: string
}

export interface GroupMemberTable {
  group_id: string
  user_id: string
  workspace_id: string
  created_at: string
}

export interface GroupInviteTable {
  group_id: string
  invite_id: string
  workspace_id: string
  created_at: string
}

export type SubjectType = 'user' | 'group' | 'invite'

export interface PermissionTable {
  id: string
  workspace_id: string
  subject_type: SubjectType
  subject_id: string
  role_id: string
  /** JSON array of `{id, type, labels?}`. */
  resources: string
  created_at: string
}

/** One row per label a permission uses, so "is this label in use" is an index lookup. */
export interface PermissionLabelTable {
  permission_id: string
  workspace_id: string
  label_key: string
  label_value: string
}

export interface LabelTable {
  workspace_id: string
  key: string
  value: string
  description: string | null
  created_at: string
}

export interface AuditEventTable {
  id: string
  workspace_id: string
  timestamp: string
  type: string
  actor: string
  actor_email: string | null
  resource_id: string
  resource_type: string
  resource_name: string
}
