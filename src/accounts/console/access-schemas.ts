import { Type } from '@sinclair/typebox'
import { data, EmailList, Id, PermissionV1 } from '../../iam/schemas/common.js'
import { MinimalUserGroupV1, MinimalUserV1 } from '../../iam/schemas/users.js'
import { PaginationOutput } from '../../wire/pagination.js'
import { DEFAULT_MEMBERS_PAGE, MAX_MEMBERS_PAGE } from '../schemas.js'

/** Schemas of the console's User Groups and user-detail routes (groups-routes.ts, users-routes.ts). */

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(schema: T) => Type.Union([schema, Type.Null()])

const Count = Type.Integer({ minimum: 1, maximum: MAX_MEMBERS_PAGE, default: DEFAULT_MEMBERS_PAGE })
const Cursor = Type.String({ minLength: 1, maxLength: 2048, description: 'pagination.next or .previous of a page' })

export const GroupsQuery = Type.Object(
  {
    search: Type.Optional(Type.String({ maxLength: 100, description: 'Part of the name, any case' })),
    count: Type.Optional(Count),
    cursor: Type.Optional(Cursor),
  },
  { additionalProperties: false },
)

export const GroupSummary = Type.Object({
  id: Type.String(),
  name: Type.String(),
  memberCount: Type.Integer({ description: 'Members (users), not pending invites' }),
  inviteCount: Type.Integer({ description: 'Pending invites in the group' }),
})
export const GroupsOutput = data({ groups: Type.Array(GroupSummary), pagination: PaginationOutput })
export const GroupOutput = data({ group: GroupSummary })

export const GroupParams = Type.Object({ workspaceId: Id, userGroupId: Id })
export const GroupMemberParams = Type.Object({ workspaceId: Id, userGroupId: Id, userId: Id })
export const GroupInviteParams = Type.Object({ workspaceId: Id, userGroupId: Id, inviteId: Id })

export const GroupDetailQuery = Type.Object(
  {
    count: Type.Optional(Count),
    membersCursor: Type.Optional(Cursor),
    invitesCursor: Type.Optional(Cursor),
  },
  { additionalProperties: false },
)

export const GroupEmailsBody = Type.Object({ emails: EmailList }, { additionalProperties: false })

/** One grant in words: a role over resources ("all current and future sources", "source abc"), narrowed by labels. */
export const AccessLine = Type.Object({
  roleId: Type.String(),
  roleName: Type.String(),
  roleDescription: Type.String(),
  scopes: Type.Array(Type.String({ description: 'One resource of the grant in words, with its labels' })),
  summary: Type.String({ description: 'The whole grant in one sentence' }),
  group: Nullable(Type.Object({ id: Type.String(), name: Type.String() }, { description: 'The group it comes from; null: held directly' })),
})

const GroupInvite = Type.Object({ id: Type.String(), email: Type.String(), createdAt: Type.String() })

export const GroupDetailOutput = data({
  group: GroupSummary,
  permissions: Type.Array(PermissionV1),
  preview: Type.Array(AccessLine, { description: 'The effective access the group grants its members, in words' }),
  members: Type.Object({ users: Type.Array(MinimalUserV1), pagination: PaginationOutput }),
  invites: Type.Object({ invites: Type.Array(GroupInvite), pagination: PaginationOutput }),
})

export const GroupPermissionsOutput = data({
  permissions: Type.Array(PermissionV1),
  preview: Type.Array(AccessLine),
})

export const UserParams = Type.Object({ workspaceId: Id, userId: Id })

export const UserDetailOutput = data({
  user: Type.Object({
    id: Type.String(),
    email: Type.String(),
    name: Type.String(),
    createdAt: Type.String(),
    permissions: Type.Array(PermissionV1, { description: 'Held directly: what PUT …/permissions replaces' }),
    groups: Type.Array(MinimalUserGroupV1),
    access: Type.Array(AccessLine, { description: 'Every grant in words, its own and its groups' }),
  }),
})

export const UsersCsvQuery = Type.Object(
  {
    search: Type.Optional(Type.String({ maxLength: 100, description: 'Part of a name or an email, any case' })),
    roleId: Type.Optional(Type.String({ maxLength: 255, description: 'Only users holding this role directly' })),
  },
  { additionalProperties: false },
)
