import type { DirGroupRow } from '../../../store/queries/dir-groups.js'
import type { DirGroupTable } from '../../../store/tables.js'
import type { GroupRole } from '../../schemas/unified.js'
import { canonicalJson, groupFingerprint } from '../fingerprint.js'
import type { RemoteGroup, RemotePermission, RemoteSnapshot } from '../remote.js'
import { emptyTally, lastSeenBefore, type PlanContext, type RowUpdate, type Tally } from './context.js'

/** A group the run created (no `before`) or rewrote. */
export interface GroupChange {
  after: DirGroupRow
  before?: DirGroupRow
}

export interface GroupsPlan {
  insert: DirGroupRow[]
  update: RowUpdate<DirGroupTable>[]
  tally: Tally
  /** Created and rewritten groups, in the remote's list order. */
  changes: GroupChange[]
  /** Groups marked deleted, as they stand after the run. */
  deleted: DirGroupRow[]
  /** Every group row as it stands after the run, by remote id. */
  after: ReadonlyMap<string, DirGroupRow>
}

function groupRoles(permissions: readonly RemotePermission[] | undefined): GroupRole[] {
  return (permissions ?? []).map((p) => ({ id: p.roleId, name: p.roleName, resources: p.resources }))
}

const recordOf = (group: RemoteGroup) => ({
  remote_id: group.id,
  name: group.name,
  member_count: group.memberCount ?? 0,
  roles: canonicalJson(groupRoles(group.permissions)),
  remote_data: canonicalJson(group),
})

/**
 * The group rows to write so the store matches the remote's groups. Nothing when the remote's plan has no
 * groups (they were not read at all); groups an action touched mid-run are left alone.
 */
export function planGroups(
  at: PlanContext,
  existing: readonly DirGroupRow[],
  snapshot: Pick<RemoteSnapshot, 'groups' | 'groupsSupported'>,
): GroupsPlan {
  const after = new Map(existing.map((g) => [g.remote_id, g]))
  const plan: GroupsPlan = { insert: [], update: [], tally: emptyTally(), changes: [], deleted: [], after }
  if (!snapshot.groupsSupported) return plan
  const byRemote = new Map(after)
  const seen = new Set<string>()
  const rewrite = <C extends RowUpdate<DirGroupTable>['changes']>(row: DirGroupRow, changes: C): DirGroupRow => {
    const rewritten: DirGroupRow = { ...row, ...changes }
    plan.update.push({ id: row.id, changes })
    after.set(row.remote_id, rewritten)
    return rewritten
  }
  for (const group of snapshot.groups) {
    if (seen.has(group.id)) continue
    seen.add(group.id)
    plan.tally.seen++
    const record = recordOf(group)
    const fp = groupFingerprint(record)
    const row = byRemote.get(group.id)
    if (!row) {
      const fresh = { first_seen_at: at.now, last_seen_at: at.now, deleted_at: null }
      const inserted: DirGroupRow = { id: at.newId(), connection_id: at.connectionId, ...record, fingerprint: fp, ...fresh }
      plan.insert.push(inserted)
      after.set(group.id, inserted)
      plan.changes.push({ after: inserted })
      plan.tally.created++
    } else if ((row.fingerprint !== fp || row.deleted_at !== null) && !at.touched.has(row.id)) {
      const rewritten = rewrite(row, { ...record, fingerprint: fp, last_seen_at: at.now, deleted_at: null })
      plan.changes.push({ after: rewritten, before: row })
      plan.tally.updated++
    }
  }
  if (!at.complete) return plan
  for (const row of existing)
    if (row.deleted_at === null && !seen.has(row.remote_id) && !at.touched.has(row.id)) {
      plan.deleted.push(rewrite(row, { deleted_at: at.now, last_seen_at: lastSeenBefore(row.last_seen_at, at.lastCompleteSyncAt) }))
      plan.tally.removed++
    }
  return plan
}
