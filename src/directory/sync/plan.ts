import type { Updateable } from 'kysely'
import type { ConnectionRow } from '../../store/queries/connections.js'
import type { DirGroupRow, DirMembershipRow, DirRoleRow, DirUserRow, NewDirEvent } from '../../store/queries/dir-sync.js'
import type { DirGroupTable, DirRoleTable, DirUserStatus, DirUserTable } from '../../store/tables.js'
import type { DirectoryEventType, UnifiedUserRole, UnifiedWorkspaceRef } from '../model.js'
import { canonicalJson, fingerprint } from './fingerprint.js'
import { type GroupRole, presentGroup, presentMembership, presentUser } from './present.js'
import type { RemotePermission, RemoteSnapshot } from './remote.js'

/** Counts per kind of record. `users` are accounts: members and invites. */
export interface Counts {
  users: number
  groups: number
  memberships: number
  roles: number
}

export const zeroCounts = (): Counts => ({ users: 0, groups: 0, memberships: 0, roles: 0 })

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
  updateUsers: { id: string; changes: Updateable<DirUserTable> }[]
  insertGroups: DirGroupRow[]
  updateGroups: { id: string; changes: Updateable<DirGroupTable> }[]
  insertRoles: DirRoleRow[]
  updateRoles: { id: string; changes: Updateable<DirRoleTable> }[]
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

interface DesiredUser {
  remote_id: string | null
  email: string
  name: string | null
  status: DirUserStatus
  roles: UnifiedUserRole[]
  remote_data: { user?: unknown; invite?: string }
}

export const emailKey = (email: string): string => email.trim().toLowerCase()

function directRoles(permissions: readonly RemotePermission[] | undefined): UnifiedUserRole[] {
  return (permissions ?? []).map((p) => ({ id: p.roleId, name: p.roleName, resources: p.resources, via: 'direct' as const }))
}

function groupRoles(permissions: readonly RemotePermission[] | undefined): GroupRole[] {
  return (permissions ?? []).map((p) => ({ id: p.roleId, name: p.roleName, resources: p.resources }))
}

/** The fingerprint of a group row; like `userFingerprint`, shared with whatever else writes group rows. */
export function groupFingerprint(g: { remote_id: string; name: string; member_count: number; roles: string; remote_data: string }): string {
  return fingerprint([g.remote_id, g.name, g.member_count, g.roles, g.remote_data])
}

/**
 * The fingerprint of an account row: its normalised fields, with `roles` and `remote_data` as the
 * canonical JSON the row stores (so hashing never re-parses them). Anything that writes account rows
 * should store the same canonical JSON and this fingerprint, or the next sync rewrites the row.
 */
export function userFingerprint(u: {
  remote_id: string | null
  email: string
  name: string | null
  status: DirUserStatus
  roles: string
  remote_data: string
}): string {
  return fingerprint([u.remote_id, u.email, u.name, u.status, u.roles, u.remote_data])
}

const maxTime = (a: string, b: string | null) => (b !== null && b > a ? b : a)

/**
 * The diff of one run: what to insert, rewrite and remove so the store matches the remote, and the
 * change events that say so, in an order a consumer can replay (groups and users before the memberships
 * that name them, memberships removed before their user or group goes). Pure: the caller applies it.
 *
 * Users are keyed by lower-cased email within the connection, so an invite that becomes a member keeps
 * its row and id. A row is rewritten only when its fingerprint changes; `last_seen_at` is not refreshed on
 * unchanged rows (the read API shows the connection's last complete sync for live rows instead).
 */
