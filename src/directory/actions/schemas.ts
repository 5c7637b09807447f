import { type TObject, Type } from '@sinclair/typebox'
import type { ActionName } from './types.js'

const Id = Type.String({ minLength: 1, maxLength: 255 })
const Email = Type.String({ format: 'email', minLength: 3, maxLength: 254 })
const Ids = Type.Array(Id, { minItems: 1, maxItems: 100 })
/** Every action takes it: answer with the calls the action would make, and change nothing. */
const DryRun = Type.Optional(Type.Boolean())

const body = <P extends Parameters<typeof Type.Object>[0]>(properties: P) =>
  Type.Object({ ...properties, dry_run: DryRun }, { additionalProperties: false })

export const ACTION_BODIES: Record<ActionName, TObject> = {
  invite: body({
    connection_id: Id,
    email: Email,
    role_ids: Type.Optional(Type.Array(Id, { maxItems: 100 })),
    group_ids: Type.Optional(Type.Array(Id, { maxItems: 100 })),
  }),
  add_to_groups: body({ user_id: Id, group_ids: Ids }),
  remove_from_groups: body({ user_id: Id, group_ids: Ids }),
  remove_from_all_groups: body({ user_id: Id }),
  offboard: body({ email: Email }),
}

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Type.Null()])

const PartErrorSchema = Type.Object({ type: Type.String(), status: Nullable(Type.Integer()), message: Type.String() })

const Outcome = Type.Union(['planned', 'succeeded', 'already_done', 'failed', 'not_attempted'].map((o) => Type.Literal(o)))
const Status = Type.Union(['planned', 'succeeded', 'partial', 'failed', 'noop'].map((s) => Type.Literal(s)))

export const ActionResultSchema = Type.Object({
  id: Type.String(),
  action: Type.String(),
  dry_run: Type.Boolean(),
  status: Status,
  summary: Type.Object({
    calls: Type.Integer(),
    succeeded: Type.Integer(),
    already_done: Type.Integer(),
    failed: Type.Integer(),
    not_attempted: Type.Integer(),
  }),
  connections: Type.Array(
    Type.Object({
      connection_id: Type.String(),
      connection_name: Type.String(),
      workspace: Type.Object({ id: Type.String(), slug: Type.String(), name: Type.String() }),
      status: Status,
      error: Nullable(PartErrorSchema),
      noops: Type.Array(Type.String()),
      requests: Type.Integer(),
      retries: Type.Integer(),
      rate_limited: Type.Integer(),
      waited_ms: Type.Integer(),
    }),
  ),
  calls: Type.Array(
    Type.Object({
      connection_id: Type.String(),
      description: Type.String(),
      method: Type.String(),
      path: Type.String(),
      query: Nullable(Type.Record(Type.String(), Type.Array(Type.String()))),
      body: Type.Unknown(),
      url: Type.String(),
      outcome: Outcome,
      status: Nullable(Type.Integer()),
      error: Nullable(PartErrorSchema),
    }),
  ),
  notes: Type.Array(Type.String()),
  /** The accounts concerned, as unified users after the action. */
  users: Type.Array(Type.Unknown()),
  started_at: Type.String(),
  finished_at: Type.String(),
})
