import { emailKey } from '../../../email.js'
import type { DirGroupRow, DirMembershipRow } from '../../../store/queries/dir-groups.js'
import type { DirUserRow } from '../../../store/queries/dir-users.js'
import type { RemoteSnapshot } from '../remote.js'
import { emptyTally, type PlanContext, type Tally } from './context.js'

/** A membership added or removed, with its group and account as they stand after the run. */
export interface MembershipChange {
  group: DirGroupRow
  user: DirUserRow
  created_at: string
}

export interface MembershipsPlan {
  insert: DirMembershipRow[]
  remove: { group_id: string; user_id: string }[]
  tally: Tally
  added: MembershipChange[]
  /** Removed memberships whose group and account are both known (each gets an event). */
  removed: MembershipChange[]
  /** Every membership after the run, by `group_id user_id`. */
  after: ReadonlyMap<string, DirMembershipRow>
}

export interface MembershipInputs {
  existing: readonly DirMembershipRow[]
  snapshot: Pick<RemoteSnapshot, 'groups' | 'members' | 'groupsSupported'>
  /** Group rows after the groups planner, by remote id. */
  groups: ReadonlyMap<string, DirGroupRow>
  /** Account rows after the users planner, by email key. */
  users: ReadonlyMap<string, DirUserRow>
  /** Accounts the drift guard held: their memberships wait with them. */
  held: ReadonlySet<string>
}

const keyOf = (m: { group_id: string; user_id: string }) => `${m.group_id} ${m.user_id}`

/**
 * The memberships to add and remove so the store matches the remote's group member and invite lists.
 * A member the users and invites lists did not name (it joined between the reads) waits for the next run;
 * memberships of touched accounts or groups are left alone.
 */
export function planMemberships(at: PlanContext, input: MembershipInputs): MembershipsPlan {
  const after = new Map(input.existing.map((m) => [keyOf(m), m]))
  const plan: MembershipsPlan = { insert: [], remove: [], tally: emptyTally(), added: [], removed: [], after }
  if (!input.snapshot.groupsSupported) return plan
  const before = new Map(after)
  const wanted = new Set<string>()
  for (const group of input.snapshot.groups) {
    const groupRow = input.groups.get(group.id)
    const lists = input.snapshot.members.get(group.id)
    if (!groupRow || !lists) continue
    for (const email of [...lists.users.map((u) => u.email), ...lists.invites]) {
      const userRow = input.users.get(emailKey(email))
      if (!userRow || userRow.status === 'deleted') continue
      const row: DirMembershipRow = { group_id: groupRow.id, user_id: userRow.id, connection_id: at.connectionId, created_at: at.now }
      const k = keyOf(row)
      if (wanted.has(k)) continue
      wanted.add(k)
      plan.tally.seen++
      if (before.has(k) || at.touched.has(userRow.id) || at.touched.has(groupRow.id)) continue
      plan.insert.push(row)
      after.set(k, row)
      plan.added.push({ group: groupRow, user: userRow, created_at: at.now })
      plan.tally.created++
    }
  }
  if (!at.complete) return plan
  const groupsById = new Map([...input.groups.values()].map((g) => [g.id, g]))
  const usersById = new Map([...input.users.values()].map((u) => [u.id, u]))
  for (const [k, m] of before) {
    if (wanted.has(k) || input.held.has(m.user_id) || at.touched.has(m.user_id) || at.touched.has(m.group_id)) continue
    plan.remove.push({ group_id: m.group_id, user_id: m.user_id })
    after.delete(k)
    const [group, user] = [groupsById.get(m.group_id), usersById.get(m.user_id)]
    if (group && user) plan.removed.push({ group, user, created_at: m.created_at })
    plan.tally.removed++
  }
  return plan
}
