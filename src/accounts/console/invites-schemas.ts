import { Type } from '@sinclair/typebox'
import { data, Email, EmailList, Id, PermissionV1, ResourceType } from '../../iam/schemas/common.js'
import { InvitePermissionV1, MinimalUserGroupV1 } from '../../iam/schemas/users.js'
import { LabelV1 } from '../../iam/schemas/workspace.js'
import { PaginationOutput } from '../../wire/pagination.js'
import { MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH } from '../passwords.js'
import { SessionOutput } from '../schemas.js'

/** The console's invitation, role and label schemas (owner pages and the signed-out invitation page). */

export const ConsoleRole = Type.Object({
  id: Type.String(),
  name: Type.String(),
  description: Type.String(),
  resourceTypes: Type.Array(ResourceType, { description: 'What a grant may name; WORKSPACE means "all current and future …"' }),
  labelScoped: Type.Boolean({ description: 'A WORKSPACE grant may be narrowed by labels' }),
  businessOnly: Type.Boolean(),
  available: Type.Boolean({ description: "Whether this workspace's plan may grant it" }),
})
export const RolesOutput = data({ roles: Type.Array(ConsoleRole), plan: Type.String() })

export const ConsoleLabel = Type.Object({
  key: Type.String(),
  value: Type.String(),
  description: Type.Union([Type.String(), Type.Null()]),
  createdAt: Type.String(),
  usedBy: Type.Integer({ description: 'Permissions narrowed by this label; a label in use cannot be deleted' }),
})
export const LabelsOutput = data({ labels: Type.Array(ConsoleLabel) })
export const CreateConsoleLabelBody = Type.Object({ label: LabelV1 }, { additionalProperties: false })
export const CreatedLabelOutput = data({ label: ConsoleLabel })
export const LabelQuery = Type.Object(
  { key: Type.String({ minLength: 1, maxLength: 100 }), value: Type.String({ minLength: 1, maxLength: 100 }) },
  { additionalProperties: false },
)

export const DEFAULT_INVITES_PAGE = 50
export const InvitesQuery = Type.Object(
  {
    search: Type.Optional(Type.String({ maxLength: 100, description: 'Part of an email, any case' })),
    count: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: DEFAULT_INVITES_PAGE })),
    cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 2048, description: 'pagination.next or .previous of a page' })),
  },
  { additionalProperties: false },
)

const PendingInvite = Type.Object({
  email: Type.String(),
  permissions: Type.Array(PermissionV1),
  groups: Type.Array(MinimalUserGroupV1),
  createdAt: Type.String(),
  link: Type.Union([
    Type.Object({
      sentAt: Type.String(),
      expiresAt: Type.String(),
      expired: Type.Boolean(),
    }),
    Type.Null(),
  ]),
})
export const InvitesOutput = data({ invites: Type.Array(PendingInvite), pagination: PaginationOutput })

export const ConsoleInvitesBody = Type.Object(
  {
    invites: Type.Array(
      Type.Object(
        { email: Email, permissions: Type.Optional(Type.Array(InvitePermissionV1, { maxItems: 100 })) },
        { additionalProperties: false },
      ),
      { minItems: 1, maxItems: 100 },
    ),
    groupIds: Type.Optional(Type.Array(Id, { maxItems: 50, description: 'User groups every invited email joins' })),
  },
  { additionalProperties: false },
)
export const InvitedOutput = data({ emails: Type.Array(Type.String()), mailed: Type.Integer() })
export const ResendBody = Type.Object({ emails: Type.Array(Email, { minItems: 1, maxItems: 100 }) }, { additionalProperties: false })
export const ResentOutput = data({ mailed: Type.Integer() })
export const RevokeQuery = Type.Object({ emails: EmailList }, { additionalProperties: false })

export const InvitationParams = Type.Object({ token: Type.String({ minLength: 1, maxLength: 255 }) })
export const InvitationStatus = Type.Union([Type.Literal('valid'), Type.Literal('expired'), Type.Literal('used'), Type.Literal('revoked')])
export const InvitationOutput = data({
  invitation: Type.Object({
    workspace: Type.Object({ name: Type.String(), slug: Type.String() }),
    email: Type.String(),
    status: InvitationStatus,
    expiresAt: Type.String(),
    account: Type.Union([Type.Literal('new'), Type.Literal('existing')], {
      description: 'new: no password yet (choose one to accept); existing: sign in as this email, then accept',
    }),
  }),
})
export const AcceptInvitationBody = Type.Object(
  {
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
    password: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: MAX_PASSWORD_LENGTH,
        description: `A new person's first password: at least ${MIN_PASSWORD_LENGTH} characters, not a common password`,
      }),
    ),
  },
  { additionalProperties: false },
)
export const AcceptedInvitationOutput = data({
  workspace: Type.Object({ id: Type.String(), slug: Type.String(), name: Type.String() }),
  session: SessionOutput.properties.data,
})
