import { Type } from '@sinclair/typebox'
import { PageQuery, PaginationOutput } from '../../wire/pagination.js'
import { data } from './common.js'

export const WorkspaceV1 = Type.Object({ id: Type.String(), slug: Type.String(), name: Type.String() })
export const GetWorkspaceOutput = data({ workspace: WorkspaceV1 })

export const RoleV1 = Type.Object({ id: Type.String(), name: Type.String(), description: Type.String() })
export const ListRolesOutput = data({ roles: Type.Array(RoleV1), pagination: PaginationOutput })

// Labels: key and value start with a letter and hold letters, digits and hyphens.
const LabelWord = Type.String({ minLength: 1, maxLength: 100, pattern: '^[A-Za-z][A-Za-z0-9-]*$' })
export const LabelV1 = Type.Object(
  { key: LabelWord, value: LabelWord, description: Type.Optional(Type.String({ maxLength: 1000 })) },
  { additionalProperties: false },
)
export const LabelOut = Type.Object({ key: Type.String(), value: Type.String(), description: Type.Optional(Type.String()) })
export const CreateLabelBody = Type.Object({ label: LabelV1 }, { additionalProperties: false })
export const CreateLabelOutput = data({ label: LabelOut })
export const ListLabelsOutput = data({ labels: Type.Array(LabelOut) })
export const LabelParams = Type.Object({
  key: Type.String({ minLength: 1, maxLength: 255 }),
  value: Type.String({ minLength: 1, maxLength: 255 }),
})

export const AuditEventV1 = Type.Object({
  id: Type.String(),
  timestamp: Type.String(),
  type: Type.String(),
  actor: Type.String(),
  actorEmail: Type.Optional(Type.String()),
  resourceId: Type.String(),
  resourceType: Type.String(),
  resourceName: Type.String(),
})
const Time = Type.String({ minLength: 1, maxLength: 64 })
export const AuditQuery = Type.Composite([
  PageQuery,
  Type.Object({
    startTime: Type.Optional(Time),
    endTime: Type.Optional(Time),
    resourceId: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
    resourceType: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
  }),
])
export const ListAuditEventsOutput = data({ events: Type.Array(AuditEventV1), pagination: PaginationOutput })
