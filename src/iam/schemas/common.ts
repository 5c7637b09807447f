import { Type } from '@sinclair/typebox'
import { RESOURCE_TYPES } from '../rules/roles.js'

/** Path and query ids: Segment bounds them to 1..255 characters. */
export const Id = Type.String({ minLength: 1, maxLength: 255 })

export const Email = Type.String({ format: 'email', minLength: 3, maxLength: 254 })

/** Bulk inputs are bounded: 1..1000 items per call. */
export const MAX_BATCH = 1000
export const EmailList = Type.Array(Email, { minItems: 1, maxItems: MAX_BATCH })
export const EmailsQuery = Type.Object({ emails: EmailList })

export const ResourceType = Type.Union(RESOURCE_TYPES.map((t) => Type.Literal(t)))

const LabelPart = Type.String({ minLength: 1, maxLength: 255 })

export const AllowedLabelBeta = Type.Object(
  { key: LabelPart, value: LabelPart, description: Type.Optional(Type.String({ maxLength: 1000 })) },
  { additionalProperties: false },
)

export const PermissionResourceV1 = Type.Object(
  { id: Id, type: ResourceType, labels: Type.Optional(Type.Array(AllowedLabelBeta, { maxItems: 100 })) },
  { additionalProperties: false },
)

export const PermissionInputV1 = Type.Object(
  { roleId: Id, resources: Type.Array(PermissionResourceV1, { minItems: 1, maxItems: 100 }) },
  { additionalProperties: false },
)

export const PermissionsBody = Type.Object(
  { permissions: Type.Array(PermissionInputV1, { minItems: 1, maxItems: 100 }) },
  { additionalProperties: false },
)

/** Replace may set an empty list: it removes every permission of the subject. */
export const ReplacePermissionsBody = Type.Object(
  { permissions: Type.Array(PermissionInputV1, { maxItems: 100 }) },
  { additionalProperties: false },
)

const ResourceOut = Type.Object({
  id: Type.String(),
  type: Type.String(),
  labels: Type.Optional(Type.Array(Type.Object({ key: Type.String(), value: Type.String(), description: Type.Optional(Type.String()) }))),
})

export const PermissionV1 = Type.Object({
  roleName: Type.String(),
  roleId: Type.String(),
  resources: Type.Array(ResourceOut),
})

export const AccessPermissionV1 = Type.Object({
  roleId: Type.String(),
  roleName: Type.String(),
  resources: Type.Array(ResourceOut),
  policyId: Type.String(),
  subjectId: Type.String(),
  subjectType: Type.String(),
})

export const StatusOutput = Type.Object({ data: Type.Object({ status: Type.Literal('SUCCESS') }) })

/** `{data: …}`: every success body. */
export const data = <T extends Parameters<typeof Type.Object>[0]>(props: T) => Type.Object({ data: Type.Object(props) })
