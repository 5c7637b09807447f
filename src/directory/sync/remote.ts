import PQueue from 'p-queue'
import { RemoteError, type SegmentClient } from '../connectors/segment.js'
import type { UnifiedResource } from '../schemas/unified.js'

/** `PermissionV1` as the remote sends it on users and groups. */
export interface RemotePermission {
  roleId: string
  roleName: string
  resources: UnifiedResource[]
  labels?: unknown[]
}

export interface RemoteUser {
  id: string
  name: string
  email: string
  permissions?: RemotePermission[]
}

export interface RemoteGroup {
  id: string
  name: string
  memberCount: number
  permissions?: RemotePermission[]
}

export interface RemoteRole {
  id: string
  name: string
  description: string
}

export interface RemoteWorkspace {
  id: string
  slug: string
  name: string
}

export interface RemoteMinimalUser {
  id: string
  name: string
  email: string
}

/** Everything one run read from a remote workspace. */
export interface RemoteSnapshot {
  workspace: RemoteWorkspace
  roles: RemoteRole[]
  users: RemoteUser[]
  /** Pending invites: bare emails. */
  invites: string[]
  /** False when the remote answered the group list with its plan error: groups were not read at all. */
  groupsSupported: boolean
  groups: RemoteGroup[]
  /** Per remote group id: its members and its invited emails. */
  members: Map<string, { users: RemoteMinimalUser[]; invites: string[] }>
  /** Lists that were cut short (a cursor repeated, `totalEntries` disagreed): the run may delete nothing. */
  incomplete: string[]
}

export interface ReadProgress {
  /** A list (or the workspace) has been read to its end. */
  onListDone(): void
  /** More lists are known to be needed (the per-group reads). */
  onListsPlanned(count: number): void
}

/** Per-group reads in flight at once; the remote budget bounds the requests themselves. */
const GROUP_READ_CONCURRENCY = 4

/**
 * Reads everything the token can see. Any call that still fails after the client's retries rejects the
 * whole read (a run never acts on half a picture); lists that merely came back short are reported in
 * `incomplete`. A plan error on the group list means the workspace has no User Groups.
 */
export async function readRemote(client: SegmentClient, progress: ReadProgress, signal?: AbortSignal): Promise<RemoteSnapshot> {
  const incomplete: string[] = []
  const list = async <T>(path: string, key: string): Promise<T[]> => {
    signal?.throwIfAborted()
    const res = await client.list<T>(path, key)
    if (!res.complete) incomplete.push(path)
    progress.onListDone()
    return res.items
  }
  const workspace = async () => {
    const body = await client.request<{ data: { workspace: RemoteWorkspace } }>({ method: 'GET', path: '/' })
    progress.onListDone()
    return body.data.workspace
  }
  const groups = async (): Promise<RemoteGroup[] | undefined> => {
    try {
      return await list<RemoteGroup>('/groups', 'userGroups')
    } catch (error) {
      if (error instanceof RemoteError && error.isPlanError) {
        progress.onListDone()
        return undefined
      }
      throw error
    }
  }

  const settled = await Promise.allSettled([
    workspace(),
    list<RemoteRole>('/roles', 'roles'),
    list<RemoteUser>('/users', 'users'),
    list<string>('/invites', 'invites'),
    groups(),
  ] as const)
  const failure = firstFailure(settled)
  if (failure !== undefined) throw failure
  const [ws, roles, users, invites, groupList] = settled.map((s) => (s as PromiseFulfilledResult<unknown>).value) as [
    RemoteWorkspace,
    RemoteRole[],
    RemoteUser[],
    string[],
    RemoteGroup[] | undefined,
  ]

  const members = new Map<string, { users: RemoteMinimalUser[]; invites: string[] }>()
  if (groupList && groupList.length > 0) {
    progress.onListsPlanned(groupList.length * 2)
    const queue = new PQueue({ concurrency: GROUP_READ_CONCURRENCY })
    const reads = groupList.map((group) =>
      queue.add(async () => {
        const path = `/groups/${encodeURIComponent(group.id)}`
        const groupUsers = await list<RemoteMinimalUser>(`${path}/users`, 'users')
        const groupInvites = await list<string>(`${path}/invites`, 'emails')
        members.set(group.id, { users: groupUsers, invites: groupInvites })
      }),
    )
    try {
      await Promise.all(reads)
    } catch (error) {
      queue.clear()
      await queue.onIdle()
      throw error
    }
  }

  return {
    workspace: ws,
    roles,
    users,
    invites,
    groupsSupported: groupList !== undefined,
    groups: groupList ?? [],
    members,
    incomplete,
  }
}

/** The error to report when several reads failed: a 401 says the most (the connection needs a new token). */
function firstFailure(results: readonly PromiseSettledResult<unknown>[]): unknown {
  const errors = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected').map((r) => r.reason)
  return errors.find((e) => e instanceof RemoteError && e.isUnauthorized) ?? errors[0]
}
