import { Type } from '@sinclair/typebox'
import { PageQuery, PaginationOutput } from '../../wire/pagination.js'
import { AllowedLabelBeta, data, Email, Id, MAX_BATCH, PermissionV1, ResourceType } from './common.js'

export const UserV1 = Type.Object({
  id: Type.String(),
  name: Type.String(),
  email: Type.String(),
  permissions: Type.Array(PermissionV1),
})

export const MinimalUserV1 = Type.Object({ id: Type.String(), name: Type.String(), email: Type.String() })
export const MinimalUserGroupV1 = Type.Object({ id: Type.String(), name: Type.String() })

export const UserIdParams = Type.Object({ userId: Id })
export const DeleteUsersQuery = Type.Object({ userIds: Type.Array(Id, { minItems: 1, maxItems: MAX_BATCH }) })

export const ListUsersOutput = data({ users: Type.Array(UserV1), pagination: PaginationOutput })
export const GetUserOutput = data({ user: UserV1 })
export const ListUserGroupsFromUserOutput = data({ groups: Type.Array(MinimalUserGroupV1), pagination: PaginationOutput })

export const InvitePermissionV1 = Type.Object(
  {
    roleId: Id,
    resources: Type.Optional(Type.Array(Type.Object({ id: Id, type: ResourceType }, { additionalProperties: false }), { maxItems: 100 })),
    labels: Type.Optional(Type.Array(AllowedLabelBeta, { maxItems: 100 })),
  },
  { additionalProperties: false },
)

export const CreateInvitesBody = Type.Object(
  {
    invites: Type.Array(
      Type.Object(
        { email: Email, permissions: Type.Optional(Type.Array(InvitePermissionV1, { maxItems: 100 })) },
        { additionalProperties: false },
      ),
      { minItems: 1, maxItems: MAX_BATCH },
    ),
  },
  { additionalProperties: false },
)
export const CreateInvitesOutput = data({ emails: Type.Array(Type.String()) })
export const ListInvitesOutput = data({ invites: Type.Array(Type.String()), pagination: PaginationOutput })

export { PageQuery }
