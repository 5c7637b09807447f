import type { ConnectionRow } from '../../store/queries/connections.js'
import type { ActionName, PartError } from './schemas.js'

/* What an action plans before it sends anything; the models of its input and answer are in schemas.ts. */

export type {
  ActionInputs,
  ActionName,
  ActionResult,
  ActionStatus,
  CallOutcome,
  CallResult,
  PartError,
  PartResult,
  PartStatus,
} from './schemas.js'

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
