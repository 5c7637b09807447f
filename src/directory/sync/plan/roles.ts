import type { DirRoleRow } from '../../../store/queries/dir-roles.js'
import type { DirRoleTable } from '../../../store/tables.js'
import { canonicalJson, fingerprint } from '../fingerprint.js'
import type { RemoteRole } from '../remote.js'
import { emptyTally, lastSeenBefore, type PlanContext, type RowUpdate, type Tally } from './context.js'

export interface RolesPlan {
  insert: DirRoleRow[]
  update: RowUpdate<DirRoleTable>[]
  tally: Tally
}

/** The role rows to write so the store matches the remote's roles (no events: the feed covers users, groups, memberships). */
export function planRoles(at: PlanContext, existing: readonly DirRoleRow[], remote: readonly RemoteRole[]): RolesPlan {
  const plan: RolesPlan = { insert: [], update: [], tally: emptyTally() }
  const byRemote = new Map(existing.map((r) => [r.remote_id, r]))
  const seen = new Set<string>()
  for (const role of remote) {
    if (seen.has(role.id)) continue
    seen.add(role.id)
    plan.tally.seen++
    const record = { remote_id: role.id, name: role.name, description: role.description ?? '', remote_data: canonicalJson(role) }
    const fp = fingerprint([record.remote_id, record.name, record.description, record.remote_data])
    const row = byRemote.get(role.id)
    if (!row) {
      const fresh = { first_seen_at: at.now, last_seen_at: at.now, deleted_at: null }
      plan.insert.push({ id: at.newId(), connection_id: at.connectionId, ...record, fingerprint: fp, ...fresh })
      plan.tally.created++
    } else if (row.fingerprint !== fp || row.deleted_at !== null) {
      plan.update.push({ id: row.id, changes: { ...record, fingerprint: fp, last_seen_at: at.now, deleted_at: null } })
      plan.tally.updated++
    }
  }
  if (!at.complete) return plan
  for (const row of existing)
    if (row.deleted_at === null && !seen.has(row.remote_id)) {
      plan.update.push({
        id: row.id,
        changes: { deleted_at: at.now, last_seen_at: lastSeenBefore(row.last_seen_at, at.lastCompleteSyncAt) },
      })
      plan.tally.removed++
    }
  return plan
}
