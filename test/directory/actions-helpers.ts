import { expect } from 'vitest'
import { runSync } from '../../src/directory/sync/run.js'
import type { ConnectionRow } from '../../src/store/queries/connections.js'
import { connect } from '../helpers/directory.js'
import type { Gatehouse, HttpClient, SeededWorkspace } from '../helpers/gatehouse.js'

/** Segment's built-in "Minimal Workspace Access" role (the same id in every workspace). */
export const MINIMAL_ROLE = '1aEWAcU0fArxScocwH9xxLgW7r3'

const PAGE = 'pagination%5Bcount%5D=1000'

async function ok(res: Promise<{ status: number; text: string; body: any }>, status = 200) {
  const r = await res
  if (r.status !== status) throw new Error(`remote call failed: ${r.status} ${r.text}`)
  return r.body
}

/** What the remote holds, read through its own Public API with the owner's token. */
export const remote = {
  users: async (ws: SeededWorkspace): Promise<string[]> =>
    (await ok(ws.http.get(`/users?${PAGE}`))).data.users.map((u: any) => u.email.toLowerCase()),
  invites: async (ws: SeededWorkspace): Promise<string[]> =>
    (await ok(ws.http.get(`/invites?${PAGE}`))).data.invites.map((e: string) => e.toLowerCase()),
  groupMembers: async (ws: SeededWorkspace, groupId: string): Promise<string[]> => [
    ...(await ok(ws.http.get(`/groups/${groupId}/users?${PAGE}`))).data.users.map((u: any) => u.email.toLowerCase()),
    ...(await ok(ws.http.get(`/groups/${groupId}/invites?${PAGE}`))).data.emails.map((e: string) => e.toLowerCase()),
  ],
  /** Audit-trail events of one type naming one resource (email): how many times the remote acted. */
  audited: async (ws: SeededWorkspace, type: string, name: string): Promise<number> =>
    (await ok(ws.http.get(`/audit-events?${PAGE}`))).data.events.filter((e: any) => e.type === type && e.resourceName === name).length,
}

export async function createGroup(ws: SeededWorkspace, name: string, emails: string[] = []): Promise<string> {
  const id = (await ok(ws.http.post('/groups', { name }))).data.userGroup.id as string
  if (emails.length > 0) await ok(ws.http.post(`/groups/${id}/users`, { emails }))
  return id
}

export const inviteRemotely = (ws: SeededWorkspace, emails: string[]) =>
  ok(ws.http.post('/invites', { invites: emails.map((email) => ({ email, permissions: [{ roleId: MINIMAL_ROLE }] })) }), 201)

/** A second token for the workspace, which a test may revoke without locking the owner's token out. */
export async function extraToken(gh: Gatehouse, ws: SeededWorkspace): Promise<{ id: string; secret: string }> {
  const res = await gh.admin.post(`/admin/workspaces/${ws.id}/tokens`, { description: 'directory' })
  if (res.status !== 201) throw new Error(`token create failed: ${res.status} ${res.text}`)
  return { id: res.body.data.token.id, secret: res.body.data.secret }
}

export async function revokeToken(gh: Gatehouse, ws: SeededWorkspace, tokenId: string): Promise<void> {
  const res = await gh.admin.delete(`/admin/workspaces/${ws.id}/tokens/${tokenId}`)
  if (res.status !== 200) throw new Error(`token revoke failed: ${res.status} ${res.text}`)
}

/** Connects the workspace and syncs it once (the directory has to know accounts before acting on them). */
export async function connectAndSync(gh: Gatehouse, ws: SeededWorkspace, options: { name?: string; token?: string } = {}) {
  const connection = await connect(gh, ws, options)
  await sync(gh, connection.id)
  return connection
}

export async function sync(gh: Gatehouse, connectionId: string) {
  const run = await runSync(gh.server.directory, connectionId, { trigger: 'test' })
  expect(run.state, run.error ?? '').toBe('succeeded')
  return { ...run, stats: JSON.parse(run.stats) }
}

/** The directory's view of one connection: accounts by lower-cased email, groups by name, memberships as "group email". */
export async function directoryOf(gh: Gatehouse, connection: Pick<ConnectionRow, 'id'>) {
  return gh.server.store.read(async (q) => {
    const users = await q.dirUsers.ofConnection(connection.id)
    const groups = await q.dirGroups.ofConnection(connection.id)
    const memberships = await q.dirGroups.memberships(connection.id)
    const email = new Map(users.map((u) => [u.id, u.email_key]))
    const name = new Map(groups.map((g) => [g.id, g.name]))
    return {
      user: (emailKey: string) => {
        const u = users.find((x) => x.email_key === emailKey)
        if (!u) throw new Error(`no directory user ${emailKey}`)
        return u
      },
      group: (groupName: string) => {
        const g = groups.find((x) => x.name === groupName)
        if (!g) throw new Error(`no directory group ${groupName}`)
        return g
      },
      memberships: memberships.map((m) => `${name.get(m.group_id)} ${email.get(m.user_id)}`).sort(),
      connection: (await q.connections.find(connection.id)) as ConnectionRow,
    }
  })
}

/** Change events an action (not a sync run) appended for one connection after `afterSeq`. */
export async function actionEvents(gh: Gatehouse, connectionId: string, afterSeq: number) {
  const page = await gh.server.store.read((q) => q.dirEvents.list(afterSeq, 100_000))
  return page.rows.filter((e) => e.connection_id === connectionId).map((e) => ({ ...e, body: JSON.parse(e.data) }))
}

export const lastSeq = (gh: Gatehouse) => gh.server.store.read((q) => q.dirEvents.lastSeq())

export const act = (api: HttpClient, name: string, body: unknown, headers?: Record<string, string>) =>
  api.post(`/directory/actions/${name}`, body, headers)
