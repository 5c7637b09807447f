import { expect } from 'vitest'
import type { ConnectionRow } from '../../src/store/queries/connections.js'
import type { DirEventRow } from '../../src/store/queries/dir-events.js'
import type { Gatehouse, HttpClient, SeededWorkspace } from '../helpers/gatehouse.js'

export const ROLE = {
  sourceAdmin: '2Gh0wIFcqhZ8T8NVOGE5k4dKcXr',
  functionAdmin: '2Gh0wLWZiJtfVcmZJYqYzUL8KBM',
  minimal: '1aEWAcU0fArxScocwH9xxLgW7r3',
} as const

const PAGE = 'pagination%5Bcount%5D=1000'

async function ok(res: Promise<{ status: number; text: string; body: any }>, status = 200) {
  const r = await res
  if (r.status !== status) throw new Error(`remote call failed: ${r.status} ${r.text}`)
  return r.body
}

/** Grants a role on the whole workspace to a user or a group, through the Public API. */
export function grant(ws: SeededWorkspace, subject: `users/${string}` | `groups/${string}`, roleId: string) {
  return ok(ws.http.post(`/${subject}/permissions`, { permissions: [{ roleId, resources: [{ id: ws.id, type: 'WORKSPACE' }] }] }))
}

export async function createGroup(ws: SeededWorkspace, name: string, emails: string[] = []): Promise<string> {
  const id = (await ok(ws.http.post('/groups', { name }))).data.userGroup.id as string
  if (emails.length > 0) await ok(ws.http.post(`/groups/${id}/users`, { emails }))
  return id
}

export const invite = (ws: SeededWorkspace, emails: string[]) =>
  ok(ws.http.post('/invites', { invites: emails.map((email) => ({ email, permissions: [{ roleId: ROLE.minimal }] })) }), 201)

export const deleteUsers = (ws: SeededWorkspace, ids: string[]) =>
  ok(ws.http.delete(`/users?${ids.map((id, i) => `userIds%5B${i}%5D=${id}`).join('&')}`))

/**
 * A remote with some of everything: members (one with a mixed-case email), direct roles, invites with and
 * without groups, two groups with roles, members and invited emails.
 */
export async function seedRemote(gh: Gatehouse, ws: SeededWorkspace, prefix: string) {
  const users = await gh.addUsers(ws, [`${prefix}.ada@example.com`, `${prefix}.bob@example.com`, `${prefix}.Cy.Mixed@Example.com`])
  const [ada, bob] = [users[0]!, users[1]!]
  await grant(ws, `users/${ada.id}`, ROLE.sourceAdmin)
  await invite(ws, [`${prefix}.ivy@example.com`, `${prefix}.ike@example.com`])
  const eng = await createGroup(ws, `${prefix}-eng`, [ada.email, `${prefix}.ivy@example.com`, `${prefix}.cy.mixed@example.com`])
  await grant(ws, `groups/${eng}`, ROLE.functionAdmin)
  // Adding an email nobody holds invites it, as Segment does.
  const ops = await createGroup(ws, `${prefix}-ops`, [bob.email, `${prefix}.new.hire@example.com`])
  return { users, eng, ops }
}

export interface RemoteTruth {
  workspace: { id: string; slug: string; name: string }
  users: any[]
  invites: string[]
  groups: any[] | null
  members: Map<string, string[]>
  roles: any[]
}

/** What the remote holds, read through its own Public API. */
export async function remoteTruth(ws: SeededWorkspace): Promise<RemoteTruth> {
  const list = async (path: string, key: string) => (await ok(ws.http.get(`${path}?${PAGE}`))).data[key]
  const workspace = (await ok(ws.http.get('/'))).data.workspace
  const groupsRes = await ws.http.get(`/groups?${PAGE}`)
  const groups = groupsRes.status === 200 ? groupsRes.body.data.userGroups : null
  const members = new Map<string, string[]>()
  for (const g of groups ?? [])
    members.set(g.id, [
      ...(await list(`/groups/${g.id}/users`, 'users')).map((u: any) => u.email.toLowerCase()),
      ...(await list(`/groups/${g.id}/invites`, 'emails')).map((e: string) => e.toLowerCase()),
    ])
  return {
    workspace,
    users: await list('/users', 'users'),
    invites: await list('/invites', 'invites'),
    groups,
    members,
    roles: await list('/roles', 'roles'),
  }
}

