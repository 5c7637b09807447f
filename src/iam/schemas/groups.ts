import { Type } from '@sinclair/typebox'
import { PaginationOutput } from '../../wire/pagination.js'
import { data, EmailList, Id, PermissionV1 } from './common.js'
import { MinimalUserV1 } from './users.js'

export const UserGroupV1 = Type.Object({
  id: Type.String(),
  name: Type.String(),
  memberCount: Type.Integer(),
  permissions: Type.Array(PermissionV1),
})

export const GroupIdParams = Type.Object({ userGroupId: Id })
export const GroupNameBody = Type.Object(
  { name: Type.String({ minLength: 1, maxLength: 255, pattern: '\\S' }) },
  { additionalProperties: false },
)
export const EmailsBody = Type.Object({ emails: EmailList }, { additionalProperties: false })
/** Replace may empty the group. */
export const ReplaceEmailsBody = Type.Object(
  { emails: Type.Array(EmailList.items, { maxItems: EmailList.maxItems ?? 1000 }) },
  { additionalProperties: false },
)

export const ListUserGroupsOutput = data({ userGroups: Type.Array(UserGroupV1), pagination: PaginationOutput })
export const UserGroupOutput = data({ userGroup: UserGroupV1 })
export const ListUsersFromUserGroupOutput = data({ users: Type.Array(MinimalUserV1), pagination: PaginationOutput })
export const ListInvitesFromUserGroupOutput = data({ emails: Type.Array(Type.String()), pagination: PaginationOutput })
