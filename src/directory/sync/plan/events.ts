import type { NewDirEvent } from '../../../store/queries/dir-events.js'
import type { DirGroupRow, DirMembershipRow } from '../../../store/queries/dir-groups.js'
import type { eventBuilder } from '../../events.js'
import type { UnifiedWorkspaceRef } from '../../schemas/unified.js'
import { presentGroup, presentMembership, presentUser } from '../present.js'
import type { GroupsPlan } from './groups.js'
import type { MembershipChange, MembershipsPlan } from './memberships.js'
import type { UsersPlan } from './users.js'

export interface ReplayInput {
  workspace: UnifiedWorkspaceRef
  groups: Pick<GroupsPlan, 'changes' | 'deleted' | 'after'>
  users: Pick<UsersPlan, 'changes' | 'deleted'>
  memberships: Pick<MembershipsPlan, 'added' | 'removed' | 'after'>
  /** The store before the run: an update's `previous` lists the groups its account was in then. */
  before: { groups: readonly DirGroupRow[]; memberships: readonly DirMembershipRow[] }
}

/** The live groups each account is in, in membership order. */
function groupsOfUsers(memberships: Iterable<DirMembershipRow>, groups: Iterable<DirGroupRow>): Map<string, DirGroupRow[]> {
  const byId = new Map([...groups].map((g) => [g.id, g]))
  const index = new Map<string, DirGroupRow[]>()
  for (const m of memberships) {
    const g = byId.get(m.group_id)
    if (!g || g.deleted_at !== null) continue
    const list = index.get(m.user_id)
    if (list) list.push(g)
    else index.set(m.user_id, [g])
  }
  return index
}

/**
 * The run's change events, in an order a consumer can replay: groups and users created or changed, then
 * the memberships naming them added, then memberships removed, and only then the users and groups that
 * went. Each payload is the object as the run left it (`previous`: as it was), its groups included.
 */
export function orderEvents(event: ReturnType<typeof eventBuilder>, input: ReplayInput): NewDirEvent[] {
  const { workspace, groups, users, memberships } = input
  // Only changed accounts carry their groups (a deleted one carries none): skip the indexes otherwise.
  const indexed = users.changes.length > 0
  const groupsAfter = indexed ? groupsOfUsers(memberships.after.values(), groups.after.values()) : new Map<string, DirGroupRow[]>()
  const groupsBefore = indexed ? groupsOfUsers(input.before.memberships, input.before.groups) : new Map<string, DirGroupRow[]>()
  const membership = (m: MembershipChange) => presentMembership(m.group, m.user, workspace, m.created_at)
  return [
    ...groups.changes.map(({ after, before }) =>
      before
        ? event('group.updated', after.id, { ...presentGroup(after, workspace), previous: presentGroup(before, workspace) })
        : event('group.created', after.id, presentGroup(after, workspace)),
    ),
    ...users.changes.map(({ type, after, before }) => {
      const data = presentUser(after, workspace, groupsAfter.get(after.id) ?? [])
      return event(type, after.id, before ? { ...data, previous: presentUser(before, workspace, groupsBefore.get(before.id) ?? []) } : data)
    }),
    ...memberships.added.map((m) => event('membership.added', m.user.id, membership(m))),
    ...memberships.removed.map((m) => event('membership.removed', m.user.id, membership(m))),
    ...users.deleted.map((row) => event('user.deleted', row.id, presentUser(row, workspace, []))),
    ...groups.deleted.map((row) => event('group.deleted', row.id, presentGroup(row, workspace))),
  ]
}
