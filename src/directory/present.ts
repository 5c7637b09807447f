import type { ConnectionRow } from '../store/queries/connections.js'
import type { DirGroupRow } from '../store/queries/dir-groups.js'
import type { DirRoleRow } from '../store/queries/dir-roles.js'
import type { DirUserRow } from '../store/queries/dir-users.js'
import type { Connection } from './schemas/connections.js'
import type { Person, UnifiedGroup, UnifiedRole, UnifiedUser, UnifiedWorkspace } from './schemas/unified.js'
import { presentGroup as groupAsOfEvent, presentUser as userAsOfEvent, workspaceRef } from './sync/present.js'

/*
 * Rows → the unified models the read API answers. The sync engine presents events with the same functions
 * (sync/present.ts), so an event's payload and a read of the same row agree; two things differ at read time:
 *  - roles granted through groups are derived from the memberships as they stand now (direct roles are
 *    what `dir_users.roles` stores; each membership adds its group's roles with `via: 'group'`);
 *  - `last_seen_at` of a live row is the connection's last complete sync when that is later, because a sync
 *    does not rewrite unchanged rows (a complete run that did not remove a row saw it).
 */

type ConnectionLike = Pick<
  ConnectionRow,
  'id' | 'remote_workspace_id' | 'remote_workspace_slug' | 'remote_workspace_name' | 'last_complete_sync_at' | 'groups_supported'
>

const later = (stored: string, lastComplete: string | null) => (lastComplete !== null && lastComplete > stored ? lastComplete : stored)

const byName = (a: DirGroupRow, b: DirGroupRow) => a.name.localeCompare(b.name) || a.id.localeCompare(b.id)

export function presentUser(row: DirUserRow, connection: ConnectionLike, groups: readonly DirGroupRow[]): UnifiedUser {
  const user = userAsOfEvent(row, workspaceRef(connection), [...groups].sort(byName))
  if (row.status === 'deleted') return user
  return { ...user, last_seen_at: later(row.last_seen_at, connection.last_complete_sync_at) }
}

export function presentGroup(row: DirGroupRow, connection: ConnectionLike): UnifiedGroup {
  const group = groupAsOfEvent(row, workspaceRef(connection))
  if (row.deleted_at !== null) return group
  return { ...group, last_seen_at: later(row.last_seen_at, connection.last_complete_sync_at) }
}

export function presentRole(row: DirRoleRow, connection: ConnectionLike): UnifiedRole {
  return {
    id: row.id,
    connection_id: row.connection_id,
    remote_id: row.remote_id,
    name: row.name,
    description: row.description,
    applicable_in: 'workspace',
    workspace: workspaceRef(connection),
    deleted_at: row.deleted_at,
  }
}

/** One workspace per connection. Segment has no workspace status: a connected workspace is `active`. */
export function presentWorkspace(connection: ConnectionLike): UnifiedWorkspace {
  return {
    id: connection.remote_workspace_id,
    connection_id: connection.id,
    slug: connection.remote_workspace_slug,
    name: connection.remote_workspace_name,
    status: 'active',
    groups_supported: connection.groups_supported === 1,
  }
}

/** A connection as the API shows it: never its token, sealed or not. */
export function presentConnection(row: ConnectionRow): Connection {
  return {
    id: row.id,
    name: row.name,
    base_url: row.base_url,
    status: row.status,
    status_detail: row.status_detail,
    workspace: workspaceRef(row),
    groups_supported: row.groups_supported === 1,
    created_at: row.created_at,
    updated_at: row.updated_at,
    last_sync_run_id: row.last_sync_run_id,
    last_complete_sync_at: row.last_complete_sync_at,
    next_sync_at: row.next_sync_at,
  }
}

/** One person: the accounts (already presented) that share a lower-cased email. */
export function presentPerson(emailKey: string, accounts: readonly UnifiedUser[]): Person {
  const named = accounts.find((a) => a.status === 'active' && a.name) ?? accounts.find((a) => a.name)
  return {
    email: emailKey,
    name: named?.name ?? null,
    accounts: accounts.map((a) => ({
      id: a.id,
      connection_id: a.connection_id,
      remote_id: a.remote_id,
      email: a.email,
      status: a.status,
      roles: a.roles,
      groups: a.groups,
      workspace: a.workspace,
      last_seen_at: a.last_seen_at,
      deleted_at: a.deleted_at,
    })),
  }
}
