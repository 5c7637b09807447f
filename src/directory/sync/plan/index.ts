import type { ConnectionRow } from '../../../store/queries/connections.js'
import type { NewDirEvent } from '../../../store/queries/dir-events.js'
import type { DirGroupRow, DirMembershipRow } from '../../../store/queries/dir-groups.js'
import type { DirRoleRow } from '../../../store/queries/dir-roles.js'
import type { DirUserRow } from '../../../store/queries/dir-users.js'
import type { DirGroupTable, DirRoleTable, DirUserTable } from '../../../store/tables.js'
import { eventBuilder } from '../../events.js'
import type { UnifiedWorkspaceRef } from '../../schemas/unified.js'
import type { RemoteSnapshot } from '../remote.js'
import type { Counts } from '../schemas.js'
import type { PlanContext, RowUpdate, Tally } from './context.js'
import { orderEvents } from './events.js'
import { planGroups } from './groups.js'
import { planMemberships } from './memberships.js'
import { planRoles } from './roles.js'
import { planUsers } from './users.js'

/** What the store holds for one connection when the diff is computed (read inside the write transaction). */
export interface Existing {
  users: DirUserRow[]
  groups: DirGroupRow[]
  roles: DirRoleRow[]
  memberships: DirMembershipRow[]
}

export interface PlanInput {
  connection: ConnectionRow
  workspace: UnifiedWorkspaceRef
  runId: string
  now: string
  existing: Existing
  snapshot: RemoteSnapshot
  /** Every list read to its end and every call answered: only then may records be removed. */
  complete: boolean
  /** Subjects something else (an action) changed while this run was reading: left alone until the next run. */
  touched: ReadonlySet<string>
  driftThreshold: number
  newId: () => string
}

export interface SyncPlan {
  insertUsers: DirUserRow[]
  updateUsers: RowUpdate<DirUserTable>[]
  insertGroups: DirGroupRow[]
  updateGroups: RowUpdate<DirGroupTable>[]
  insertRoles: DirRoleRow[]
  updateRoles: RowUpdate<DirRoleTable>[]
  insertMemberships: DirMembershipRow[]
  deleteMemberships: { group_id: string; user_id: string }[]
  events: NewDirEvent[]
  seen: Counts
  created: Counts
  updated: Counts
  removed: Counts
  /** Directory user ids the drift guard held back instead of marking deleted. */
  pendingDeletions: string[]
}

/**
 * The diff of one run: what to insert, rewrite and remove so the store matches the remote, and the change
 * events that say so, in replay order. Pure: the caller applies it. One planner per entity, each fed the
 * rows the previous ones leave (memberships name groups and accounts as they stand after the run).
 * `last_seen_at` is not refreshed on unchanged rows (the read API shows the connection's last complete
 * sync for live rows instead).
 */
export function planSync(input: PlanInput): SyncPlan {
  const { existing, snapshot } = input
  const at: PlanContext = {
    connectionId: input.connection.id,
    now: input.now,
    lastCompleteSyncAt: input.connection.last_complete_sync_at,
    complete: input.complete,
    touched: input.touched,
    newId: input.newId,
  }
  const roles = planRoles(at, existing.roles, snapshot.roles)
  const groups = planGroups(at, existing.groups, snapshot)
  const users = planUsers(at, existing.users, snapshot, input.driftThreshold)
  const memberships = planMemberships(at, {
    existing: existing.memberships,
    snapshot,
    groups: groups.after,
    users: users.after,
    held: new Set(users.held),
  })
  const event = eventBuilder({ connectionId: at.connectionId, runId: input.runId, now: at.now, newId: at.newId })
  const counts = (of: keyof Tally): Counts => ({
    users: users.tally[of],
    groups: groups.tally[of],
    memberships: memberships.tally[of],
    roles: roles.tally[of],
  })
  return {
    insertUsers: users.insert,
    updateUsers: users.update,
    insertGroups: groups.insert,
    updateGroups: groups.update,
    insertRoles: roles.insert,
    updateRoles: roles.update,
    insertMemberships: memberships.insert,
    deleteMemberships: memberships.remove,
    events: orderEvents(event, { workspace: input.workspace, groups, users, memberships, before: existing }),
    seen: counts('seen'),
    created: counts('created'),
    updated: counts('updated'),
    removed: counts('removed'),
    pendingDeletions: users.held,
  }
}
