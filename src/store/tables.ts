import type { ColumnType, Generated } from 'kysely'

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
  dir_api_keys: DirApiKeyTable
  dir_connections: DirConnectionTable
  dir_users: DirUserTable
  dir_groups: DirGroupTable
  dir_memberships: DirMembershipTable
  dir_roles: DirRoleTable
  dir_sync_runs: DirSyncRunTable
  dir_events: DirEventTable
  dir_idempotency: DirIdempotencyTable
  accounts: AccountTable
  account_sessions: AccountSessionTable
  account_links: AccountLinkTable
  account_events: AccountEventTable
  outbox: OutboxTable
  invite_links: InviteLinkTable
  account_codes: AccountCodeTable
  account_recovery_codes: AccountRecoveryCodeTable
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
  user_count: Generated<number>
  invite_count: Generated<number>
  group_count: Generated<number>
  /** JSON array of email addresses. */
  billing_contacts: Generated<string>
  /** JSON array of email addresses. */
  incident_contacts: Generated<string>
  /** 1: a session must have passed MFA to enter the workspace in the console. */
  require_mfa: Generated<number>
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
  /** The email of the person who made it in the console; null for the admin key, the CLI and the demo. */
  created_by: ColumnType<string | null, string | null | undefined, string | null>
  /** Written at most about once a minute. */
  last_used_at: ColumnType<string | null, string | null | undefined, string | null>
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
  /** Members (users), never pending invites. */
  member_count: Generated<number>
  invite_count: Generated<number>
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

// --- directory ---

export interface DirApiKeyTable {
  id: string
  description: string
  secret_hash: string
  created_at: string
  revoked_at: string | null
}

export type ConnectionStatus = 'active' | 'needs_reauth' | 'error'

export interface DirConnectionTable {
  id: string
  name: string
  base_url: string
  /** AES-256-GCM sealed remote token (see auth/credentials.ts). */
  token_ciphertext: string
  remote_workspace_id: string
  remote_workspace_slug: string
  remote_workspace_name: string
  status: ConnectionStatus
  status_detail: string | null
  /** 0 once the remote answered group calls with its plan error. */
  groups_supported: Generated<number>
  created_at: string
  updated_at: string
  last_sync_run_id: string | null
  last_complete_sync_at: string | null
  next_sync_at: string | null
  /** The remote's newest audit event (`timestamp|id`) when the last complete full read began. */
  audit_watermark: ColumnType<string | null, string | null | undefined, string | null>
  last_full_sync_at: ColumnType<string | null, string | null | undefined, string | null>
}

export type DirUserStatus = 'active' | 'invited' | 'deleted'

export interface DirUserTable {
  id: string
  connection_id: string
  /** Null for a pending invite: Segment gives invites no id. */
  remote_id: string | null
  email: string
  email_key: string
  name: string | null
  status: DirUserStatus
  /** JSON `[{id, name, resources, via}]`. */
  roles: string
  /** JSON of the raw remote objects `{user?, invite?}`. */
  remote_data: string
  fingerprint: string
  first_seen_at: string
  last_seen_at: string
  last_changed_at: string
  deleted_at: string | null
}

export interface DirGroupTable {
  id: string
  connection_id: string
  remote_id: string
  name: string
  member_count: number
  /** JSON of the roles the group grants `[{id, name, resources}]`. */
  roles: string
  remote_data: string
  fingerprint: string
  first_seen_at: string
  last_seen_at: string
  deleted_at: string | null
}

export interface DirMembershipTable {
  group_id: string
  user_id: string
  connection_id: string
  created_at: string
}

export interface DirRoleTable {
  id: string
  connection_id: string
  remote_id: string
  name: string
  description: string
  remote_data: string
  fingerprint: string
  first_seen_at: string
  last_seen_at: string
  deleted_at: string | null
}

export type SyncRunState = 'running' | 'succeeded' | 'failed' | 'held'

