import { type Static, type TProperties, type TSchema, Type } from '@sinclair/typebox'

/*
 * The unified directory models (Truto's vocabulary: snake_case, `remote_id`, `remote_data`), as the directory
 * API answers them and as change events carry them. These schemas are their only declaration: the types
 * below are derived from them, they validate queries, document the API in /openapi.json and compile the
 * response serializers, which drop any field not declared here.
 */

export const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()])

export const DirId = Type.String({ minLength: 1, maxLength: 255 })
export const IdParams = Type.Object({ id: DirId })

export const Limit = Type.Integer({ minimum: 1, maximum: 1000, default: 100, description: 'page size, 1–1000 (default 100)' })
export const Cursor = Type.String({ minLength: 1, maxLength: 2048, description: 'the next_cursor of the previous page' })

/** `{result, next_cursor}`: next_cursor is null on the last page. */
export const listOf = <T extends TSchema>(item: T) => Type.Object({ result: Type.Array(item), next_cursor: Nullable(Type.String()) })

export const UserStatus = Type.Union([Type.Literal('active'), Type.Literal('invited'), Type.Literal('deleted')])

export const WorkspaceRef = Type.Object({ id: Type.String(), slug: Type.String(), name: Type.String() })
export type UnifiedWorkspaceRef = Static<typeof WorkspaceRef>

export const GroupRef = Type.Object({ id: Type.String(), remote_id: Type.String(), name: Type.String() })

/** What a role is granted on, as the remote's `PermissionV1.resources` spell it. */
export const UnifiedResourceSchema = Type.Object({
  id: Type.String(),
  type: Type.String(),
  labels: Type.Optional(Type.Array(Type.Object({ key: Type.String(), value: Type.String(), description: Type.Optional(Type.String()) }))),
})
export type UnifiedResource = Static<typeof UnifiedResourceSchema>

/** A role a group grants. `id` is the Segment role id. */
export const GroupRoleSchema = Type.Object({ id: Type.String(), name: Type.String(), resources: Type.Array(UnifiedResourceSchema) })
export type GroupRole = Static<typeof GroupRoleSchema>

/** A role held: `via: 'direct'`, or `via: 'group'` with the group that grants it. `id` is the Segment role id. */
export const UserRoleSchema = Type.Object({
  ...GroupRoleSchema.properties,
  via: Type.Union([Type.Literal('direct'), Type.Literal('group')]),
  group: Type.Optional(GroupRef),
})
export type UnifiedUserRole = Static<typeof UserRoleSchema>

export const UnifiedUserSchema = Type.Object({
  id: Type.String(),
  connection_id: Type.String(),
  remote_id: Nullable(Type.String()),
  email: Type.String(),
  name: Nullable(Type.String()),
  status: UserStatus,
  roles: Type.Array(UserRoleSchema),
  groups: Type.Array(GroupRef),
  workspace: WorkspaceRef,
  license_type: Type.Literal('Segment'),
  first_seen_at: Type.String(),
  last_seen_at: Type.String(),
  last_changed_at: Type.String(),
  deleted_at: Nullable(Type.String()),
  remote_data: Type.Object({ user: Type.Optional(Type.Unknown()), invite: Type.Optional(Type.String()) }),
})
export type UnifiedUser = Static<typeof UnifiedUserSchema>

export const UnifiedGroupSchema = Type.Object({
  id: Type.String(),
  connection_id: Type.String(),
  remote_id: Type.String(),
  name: Type.String(),
  member_count: Type.Integer(),
  group_type: Type.Literal('group'),
  roles: Type.Array(GroupRoleSchema),
  workspace: WorkspaceRef,
  first_seen_at: Type.String(),
  last_seen_at: Type.String(),
  deleted_at: Nullable(Type.String()),
  remote_data: Type.Unknown(),
})
export type UnifiedGroup = Static<typeof UnifiedGroupSchema>

export const UnifiedRoleSchema = Type.Object({
  id: Type.String(),
  connection_id: Type.String(),
  remote_id: Type.String(),
  name: Type.String(),
  description: Type.String(),
  applicable_in: Type.Literal('workspace'),
  workspace: WorkspaceRef,
  deleted_at: Nullable(Type.String()),
})
export type UnifiedRole = Static<typeof UnifiedRoleSchema>

export const UnifiedWorkspaceSchema = Type.Object({
  id: Type.String(),
  connection_id: Type.String(),
  slug: Type.String(),
  name: Type.String(),
  status: Type.Union([Type.Literal('active'), Type.Literal('inactive')]),
  groups_supported: Type.Boolean(),
})
export type UnifiedWorkspace = Static<typeof UnifiedWorkspaceSchema>

/** One of a person's accounts: the user, less what the person already says or only a user page needs. */
export const PersonAccountSchema = Type.Pick(UnifiedUserSchema, [
  'id',
  'connection_id',
  'remote_id',
  'email',
  'status',
  'roles',
  'groups',
  'workspace',
  'last_seen_at',
  'deleted_at',
])
export type PersonAccount = Static<typeof PersonAccountSchema>

/** One person (normalised email) and every workspace account they hold. */
export const PersonSchema = Type.Object({
  /** Lower-cased: the key people are matched by across workspaces. */
  email: Type.String(),
  name: Nullable(Type.String()),
  accounts: Type.Array(PersonAccountSchema),
})
export type Person = Static<typeof PersonSchema>

/** The change events the directory feed carries (no role events). */
export const DirectoryEventTypeSchema = Type.Union([
  Type.Literal('user.created'),
  Type.Literal('user.updated'),
  Type.Literal('user.deleted'),
  Type.Literal('user.reactivated'),
  Type.Literal('group.created'),
  Type.Literal('group.updated'),
  Type.Literal('group.deleted'),
  Type.Literal('membership.added'),
  Type.Literal('membership.removed'),
])
export type DirectoryEventType = Static<typeof DirectoryEventTypeSchema>

const Search = Type.String({ minLength: 1, maxLength: 255, description: 'case-insensitive substring' })

/** Filters of the account lists (users and people). Unknown parameters are a 422. */
export const UserFilterFields = {
  connection_id: Type.Optional(DirId),
  email: Type.Optional(Type.String({ format: 'email', maxLength: 254, description: 'exact, case-insensitive' })),
  status: Type.Optional(UserStatus),
  group_id: Type.Optional(DirId),
  role: Type.Optional(Type.String({ minLength: 1, maxLength: 255, description: 'Segment role id or name, or a directory role id' })),
  q: Type.Optional(Search),
}

/** A list's query: its filters, then a page (`limit`, `cursor`); unknown parameters are a 422. */
const listQuery = <T extends TProperties>(filters: T) =>
  Type.Object({ ...filters, limit: Type.Optional(Limit), cursor: Type.Optional(Cursor) }, { additionalProperties: false })

const Scope = { connection_id: Type.Optional(DirId), q: Type.Optional(Search) }
const IncludeDeleted = Type.Optional(Type.Boolean({ default: false }))

export const UserListQuery = listQuery(UserFilterFields)
export const GroupListQuery = listQuery({ ...Scope, role: UserFilterFields.role, include_deleted: IncludeDeleted })
export const RoleListQuery = listQuery({ ...Scope, include_deleted: IncludeDeleted })
export const WorkspaceListQuery = listQuery(Scope)
