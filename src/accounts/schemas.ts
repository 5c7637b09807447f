import { Type } from '@sinclair/typebox'
import { data, Email, Id, PermissionV1 } from '../iam/schemas/common.js'
import { MinimalUserGroupV1 } from '../iam/schemas/users.js'
import { PaginationOutput } from '../wire/pagination.js'
import { MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH } from './passwords.js'

const tags = ['console']
/** OpenAPI of routes that work signed out. */
export const SIGNED_OUT_ROUTE = { tags, security: [] }
/** OpenAPI of routes that need the session cookie (and, for changes, X-CSRF-Token). */
export const SIGNED_IN_ROUTE = { tags, security: [{ session: [] }] }

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(schema: T) => Type.Union([schema, Type.Null()])

/** A password as typed; the policy (length, common passwords, not the email) is checked in code for clear messages. */
const Password = Type.String({ minLength: 1, maxLength: MAX_PASSWORD_LENGTH })
const NewPassword = Type.String({
  minLength: 1,
  maxLength: MAX_PASSWORD_LENGTH,
  description: `At least ${MIN_PASSWORD_LENGTH} characters, not a common password, not the email address`,
})

/** A code from an authenticator app (6 digits; spaces are ignored) or a recovery code, as typed. */
export const TotpCode = Type.String({ minLength: 1, maxLength: 16, description: 'The 6 digits the authenticator app shows now' })
export const RecoveryCode = Type.String({
  minLength: 1,
  maxLength: 32,
  description: 'One of the recovery codes shown when MFA was set up; each works once',
})

export const SignInBody = Type.Object(
  {
    email: Email,
    password: Password,
    totpCode: Type.Optional(TotpCode),
    recoveryCode: Type.Optional(RecoveryCode),
  },
  { additionalProperties: false },
)

export const SessionOutput = data({
  account: Type.Object({ id: Type.String(), email: Type.String(), name: Type.String(), instanceAdmin: Type.Boolean() }),
  /** The workspaces the person is a member of (a `users` row with their email). */
  workspaces: Type.Array(Type.Object({ id: Type.String(), slug: Type.String(), name: Type.String(), userId: Type.String() })),
  session: Type.Object({ id: Type.String(), createdAt: Type.String(), expiresAt: Type.String() }),
  mfa: Type.Object({
    enabled: Type.Boolean({ description: 'The account has a TOTP authenticator set up' }),
    passedAt: Nullable(Type.String({ description: 'When this session passed MFA; null: not (yet)' })),
  }),
  csrfToken: Type.String({ description: 'Send it as X-CSRF-Token with every change made with this session' }),
})

const SessionEntry = Type.Object({
  id: Type.String(),
  current: Type.Boolean(),
  createdAt: Type.String(),
  lastSeenAt: Type.String(),
  expiresAt: Type.String({ description: 'The absolute end, or the idle end if that comes first' }),
  ip: Nullable(Type.String()),
  userAgent: Nullable(Type.String()),
})
export const SessionsOutput = data({ sessions: Type.Array(SessionEntry) })
export const SessionParams = Type.Object({ sessionId: Id })
export const RevokeAllQuery = Type.Object(
  { keepCurrent: Type.Optional(Type.Boolean({ description: 'true: end every session but this one' })) },
  { additionalProperties: false },
)
export const RevokedOutput = data({ endedSessions: Type.Integer() })

export const RenameBody = Type.Object(
  { name: Type.String({ minLength: 1, maxLength: 255, description: 'Your name, as every workspace of this server shows it' }) },
  { additionalProperties: false },
)

export const ChangePasswordBody = Type.Object({ currentPassword: Password, newPassword: NewPassword }, { additionalProperties: false })

export const EventEntry = Type.Object({
  id: Type.String(),
  type: Type.String(),
  createdAt: Type.String(),
  ip: Nullable(Type.String()),
  userAgent: Nullable(Type.String()),
  detail: Type.Record(Type.String(), Type.Unknown()),
})
export const SecurityLogOutput = data({ events: Type.Array(EventEntry), pagination: PaginationOutput })

export const PasswordResetBody = Type.Object({ email: Email }, { additionalProperties: false })
export const AcceptedOutput = data({ status: Type.Literal('ACCEPTED') })

export const LinkParams = Type.Object({ token: Type.String({ minLength: 1, maxLength: 255 }) })
export const LinkOutput = data({
  link: Type.Object({
    purpose: Type.String({ description: 'set_password or reset_password (POST …/password), or sign_in (POST …/session)' }),
    email: Type.String(),
    name: Type.String(),
    status: Type.Union([Type.Literal('valid'), Type.Literal('expired'), Type.Literal('used')]),
    expiresAt: Type.String(),
    mfaRequired: Type.Boolean({
      description: 'The account has MFA on: redeeming the link needs totpCode or recoveryCode too (the mailbox alone is one factor)',
    }),
  }),
})
export const RedeemLinkBody = Type.Object(
  {
    password: NewPassword,
    name: Type.Optional(Type.String({ maxLength: 255 })),
    totpCode: Type.Optional(TotpCode),
    recoveryCode: Type.Optional(RecoveryCode),
  },
  { additionalProperties: false },
)

export const InstanceAdmin = Type.Object({
  id: Type.String(),
  email: Type.String(),
  name: Type.String(),
  hasPassword: Type.Boolean(),
  createdAt: Type.String(),
})
export const AddInstanceAdminBody = Type.Object({ email: Email }, { additionalProperties: false })
export const InstanceAdminParams = Type.Object({ email: Email })
export const InstanceAdminAdded = data({
  instanceAdmin: InstanceAdmin,
  /** A set-password link was queued (the account had no password yet): `messageId` is its outbox message. */
  linkQueued: Type.Boolean(),
  messageId: Nullable(Type.String()),
})

export const WorkspaceParams = Type.Object({ workspaceId: Id })

const ConsoleWorkspace = Type.Object({ id: Type.String(), slug: Type.String(), name: Type.String(), plan: Type.String() })

export const WorkspaceAccessOutput = data({
  workspace: ConsoleWorkspace,
  owner: Type.Boolean({
    description: 'Holds Workspace Owner here (directly or through a group), or is an instance admin: may manage access',
  }),
  permissions: Type.Array(PermissionV1, { description: "The person's own permissions here (not their groups')" }),
  groups: Type.Array(MinimalUserGroupV1),
  groupPermissions: Type.Array(Type.Composite([PermissionV1, Type.Object({ group: MinimalUserGroupV1 })]), {
    description: 'What their groups grant them, each with the group it comes from',
  }),
})

export const DEFAULT_MEMBERS_PAGE = 50
export const MAX_MEMBERS_PAGE = 200

export const WorkspaceUsersQuery = Type.Object(
  {
    search: Type.Optional(Type.String({ maxLength: 100, description: 'Part of a name or an email, any case' })),
    roleId: Type.Optional(Type.String({ maxLength: 255, description: 'Only users holding this role directly' })),
    count: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_MEMBERS_PAGE, default: DEFAULT_MEMBERS_PAGE })),
    cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 2048, description: 'pagination.next or .previous of a page' })),
  },
  { additionalProperties: false },
)

const WorkspaceMember = Type.Object({
  id: Type.String(),
  email: Type.String(),
  name: Type.String(),
  permissions: Type.Array(PermissionV1),
  groups: Type.Array(MinimalUserGroupV1),
})
export const WorkspaceUsersOutput = data({ users: Type.Array(WorkspaceMember), pagination: PaginationOutput })