/** Every synced row of a connection, as stored. */
export async function storedRows(gh: Gatehouse, connectionId: string) {
  return gh.server.store.read(async (q) => ({
    users: await q.dirUsers.ofConnection(connectionId),
    groups: await q.dirGroups.ofConnection(connectionId),
    memberships: (await q.dirGroups.memberships(connectionId)).sort((a, b) =>
      `${a.group_id}${a.user_id}`.localeCompare(`${b.group_id}${b.user_id}`),
    ),
    roles: await q.dirRoles.ofConnection(connectionId),
    connection: (await q.connections.find(connectionId)) as ConnectionRow,
  }))
}

/** Asserts the live directory rows of a connection are exactly the remote's accounts, groups, memberships and roles. */
export async function expectMirrors(gh: Gatehouse, connectionId: string, truth: RemoteTruth) {
  const rows = await storedRows(gh, connectionId)
  const live = rows.users.filter((u) => u.status !== 'deleted')
  const memberKeys = new Set(truth.users.map((u) => u.email.toLowerCase()))
  const expectedUsers = [
    ...truth.users.map((u) => ({
      remote_id: u.id,
      email: u.email,
      email_key: u.email.toLowerCase(),
      name: u.name,
      status: 'active',
      roles: u.permissions.map((p: any) => ({ id: p.roleId, name: p.roleName, resources: p.resources, via: 'direct' })),
    })),
    ...truth.invites
      .filter((e) => !memberKeys.has(e.toLowerCase()))
      .map((e) => ({ remote_id: null, email: e, email_key: e.toLowerCase(), name: null, status: 'invited', roles: [] })),
  ]
  const byKey = (a: { email_key: string }, b: { email_key: string }) => a.email_key.localeCompare(b.email_key)
  expect(
    live
      .map((u) => ({
        remote_id: u.remote_id,
        email: u.email,
        email_key: u.email_key,
        name: u.name,
        status: u.status,
        roles: JSON.parse(u.roles),
      }))
      .sort(byKey),
  ).toEqual(expectedUsers.sort(byKey))

  const liveGroups = rows.groups.filter((g) => g.deleted_at === null)
  const expectedGroups = (truth.groups ?? []).map((g) => ({
    remote_id: g.id,
    name: g.name,
    member_count: g.memberCount,
    roles: g.permissions.map((p: any) => ({ id: p.roleId, name: p.roleName, resources: p.resources })),
  }))
  const byRemote = (a: { remote_id: string }, b: { remote_id: string }) => a.remote_id.localeCompare(b.remote_id)
  expect(
    liveGroups
      .map((g) => ({ remote_id: g.remote_id, name: g.name, member_count: g.member_count, roles: JSON.parse(g.roles) }))
      .sort(byRemote),
  ).toEqual(expectedGroups.sort(byRemote))

  const groupRemote = new Map(rows.groups.map((g) => [g.id, g.remote_id]))
  const userKey = new Map(rows.users.map((u) => [u.id, u.email_key]))
  const memberships = rows.memberships.map((m) => `${groupRemote.get(m.group_id)} ${userKey.get(m.user_id)}`).sort()
  const expectedMemberships = [...truth.members].flatMap(([g, emails]) => emails.map((e) => `${g} ${e}`)).sort()
  expect(memberships).toEqual(expectedMemberships)

  expect(
    rows.roles
      .filter((r) => r.deleted_at === null)
      .map((r) => ({ remote_id: r.remote_id, name: r.name, description: r.description }))
      .sort(byRemote),
  ).toEqual(truth.roles.map((r) => ({ remote_id: r.id, name: r.name, description: r.description })).sort(byRemote))

  expect({
    id: rows.connection.remote_workspace_id,
    slug: rows.connection.remote_workspace_slug,
    name: rows.connection.remote_workspace_name,
  }).toEqual(truth.workspace)
  expect(rows.connection.groups_supported).toBe(truth.groups === null ? 0 : 1)
  return rows
}

/** Change events of one connection, in feed order. */
export async function eventsOf(gh: Gatehouse, connectionId: string, afterSeq = 0): Promise<(DirEventRow & { body: any })[]> {
  const page = await gh.server.store.read((q) => q.dirEvents.list(afterSeq, 100_000))
  return page.rows.filter((e) => e.connection_id === connectionId).map((e) => ({ ...e, body: JSON.parse(e.data) }))
}

export async function lastSeq(gh: Gatehouse): Promise<number> {
  return gh.server.store.read((q) => q.dirEvents.lastSeq())
}

/** Polls a run through the API until it has finished. */
export async function waitForRun(api: HttpClient, runId: string, timeoutMs = 15_000): Promise<any> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const res = await api.get(`/directory/sync-runs/${runId}`)
    expect(res.status, res.text).toBe(200)
    if (res.body.state !== 'running') return res.body
    if (Date.now() > deadline) throw new Error(`run ${runId} still running after ${timeoutMs} ms`)
    await new Promise((r) => setTimeout(r, 50))
  }
}
