import { Type } from '@sinclair/typebox'
import { data, Id } from '../../iam/schemas/common.js'
import { OutboxMessage, OutboxMessageWithBody, OutboxStatus } from '../../mail/schemas.js'
import { PaginationOutput } from '../../wire/pagination.js'
import { EventEntry } from '../schemas.js'

/** The instance admins' pages of the console: the outbox and every account of the server. */

export const DEFAULT_INSTANCE_PAGE = 50
const MAX_INSTANCE_PAGE = 200

const Count = Type.Integer({ minimum: 1, maximum: MAX_INSTANCE_PAGE, default: DEFAULT_INSTANCE_PAGE })
const Cursor = Type.String({ minLength: 1, maxLength: 2048, description: 'pagination.next or .previous of a page' })

export const InstanceOutboxQuery = Type.Object(
  { status: Type.Optional(OutboxStatus), count: Type.Optional(Count), cursor: Type.Optional(Cursor) },
  { additionalProperties: false },
)
export const InstanceOutboxOutput = data({ messages: Type.Array(OutboxMessage), pagination: PaginationOutput })
export const OutboxMessageParams = Type.Object({ messageId: Id })
export const OutboxMessageOutput = data({ message: OutboxMessageWithBody })
export const OutboxRetryOutput = data({ message: OutboxMessage })

export const InstanceAccountsQuery = Type.Object(
  {
    search: Type.Optional(Type.String({ maxLength: 100, description: 'Part of a name or an email, any case' })),
    count: Type.Optional(Count),
    cursor: Type.Optional(Cursor),
  },
  { additionalProperties: false },
)

const AccountSummary = Type.Object({
  id: Type.String(),
  email: Type.String(),
  name: Type.String(),
  hasPassword: Type.Boolean({ description: 'false: the person has not set a password yet (a mailed link sets one)' }),
  mfaEnabled: Type.Boolean(),
  instanceAdmin: Type.Boolean(),
  workspaces: Type.Integer({ description: 'Workspaces on this server with a member of this email' }),
  createdAt: Type.String(),
})
export const InstanceAccountsOutput = data({ accounts: Type.Array(AccountSummary), pagination: PaginationOutput })
export const AccountParams = Type.Object({ accountId: Id })

export const RECENT_EVENTS = 20

export const InstanceAccountOutput = data({
  account: Type.Composite([
    AccountSummary,
    Type.Object({
      memberships: Type.Array(Type.Object({ id: Type.String(), slug: Type.String(), name: Type.String(), userId: Type.String() })),
      mfa: Type.Object({
        enabled: Type.Boolean(),
        enabledAt: Type.Union([Type.String(), Type.Null()]),
        recoveryCodesLeft: Type.Integer(),
      }),
      liveSessions: Type.Integer({ description: 'Sessions not ended, expired or idle' }),
      recentEvents: Type.Array(EventEntry, { description: `The latest ${RECENT_EVENTS} entries of their security log, newest first` }),
    }),
  ]),
})

export const InstanceMfaResetOutput = data({
  hadMfa: Type.Boolean(),
  endedSessions: Type.Integer({ description: "The person's sessions, all ended" }),
  messageId: Type.String({ description: 'The outbox message telling the person' }),
})

export const InstanceAdminBody = Type.Object({ instanceAdmin: Type.Boolean() }, { additionalProperties: false })
export const InstanceAdminOutput = data({
  account: Type.Object({ id: Type.String(), instanceAdmin: Type.Boolean() }),
  /** A set-password link was mailed: the new instance admin had no password yet. */
  linkQueued: Type.Boolean(),
})
