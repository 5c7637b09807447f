import { type Static, Type } from '@sinclair/typebox'
import { Cursor, DirId, Limit, Nullable, WorkspaceRef } from './unified.js'

/**
 * A remote Public API token: sent once, stored sealed, never answered. Visible ASCII only: it travels in an
 * Authorization header, and fetch's refusal of anything else would quote the token in its message.
 */
const Token = Type.String({ minLength: 1, maxLength: 4096, pattern: '^[\\x21-\\x7E]+$' })

export const CreateConnectionBody = Type.Object(
  {
    token: Token,
    baseUrl: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 2048,
        description: 'default https://api.segmentapis.com (EU: https://eu1.api.segmentapis.com)',
      }),
    ),
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 255, description: "default: the remote workspace's slug" })),
  },
  { additionalProperties: false },
)

export const RotateTokenBody = Type.Object({ token: Token }, { additionalProperties: false })

export const ConnectionStatus = Type.Union([Type.Literal('active'), Type.Literal('needs_reauth'), Type.Literal('error')])

/** A connection as the API answers it: never its token, sealed or not (the serializer drops what is not here). */
export const ConnectionSchema = Type.Object({
  id: Type.String(),
  name: Type.String(),
  base_url: Type.String(),
  status: ConnectionStatus,
  /** Why the status is not `active` (the remote's answer), else null. */
  status_detail: Nullable(Type.String()),
  workspace: WorkspaceRef,
  groups_supported: Type.Boolean(),
  created_at: Type.String(),
  updated_at: Type.String(),
  last_sync_run_id: Nullable(Type.String()),
  last_complete_sync_at: Nullable(Type.String()),
  next_sync_at: Nullable(Type.String()),
})
export type Connection = Static<typeof ConnectionSchema>

export const ConnectionListQuery = Type.Object(
  { limit: Type.Optional(Limit), cursor: Type.Optional(Cursor) },
  { additionalProperties: false },
)

/** What DELETE answers: the id of what is gone (the unified API's delete shape). */
export const DeletedOutput = Type.Object({ id: DirId })
