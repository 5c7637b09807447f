import { type Static, type TObject, type TProperties, Type } from '@sinclair/typebox'
import { DirId, Nullable, type UnifiedUser, WorkspaceRef } from '../schemas/unified.js'

/*
 * The one declaration of the actions' models: these schemas validate the bodies, shape and document the
 * answers (/openapi.json), and the types in types.ts come from them.
 */

const Email = Type.String({ format: 'email', minLength: 3, maxLength: 254 })
const Ids = Type.Array(DirId, { minItems: 1, maxItems: 100 })
/** Every action takes it: answer with the calls the action would make, and change nothing. */
const DryRun = Type.Optional(Type.Boolean())

const body = <P extends TProperties>(properties: P) => Type.Object({ ...properties, dry_run: DryRun }, { additionalProperties: false })

export const ACTION_BODIES = {
  invite: body({
    connection_id: DirId,
    email: Email,
    /** Segment role ids (as users' `roles[].id` show them) or directory role ids; granted on the workspace. */
    role_ids: Type.Optional(Type.Array(DirId, { maxItems: 100 })),
    /** Directory group ids (as `/directory/groups` and users' `groups[].id` show them); remote ids are accepted too. */
    group_ids: Type.Optional(Type.Array(DirId, { maxItems: 100 })),
  }),
  /** `user_id`: a directory user id, a member or an invite. */
  add_to_groups: body({ user_id: DirId, group_ids: Ids }),
  remove_from_groups: body({ user_id: DirId, group_ids: Ids }),
  remove_from_all_groups: body({ user_id: DirId }),
  offboard: body({ email: Email }),
} satisfies Record<string, TObject>

export type ActionName = keyof typeof ACTION_BODIES

/** What each action takes: its body without `dry_run` (which says whether to act, not what to do). */
export type ActionInputs = { [A in ActionName]: Omit<Static<(typeof ACTION_BODIES)[A]>, 'dry_run'> }

/**
 * Fields the answer documents as a plain string or any value (as /openapi.json always has), typed here as
 * what they hold.
 */
const StringOf = <T extends string>() => Type.Unsafe<T>(Type.String())
const ValueOf = <T>() => Type.Unsafe<T>(Type.Unknown())

const PartErrorSchema = Type.Object({
  /**
   * `needs_reauth`, or the remote's error type (`not-found`, `conflict`, `server`, …), or, when no answer
   * came: `host_not_allowed`, `too_large`, `timeout`, `network`.
   */
  type: Type.String(),
  status: Nullable(Type.Integer()),
  message: Type.String(),
})

const OUTCOMES = ['planned', 'succeeded', 'already_done', 'failed', 'not_attempted'] as const
const STATUSES = ['planned', 'succeeded', 'partial', 'failed', 'noop'] as const
const Outcome = Type.Union(OUTCOMES.map((o) => Type.Literal(o)))
const Status = Type.Union(STATUSES.map((s) => Type.Literal(s)))

/** One connection's share of an action. */
const PartResultSchema = Type.Object({
  connection_id: Type.String(),
  connection_name: Type.String(),
  workspace: WorkspaceRef,
  status: Status,
  error: Nullable(PartErrorSchema),
  /** What was so already and therefore not done. */
  noops: Type.Array(Type.String()),
  requests: Type.Integer(),
  retries: Type.Integer(),
  rate_limited: Type.Integer(),
  waited_ms: Type.Integer(),
})

const CallResultSchema = Type.Object({
  connection_id: Type.String(),
  /** In words: "invite ada@example.com", "add ada@example.com to eng". */
  description: Type.String(),
  method: StringOf<'POST' | 'DELETE'>(),
  /** The path as sent (ids percent-encoded), relative to the connection's base URL. */
  path: Type.String(),
  /** The query as given to the client; `url` shows how it goes on the wire. */
  query: Nullable(Type.Record(Type.String(), Type.Array(Type.String()))),
  body: Type.Unknown(),
  /** The exact URL: base URL, path and the query encoded as Segment's SDK does. */
  url: Type.String(),
  outcome: Outcome,
  /** The remote's HTTP status (null when planned, not attempted, or no answer came). */
  status: Nullable(Type.Integer()),
  error: Nullable(PartErrorSchema),
})

export const ActionResultSchema = Type.Object({
  id: Type.String(),
  action: StringOf<ActionName>(),
  dry_run: Type.Boolean(),
  /**
   * `succeeded`: every call did what it should. `partial`: some did, some failed (see `connections`).
   * `failed`: none did. `noop`: there was nothing to do. `planned`: a dry run.
   */
  status: Status,
  summary: Type.Object({
    calls: Type.Integer(),
    succeeded: Type.Integer(),
    already_done: Type.Integer(),
    failed: Type.Integer(),
    not_attempted: Type.Integer(),
  }),
  connections: Type.Array(PartResultSchema),
  calls: Type.Array(CallResultSchema),
  /** Notes on the action as a whole (offboarding someone the directory does not know). */
  notes: Type.Array(Type.String()),
  /** The accounts concerned, as unified users after the action. */
  users: Type.Array(ValueOf<UnifiedUser>()),
  started_at: Type.String(),
  finished_at: Type.String(),
})

export type PartError = Static<typeof PartErrorSchema>
export type CallOutcome = (typeof OUTCOMES)[number]
export type PartStatus = (typeof STATUSES)[number]
export type ActionStatus = PartStatus
export type PartResult = Static<typeof PartResultSchema>
export type CallResult = Static<typeof CallResultSchema>
export type ActionResult = Static<typeof ActionResultSchema>