export function planSync(input: PlanInput): SyncPlan {
  const { existing, snapshot, now, runId, workspace, touched, complete } = input
  const connectionId = input.connection.id
  const plan: SyncPlan = {
    insertUsers: [],
    updateUsers: [],
    insertGroups: [],
    updateGroups: [],
    insertRoles: [],
    updateRoles: [],
    insertMemberships: [],
    deleteMemberships: [],
    events: [],
    seen: zeroCounts(),
    created: zeroCounts(),
    updated: zeroCounts(),
    removed: zeroCounts(),
    pendingDeletions: [],
  }
  const lastComplete = input.connection.last_complete_sync_at

  // --- roles (no events: the change feed covers users, groups and memberships) ---
  const rolesByRemote = new Map(existing.roles.map((r) => [r.remote_id, r]))
  const seenRoles = new Set<string>()
  for (const role of snapshot.roles) {
    if (seenRoles.has(role.id)) continue
    seenRoles.add(role.id)
    plan.seen.roles++
    const record = { remote_id: role.id, name: role.name, description: role.description ?? '', remote_data: canonicalJson(role) }
    const fp = fingerprint([record.remote_id, record.name, record.description, record.remote_data])
    const row = rolesByRemote.get(role.id)
    if (!row) {
      plan.insertRoles.push({
        id: input.newId(),
        connection_id: connectionId,
        ...record,
        fingerprint: fp,
        first_seen_at: now,
        last_seen_at: now,
        deleted_at: null,
      })
      plan.created.roles++
    } else if (row.fingerprint !== fp || row.deleted_at !== null) {
      plan.updateRoles.push({ id: row.id, changes: { ...record, fingerprint: fp, last_seen_at: now, deleted_at: null } })
      plan.updated.roles++
    }
  }
  if (complete)
    for (const row of existing.roles)
      if (row.deleted_at === null && !seenRoles.has(row.remote_id)) {
        plan.updateRoles.push({ id: row.id, changes: { deleted_at: now, last_seen_at: maxTime(row.last_seen_at, lastComplete) } })
        plan.removed.roles++
      }

  // --- groups ---
  const groupsById = new Map(existing.groups.map((g) => [g.id, g]))
  const groupsByRemote = new Map(existing.groups.map((g) => [g.remote_id, g]))
  /** The group rows as they stand after this run, by remote id. */
  const groupAfter = new Map<string, DirGroupRow>(existing.groups.map((g) => [g.remote_id, g]))
  const groupEvents: NewDirEvent[] = []
  const groupDeletions: NewDirEvent[] = []
  const seenGroups = new Set<string>()
  const event = (type: DirectoryEventType, subjectId: string, data: unknown): NewDirEvent => ({
    id: input.newId(),
    type,
    connection_id: connectionId,
    subject_id: subjectId,
    sync_run_id: runId,
    data: JSON.stringify(data),
    created_at: now,
  })
  if (snapshot.groupsSupported) {
    for (const group of snapshot.groups) {
      if (seenGroups.has(group.id)) continue
      seenGroups.add(group.id)
      plan.seen.groups++
      const record = {
        remote_id: group.id,
        name: group.name,
        member_count: group.memberCount ?? 0,
        roles: canonicalJson(groupRoles(group.permissions)),
        remote_data: canonicalJson(group),
      }
      const fp = groupFingerprint(record)
      const row = groupsByRemote.get(group.id)
      if (!row) {
        const inserted: DirGroupRow = {
          id: input.newId(),
          connection_id: connectionId,
          ...record,
          fingerprint: fp,
          first_seen_at: now,
          last_seen_at: now,
          deleted_at: null,
        }
        plan.insertGroups.push(inserted)
        groupAfter.set(group.id, inserted)
        groupsById.set(inserted.id, inserted)
        groupEvents.push(event('group.created', inserted.id, presentGroup(inserted, workspace)))
        plan.created.groups++
      } else if ((row.fingerprint !== fp || row.deleted_at !== null) && !touched.has(row.id)) {
        const changes = { ...record, fingerprint: fp, last_seen_at: now, deleted_at: null }
        const after: DirGroupRow = { ...row, ...changes }
        plan.updateGroups.push({ id: row.id, changes })
        groupAfter.set(group.id, after)
        groupsById.set(row.id, after)
        groupEvents.push(event('group.updated', row.id, { ...presentGroup(after, workspace), previous: presentGroup(row, workspace) }))
        plan.updated.groups++
      }
    }
    if (complete)
      for (const row of existing.groups)
        if (row.deleted_at === null && !seenGroups.has(row.remote_id) && !touched.has(row.id)) {
          const changes = { deleted_at: now, last_seen_at: maxTime(row.last_seen_at, lastComplete) }
          const after: DirGroupRow = { ...row, ...changes }
          plan.updateGroups.push({ id: row.id, changes })
          groupAfter.set(row.remote_id, after)
          groupsById.set(row.id, after)
          groupDeletions.push(event('group.deleted', row.id, presentGroup(after, workspace)))
          plan.removed.groups++
        }
  }

  // --- users (members and invites) ---
  const desired = new Map<string, DesiredUser>()
  for (const user of snapshot.users) {
    const key = emailKey(user.email)
    if (desired.has(key)) continue
    desired.set(key, {
      remote_id: user.id,
      email: user.email,
      name: user.name ?? null,
      status: 'active',
      roles: directRoles(user.permissions),
      remote_data: { user },
    })
  }
  for (const email of snapshot.invites) {
    const key = emailKey(email)
    const member = desired.get(key)
    // A member who is still listed as invited (an accepted invite lingering) is a member.
    if (member) member.remote_data = { ...member.remote_data, invite: email }
    else desired.set(key, { remote_id: null, email, name: null, status: 'invited', roles: [], remote_data: { invite: email } })
  }
  plan.seen.users = desired.size
  const usersComplete = !snapshot.incomplete.includes('/users')

  const usersByKey = new Map(existing.users.map((u) => [u.email_key, u]))
  /** Account rows as they stand after this run, by email key. */
  const userAfter = new Map<string, DirUserRow>(existing.users.map((u) => [u.email_key, u]))
  const userChanges: { type: DirectoryEventType; after: DirUserRow; before?: DirUserRow }[] = []
  for (const [key, want] of desired) {
    const roles = canonicalJson(want.roles)
    const remoteData = canonicalJson(want.remote_data)
    const fp = userFingerprint({ ...want, roles, remote_data: remoteData })
    const row = usersByKey.get(key)
    if (!row) {
      const inserted: DirUserRow = {
        id: input.newId(),
        connection_id: connectionId,
        remote_id: want.remote_id,
        email: want.email,
        email_key: key,
        name: want.name,
        status: want.status,
        roles,
        remote_data: remoteData,
        fingerprint: fp,
        first_seen_at: now,
        last_seen_at: now,
        last_changed_at: now,
        deleted_at: null,
      }
      plan.insertUsers.push(inserted)
      userAfter.set(key, inserted)
      userChanges.push({ type: 'user.created', after: inserted })
      plan.created.users++
      continue
    }
    if (touched.has(row.id)) continue
    if (row.fingerprint === fp && row.status !== 'deleted') continue
    // A short users list cannot prove a member became a mere invite.
    if (!usersComplete && row.status === 'active' && want.status === 'invited') continue
    const changes = {
      remote_id: want.remote_id,
      email: want.email,
      name: want.name,
      status: want.status,
      roles,
      remote_data: remoteData,
      fingerprint: fp,
      last_seen_at: now,
      last_changed_at: now,
      deleted_at: null,
    }
    const after: DirUserRow = { ...row, ...changes }
    plan.updateUsers.push({ id: row.id, changes })
    userAfter.set(key, after)
    userChanges.push({ type: row.status === 'deleted' ? 'user.reactivated' : 'user.updated', after, before: row })
    plan.updated.users++
  }

  // Deletions, behind the drift guard: a run that would remove too large a share of the accounts holds them.
  const missing = complete ? existing.users.filter((u) => u.status !== 'deleted' && !desired.has(u.email_key) && !touched.has(u.id)) : []
  const live = existing.users.filter((u) => u.status !== 'deleted').length
  const held = missing.length > 0 && missing.length > input.driftThreshold * live
  const heldIds = new Set<string>()
  const userDeletions: { after: DirUserRow }[] = []
  if (held) {
    for (const u of missing) heldIds.add(u.id)
    plan.pendingDeletions = missing.map((u) => u.id)
  } else {
    for (const row of missing) {
      const after = tombstone(row, now, lastComplete)
      plan.updateUsers.push({ id: row.id, changes: after.changes })
      userAfter.set(row.email_key, after.row)
      userDeletions.push({ after: after.row })
      plan.removed.users++
    }
  }

  // --- memberships ---
  const membershipEvents: NewDirEvent[] = []
  const membershipRemovals: NewDirEvent[] = []
  const userById = new Map<string, DirUserRow>()
  for (const u of userAfter.values()) userById.set(u.id, u)
  const before = new Map<string, DirMembershipRow>(existing.memberships.map((m) => [`${m.group_id} ${m.user_id}`, m]))
  const after = new Map(before)
  if (snapshot.groupsSupported) {
    const wanted = new Set<string>()
    for (const group of snapshot.groups) {
      const groupRow = groupAfter.get(group.id)
      const lists = snapshot.members.get(group.id)
      if (!groupRow || !lists) continue
      for (const email of [...lists.users.map((u) => u.email), ...lists.invites]) {
        // A member the users and invites lists did not name (it joined between the reads) waits for the next run.
        const userRow = userAfter.get(emailKey(email))
        if (!userRow || userRow.status === 'deleted') continue
        const k = `${groupRow.id} ${userRow.id}`
        if (wanted.has(k)) continue
        wanted.add(k)
        plan.seen.memberships++
        if (before.has(k) || touched.has(userRow.id) || touched.has(groupRow.id)) continue
        const row: DirMembershipRow = { group_id: groupRow.id, user_id: userRow.id, connection_id: connectionId, created_at: now }
        plan.insertMemberships.push(row)
        after.set(k, row)
        membershipEvents.push(event('membership.added', userRow.id, presentMembership(groupRow, userRow, workspace, now)))
        plan.created.memberships++
      }
    }
    if (complete)
      for (const [k, m] of before) {
        if (wanted.has(k) || heldIds.has(m.user_id) || touched.has(m.user_id) || touched.has(m.group_id)) continue
        const groupRow = groupsById.get(m.group_id)
        const userRow = userById.get(m.user_id)
        plan.deleteMemberships.push({ group_id: m.group_id, user_id: m.user_id })
        after.delete(k)
        if (groupRow && userRow)
          membershipRemovals.push(event('membership.removed', m.user_id, presentMembership(groupRow, userRow, workspace, m.created_at)))
        plan.removed.memberships++
      }
  }

  // --- events, in replay order ---
  const groupsOf = (memberships: Map<string, DirMembershipRow>, groups: Map<string, DirGroupRow>) => {
    const index = new Map<string, DirGroupRow[]>()
    for (const m of memberships.values()) {
      const g = groups.get(m.group_id)
      if (!g || g.deleted_at !== null) continue
      const list = index.get(m.user_id)
      if (list) list.push(g)
      else index.set(m.user_id, [g])
    }
    return index
  }
  const needsIndex = userChanges.length + userDeletions.length > 0
  const groupsAfter = needsIndex ? groupsOf(after, groupsById) : new Map<string, DirGroupRow[]>()
  const groupsBefore = needsIndex ? groupsOf(before, new Map(existing.groups.map((g) => [g.id, g]))) : new Map<string, DirGroupRow[]>()
  const userEvents = userChanges.map(({ type, after: row, before: prev }) => {
    const data = presentUser(row, workspace, groupsAfter.get(row.id) ?? [])
    return event(type, row.id, prev ? { ...data, previous: presentUser(prev, workspace, groupsBefore.get(prev.id) ?? []) } : data)
  })
  const deletionEvents = userDeletions.map(({ after: row }) => event('user.deleted', row.id, presentUser(row, workspace, [])))
  plan.events = [...groupEvents, ...userEvents, ...membershipEvents, ...membershipRemovals, ...deletionEvents, ...groupDeletions]
  return plan
}

/** A user marked deleted: kept as a tombstone so the feed can report a later return as `user.reactivated`. */
export function tombstone(
  row: DirUserRow,
  now: string,
  lastCompleteSyncAt: string | null,
): { row: DirUserRow; changes: Updateable<DirUserTable> } {
  const changes = {
    status: 'deleted' as const,
    deleted_at: now,
    last_changed_at: now,
    // Unchanged rows are not rewritten on each run, so the last complete run before this one saw it last.
    last_seen_at: maxTime(row.last_seen_at, lastCompleteSyncAt),
    fingerprint: userFingerprint({ ...row, status: 'deleted' }),
  }
  return { row: { ...row, ...changes }, changes }
}