export interface DirSyncRunTable {
  id: string
  connection_id: string
  state: SyncRunState
  trigger: string
  complete: Generated<number>
  /** JSON SyncStats. */
  stats: string
  /** JSON array of directory user ids held by the drift guard. */
  pending_deletions: string | null
  error: string | null
  /** Which process runs it, and when it last said so: a run whose owner went silent is failed by the next. */
  owner: string | null
  heartbeat_at: string | null
  started_at: string
  finished_at: string | null
}

export interface DirEventTable {
  seq: Generated<number>
  id: string
  type: string
  connection_id: string
  subject_id: string
  sync_run_id: string | null
  /** JSON payload: the object after the change (and before, for updates). */
  data: string
  created_at: string
}

export interface DirIdempotencyTable {
  key: string
  api_key_id: string
  request_hash: string
  status: number
  response: string
  created_at: string
  /** While in flight: which process runs the action, and when it last said so (null on claims from before 0007). */
  owner: string | null
  heartbeat_at: string | null
}

/** A person: one per normalised email, linked to that email's user rows in every workspace by `email_key`. */
export interface AccountTable {
  id: string
  email: string
  email_key: string
  name: string
  password_hash: string | null
  password_changed_at: string | null
  /** 1: runs this server (manages every workspace as an owner would, reads the outbox). */
  instance_admin: Generated<number>
  created_at: string
  updated_at: string
  /** AES-256-GCM sealed TOTP secret (pending until `totp_enabled_at`). */
  totp_secret_sealed: ColumnType<string | null, string | null | undefined, string | null>
  totp_enabled_at: ColumnType<string | null, string | null | undefined, string | null>
  /** The last TOTP time step accepted: a code is good once. */
  totp_last_step: ColumnType<number | null, number | null | undefined, number | null>
}

export interface AccountSessionTable {
  id: string
  secret_hash: string
  account_id: string
  created_at: string
  last_seen_at: string
  /** Absolute end; the idle end is `last_seen_at` plus the idle timeout. */
  expires_at: string
  revoked_at: string | null
  ip: string | null
  user_agent: string | null
  /** When the session passed MFA; null: password only (Require MFA workspaces ask for more). */
  mfa_at: ColumnType<string | null, string | null | undefined, string | null>
}

export type LinkPurpose = 'set_password' | 'reset_password' | 'sign_in'

/** A single-use link sent by email; only the hash of its secret is kept. */
export interface AccountLinkTable {
  id: string
  secret_hash: string
  account_id: string
  purpose: LinkPurpose
  created_at: string
  expires_at: string
  used_at: string | null
}

/** The per-account security log: sign-ins, failures, password and session changes. */
export interface AccountEventTable {
  id: string
  account_id: string
  type: string
  ip: string | null
  user_agent: string | null
  /** JSON object, or null. */
  detail: string | null
  created_at: string
}

export type OutboxStatus = 'pending' | 'sending' | 'sent' | 'failed'

export interface OutboxTable {
  id: string
  to_address: string
  /** What the message is about (`password_reset`, `invitation`, …): what the log line names. */
  kind: string
  subject: string
  body_sealed: string
  status: OutboxStatus
  attempts: Generated<number>
  next_attempt_at: string
  last_error: string | null
  /** The process sending it, and when it last said so (a claim by a dead process is taken over). */
  owner: string | null
  heartbeat_at: string | null
  created_at: string
  sent_at: string | null
}

/** A single-use invitation link: the invitee may have no account yet. The invite may be gone (accepted, revoked). */
export interface InviteLinkTable {
  id: string
  secret_hash: string
  workspace_id: string
  invite_id: string
  email_key: string
  created_at: string
  expires_at: string
  used_at: string | null
}

export type CodePurpose = 'create_token'

/** A short emailed code (token creation's security code), HMAC'd with the server secret, a few attempts at most. */
export interface AccountCodeTable {
  id: string
  account_id: string
  workspace_id: string
  purpose: CodePurpose
  code_hash: string
  attempts: Generated<number>
  created_at: string
  expires_at: string
  used_at: string | null
}

/** One of an account's single-use MFA recovery codes (hashed). */
export interface AccountRecoveryCodeTable {
  id: string
  account_id: string
  code_hash: string
  created_at: string
  used_at: string | null
}
