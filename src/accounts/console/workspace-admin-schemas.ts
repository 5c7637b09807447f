import { Type } from '@sinclair/typebox'
import { MAX_CONTACTS } from '../../iam/operations/workspaces.js'
import { data, Email, Id } from '../../iam/schemas/common.js'
import { PaginationOutput } from '../../wire/pagination.js'

/** Schemas of the console's Tokens, Audit Trail and Settings → General routes. */

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(schema: T) => Type.Union([schema, Type.Null()])

// --- Tokens ---

const Access = Type.Union([Type.Literal('OWNER'), Type.Literal('MEMBER')], {
  description: 'OWNER: Workspace Owner (may change anything); MEMBER: Workspace Member (reads only)',
})

export const ConsoleToken = Type.Object({
  id: Type.String(),
  description: Type.String(),
  access: Access,
  createdAt: Type.String(),
  createdBy: Nullable(Type.String({ description: 'The email of the person who made it here; null for the admin key and the CLI' })),
  lastUsedAt: Nullable(Type.String({ description: 'Noted at most once a minute' })),
})
export const TokensOutput = data({ tokens: Type.Array(ConsoleToken) })
export const TokenParams = Type.Object({ workspaceId: Id, tokenId: Id })

export const SecurityCodeOutput = data({
  codeId: Type.String({ description: 'Send it back with the code' }),
  expiresAt: Type.String(),
  sentTo: Type.String({ description: "The signed-in person's email, masked" }),
})

export const CreateTokenBody = Type.Object(
  {
    description: Type.String({ minLength: 1, maxLength: 255 }),
    access: Access,
    codeId: Id,
    code: Type.String({ minLength: 1, maxLength: 16, description: 'The 6-digit code from the email' }),
  },
  { additionalProperties: false },
)
export const CreatedTokenOutput = data({
  token: ConsoleToken,
  secret: Type.String({ description: 'The token itself: shown once, stored only as a hash' }),
})

// --- Audit Trail ---

export const DEFAULT_AUDIT_PAGE = 50
export const MAX_AUDIT_PAGE = 200
const Time = (description: string) =>
  Type.String({ minLength: 1, maxLength: 64, description: `${description}: ISO-8601, such as 2025-01-31T00:00:00Z` })

/** The filters, shared by the page and the CSV export. */
const auditFilters = {
  type: Type.Optional(
    Type.Array(Type.String({ minLength: 1, maxLength: 100 }), { maxItems: 20, description: 'Event types; repeat for several' }),
  ),
  actor: Type.Optional(Type.String({ maxLength: 255, description: 'An actor id, or an email (any case)' })),
  resource: Type.Optional(Type.String({ maxLength: 255, description: "A resource id, or part of a resource's name (any case)" })),
  from: Type.Optional(Time('Events at or after this time')),
  to: Type.Optional(Time('Events before this time')),
}
export const AuditCsvQuery = Type.Object(auditFilters, { additionalProperties: false })
export const AuditQuery = Type.Object(
  {
    ...auditFilters,
    count: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_AUDIT_PAGE, default: DEFAULT_AUDIT_PAGE })),
    cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 2048, description: 'pagination.next or .previous of a page' })),
  },
  { additionalProperties: false },
)
export const ConsoleAuditEvent = Type.Object({
  id: Type.String(),
  timestamp: Type.String(),
  type: Type.String(),
  actor: Type.String(),
  actorEmail: Nullable(Type.String()),
  resourceId: Type.String(),
  resourceType: Type.String(),
  resourceName: Type.String(),
})
export const AuditOutput = data({
  events: Type.Array(ConsoleAuditEvent),
  pagination: PaginationOutput,
  included: Type.Boolean({
    description: "Whether the workspace's plan includes Audit Trail in Segment (Business); the trail is kept on every plan",
  }),
})
export const EventTypesOutput = data({ types: Type.Array(Type.String()) })

// --- Settings → General ---

const Contacts = Type.Array(Email, { maxItems: MAX_CONTACTS })

export const PlanLimit = Type.Object({
  feature: Type.String(),
  included: Type.Boolean(),
  detail: Type.String(),
})
export const SettingsOutput = data({
  workspace: Type.Object({ id: Type.String(), name: Type.String(), slug: Type.String(), createdAt: Type.String() }),
  billingContacts: Type.Array(Type.String()),
  incidentContacts: Type.Array(Type.String()),
  plan: Type.Object({
    name: Type.String({ description: 'business, team or free: read-only here' }),
    limits: Type.Array(PlanLimit, { description: 'What the API enforces on this plan' }),
  }),
})
export const SettingsBody = Type.Object(
  {
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
    slug: Type.Optional(
      Type.String({ minLength: 1, maxLength: 100, description: 'Lower-case letters, digits and inner hyphens; unique on this server' }),
    ),
    billingContacts: Type.Optional(Contacts),
    incidentContacts: Type.Optional(Contacts),
  },
  { additionalProperties: false, minProperties: 1 },
)
