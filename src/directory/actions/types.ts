import type { ConnectionRow } from '../../store/queries/connections.js'
import type { UnifiedUser, UnifiedWorkspaceRef } from '../model.js'

export const ACTION_NAMES = ['invite', 'add_to_groups', 'remove_from_groups', 'remove_from_all_groups', 'offboard'] as const
export type ActionName = (typeof ACTION_NAMES)[number]

export interface InviteInput {
  connection_id: string
  email: string
  /** Segment role ids (as users' `roles[].id` show them) or directory role ids; granted on the workspace. */
  role_ids?: string[]
  /** Directory group ids (as `/directory/groups` and users' `groups[].id` show them); remote ids are accepted too. */
  group_ids?: string[]
}

export interface GroupsInput {
  /** A directory user id: a member or an invite. */
  user_id: string
  group_ids: string[]
}

export interface UserInput {
  user_id: string
}

export interface OffboardInput {
  email: string
}

export interface ActionInputs {
  invite: InviteInput
  add_to_groups: GroupsInput
  remove_from_groups: GroupsInput
  remove_from_all_groups: UserInput
  offboard: OffboardInput
}

/** What a successful call changes in the directory (applied at once, in one transaction after the calls). */
export type Effect =
  /** An invited account for this email (created, or revived from a tombstone). */
  | { kind: 'invite'; email: string }
  /** A membership; `userId` null when the account is the one the same action's invite creates. */
  | { kind: 'add'; groupId: string; userId: string | null; emailKey: string }
  | { kind: 'remove'; groupId: string; userId: string }
  /** The account is gone: tombstoned, its memberships removed. */
  | { kind: 'delete'; userId: string }
  /** Nothing to record (a member's lingering invite withdrawn beside the member's own deletion). */
  | { kind: 'none' }

export interface PlannedCall {
  method: 'POST' | 'DELETE'
  path: string
  /** Array parameters only (`userIds`, `emails`), encoded as the SDK does: `userIds%5B0%5D=…`. */
  query?: Record<string, string[]>
  body?: unknown
  /** In words: "invite ada@example.com", "add ada@example.com to eng". */
  description: string
  effect: Effect
  /** A failure stops the later calls of this connection (a group add after a failed invite would invite without roles). */
  gate: boolean
  /** Remote statuses that mean "so already" (a delete whose earlier answer was lost answers 404). */
  alreadyDone: readonly number[]
}

export interface PartError {
  /**
   * `needs_reauth`, or the remote's error type (`not-found`, `conflict`, `server`, …), or, when no answer
   * came: `host_not_allowed`, `too_large`, `timeout`, `network`.
   */
  type: string
  status: number | null
  message: string
}

/** One connection's share of an action. */
export interface PlannedPart {
  connection: ConnectionRow
  calls: PlannedCall[]
  /** What was so already and therefore not done. */
  noops: string[]
  /** Set when the part cannot run at all (the connection needs a new token): nothing is sent. */
  blocked: PartError | null
}

export interface ActionPlan {
  action: ActionName
  parts: PlannedPart[]
  /** Notes on the action as a whole (offboarding someone the directory does not know). */
  notes: string[]
  /** Directory accounts the action is about, shown in the result. */
  userIds: string[]
}

export type CallOutcome = 'planned' | 'succeeded' | 'already_done' | 'failed' | 'not_attempted'

export interface CallResult {
  connection_id: string
  description: string
  method: 'POST' | 'DELETE'
  /** The path as sent (ids percent-encoded), relative to the connection's base URL. */
  path: string
  /** The query as given to the client; `url` shows how it goes on the wire. */
  query: Record<string, string[]> | null
  body: unknown
  /** The exact URL: base URL, path and the query encoded as Segment's SDK does. */
  url: string
  outcome: CallOutcome
  /** The remote's HTTP status (null when planned, not attempted, or no answer came). */
  status: number | null
  error: PartError | null
}

export type PartStatus = 'planned' | 'succeeded' | 'partial' | 'failed' | 'noop'

export interface PartResult {
  connection_id: string
  connection_name: string
  workspace: UnifiedWorkspaceRef
  status: PartStatus
  error: PartError | null
  noops: string[]
  requests: number
  retries: number
  rate_limited: number
  waited_ms: number
}

export type ActionStatus = 'planned' | 'succeeded' | 'partial' | 'failed' | 'noop'

export interface ActionResult {
  id: string
  action: ActionName
  dry_run: boolean
  /**
   * `succeeded`: every call did what it should. `partial`: some did, some failed (see `connections`).
   * `failed`: none did. `noop`: there was nothing to do. `planned`: a dry run.
   */
  status: ActionStatus
  summary: { calls: number; succeeded: number; already_done: number; failed: number; not_attempted: number }
  connections: PartResult[]
  calls: CallResult[]
  notes: string[]
  /** The accounts concerned, as the directory holds them after the action. */
  users: UnifiedUser[]
  started_at: string
  finished_at: string
}
