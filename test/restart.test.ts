import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { ADMIN_KEY, HttpClient, type HttpResult } from './helpers/gatehouse.js'
import { type ServerProcess, spawnServer } from './helpers/process.js'

// The built server as a child process on a real SQLite file: killed outright, then started again on the
// same file, it must serve everything it acknowledged; stopped with SIGTERM, it finishes what it started.

const SOURCE_ADMIN = '2Gh0wIFcqhZ8T8NVOGE5k4dKcXr'
const MINIMAL_WORKSPACE_ACCESS = '1aEWAcU0fArxScocwH9xxLgW7r3'
const FUNCTION_ADMIN = '2Gh0wLWZiJtfVcmZJYqYzUL8KBM'

const page = (count: number, cursor?: string) =>
  `${encodeURIComponent('pagination[count]')}=${count}${cursor ? `&${encodeURIComponent('pagination[cursor]')}=${encodeURIComponent(cursor)}` : ''}`

function dataOf(res: HttpResult, status = 200): any {
  expect(res.status, res.text).toBe(status)
  return res.body.data
}

describe('the server process across restarts', () => {
  let dir: string
  const servers: ServerProcess[] = []

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'gatehouse-restart-'))
  })
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => s.kill()))
  })
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  async function start(dbFile: string): Promise<ServerProcess> {
    const server = await spawnServer(['--db', dbFile, '--admin-key', ADMIN_KEY])
    servers.push(server)
    return server
  }

  /** Reads every item of a list by its `next` cursors. */
  async function readAll(http: HttpClient, path: string, key: string): Promise<any[]> {
    const items: any[] = []
    let cursor: string | undefined
    for (let i = 0; i < 50; i++) {
      const data = dataOf(await http.get(`${path}${path.includes('?') ? '&' : '?'}${page(2, cursor)}`))
      items.push(...data[key])
      cursor = data.pagination.next ?? undefined
      if (cursor === undefined) return items
    }
    throw new Error(`${path} did not end`)
  }

  /** Everything the Public API and the operator API show of the workspace. */
  async function readEverything(url: string, token: string, workspaceId: string) {
    const api = new HttpClient(url, token)
    const admin = new HttpClient(url, ADMIN_KEY)
    const users = await readAll(api, '/users', 'users')
    const groups = await readAll(api, '/groups', 'userGroups')
    return {
      workspace: dataOf(await api.get('/')),
      users,
      userDetails: await Promise.all(users.map(async (u) => dataOf(await api.get(`/users/${u.id}`)))),
      userGroups: await Promise.all(users.map((u) => readAll(api, `/users/${u.id}/groups`, 'groups'))),
      invites: await readAll(api, '/invites', 'invites'),
      groups,
      groupDetails: await Promise.all(groups.map(async (g) => dataOf(await api.get(`/groups/${g.id}`)))),
      groupMembers: await Promise.all(groups.map((g) => readAll(api, `/groups/${g.id}/users`, 'users'))),
      groupInvites: await Promise.all(groups.map((g) => readAll(api, `/groups/${g.id}/invites`, 'emails'))),
      labels: dataOf(await api.get('/labels')),
      audit: await readAll(api, '/audit-events', 'events'),
      adminWorkspaces: (await readAll(admin, '/admin/workspaces', 'workspaces')).filter((w) => w.id === workspaceId),
    }
  }

  it('serves every acknowledged write, the old token and the audit trail identically after SIGKILL and a restart', async () => {
    const dbFile = join(dir, 'crash.db')
    const first = await start(dbFile)
    const admin = new HttpClient(first.url, ADMIN_KEY)
    const created = dataOf(
      await admin.post('/admin/workspaces', {
        name: 'Crash Test',
        slug: 'crash-test',
        ownerEmail: 'owner@crash.example',
        ownerName: 'Owner',
      }),
      201,
    )
    const ws = created.workspace
    const api = new HttpClient(first.url, created.token)
    const [alice, bob] = dataOf(
      await admin.post(`/admin/workspaces/${ws.id}/users`, {
        users: [
          { email: 'alice@crash.example', name: 'Alice' },
          { email: 'bob@crash.example', name: 'Bob' },
        ],
      }),
      201,
    ).users
    const member = dataOf(await admin.post(`/admin/workspaces/${ws.id}/tokens`, { description: 'reader', role: 'MEMBER' }), 201)
    dataOf(await api.post('/labels', { label: { key: 'team', value: 'core', description: 'The core team' } }), 201)
    dataOf(
      await api.post('/invites', {
        invites: [
          { email: 'carol@crash.example', permissions: [{ roleId: SOURCE_ADMIN, labels: [{ key: 'team', value: 'core' }] }] },
          { email: 'dave@crash.example' },
        ],
      }),
      201,
    )
    const eng = dataOf(await api.post('/groups', { name: 'Engineering' })).userGroup
    const ops = dataOf(await api.post('/groups', { name: 'Ops' })).userGroup
    dataOf(await api.post(`/groups/${eng.id}/users`, { emails: ['alice@crash.example', 'carol@crash.example', 'erin@crash.example'] }))
    dataOf(await api.put(`/group/${ops.id}/users`, { emails: ['bob@crash.example', 'alice@crash.example'] }))
    dataOf(
      await api.post(`/groups/${eng.id}/permissions`, {
        permissions: [{ roleId: FUNCTION_ADMIN, resources: [{ id: 'fn-1', type: 'FUNCTION' }] }],
      }),
    )
    dataOf(
      await api.post(`/users/${bob.id}/permissions`, {
        permissions: [
          { roleId: MINIMAL_WORKSPACE_ACCESS, resources: [{ id: ws.id, type: 'WORKSPACE' }] },
          { roleId: SOURCE_ADMIN, resources: [{ id: ws.id, type: 'WORKSPACE', labels: [{ key: 'team', value: 'core' }] }] },
        ],
      }),
    )
    dataOf(await api.delete(`/users?${encodeURIComponent('userIds[0]')}=${alice.id}`))
    const cursor = dataOf(await api.get(`/users?${page(1)}`)).pagination.next
    const cursorPage = dataOf(await api.get(`/users?${page(1, cursor)}`))
    const before = await readEverything(first.url, created.token, ws.id)
    // Sanity: the writes are all there before the crash.
    expect(before.users.map((u) => u.email).sort()).toEqual(['bob@crash.example', 'owner@crash.example'])
    expect(before.invites.sort()).toEqual(['carol@crash.example', 'dave@crash.example', 'erin@crash.example'])
    expect(before.groupDetails.map((g) => [g.userGroup.name, g.userGroup.memberCount])).toEqual([
      ['Engineering', 0],
      ['Ops', 1],
    ])
    expect(before.audit.length).toBeGreaterThan(15)

    await first.kill()
    expect(first.child.signalCode).toBe('SIGKILL')

    const second = await start(dbFile)
    expect(await readEverything(second.url, created.token, ws.id)).toEqual(before)
    // A cursor issued before the crash continues the same walk, and the MEMBER token still reads.
    expect(dataOf(await new HttpClient(second.url, created.token).get(`/users?${page(1, cursor)}`))).toEqual(cursorPage)
    expect(dataOf(await new HttpClient(second.url, member.secret).get('/')).workspace.id).toBe(ws.id)
    expect((await new HttpClient(second.url, member.secret).post('/groups', { name: 'nope' })).status).toBe(401)
    // The carried-over invite still holds its label, and the store keeps taking writes.
    const api2 = new HttpClient(second.url, created.token)
    expect((await api2.delete('/labels/team/core')).status).toBe(409)
    dataOf(await api2.post('/groups', { name: 'After restart' }))
    const audit = await readAll(api2, '/audit-events', 'events')
    expect(audit.slice(-before.audit.length)).toEqual(before.audit)
    expect(audit[0]).toMatchObject({ type: expect.stringMatching(/^(User Group Created|Policy Created)$/), resourceName: 'After restart' })
  })

  it('finishes in-flight requests with 200 on SIGTERM and exits with code 0', async () => {
    const dbFile = join(dir, 'sigterm.db')
    const server = await start(dbFile)
    const admin = new HttpClient(server.url, ADMIN_KEY)
    const created = dataOf(await admin.post('/admin/workspaces', { name: 'Term', slug: 'term', ownerEmail: 'owner@term.example' }), 201)
    const api = new HttpClient(server.url, created.token)
    // Hold reads and writes long enough for the signal to arrive while they are in flight.
    for (const [route, method] of [
      ['/users', 'GET'],
      ['/labels', 'POST'],
    ])
      dataOf(await admin.post('/admin/faults', { fault: 'delay', delayMs: 1_000, route, method, count: 3 }), 201)
    const inFlight = [
      ...[1, 2, 3].map(() => api.get('/users')),
      ...[1, 2, 3].map((i) => api.post('/labels', { label: { key: 'inflight', value: `v${i}` } })),
    ]
    // Every held request has been received once no fault is left to match.
    for (let i = 0; i < 100; i++) {
      if (dataOf(await admin.get('/admin/faults')).faults.length === 0) break
      await sleep(20)
    }
    expect(dataOf(await admin.get('/admin/faults')).faults).toEqual([])

    const exitCode = server.stop()
    const answers = await Promise.all(inFlight)
    expect(answers.map((r) => r.status)).toEqual([200, 200, 200, 201, 201, 201])
    // It exits once they are answered, not when the clients' idle keep-alive sockets time out (72 s).
    const timeout = sleep(5_000).then(() => 'still running')
    expect(await Promise.race([exitCode, timeout])).toBe(0)
    expect(server.child.signalCode).toBeNull()
    await expect(fetch(`${server.url}/`)).rejects.toThrow()

    // The writes that were in flight were committed.
    const again = await start(dbFile)
    const labels = dataOf(await new HttpClient(again.url, created.token).get('/labels')).labels
    expect(
      labels
        .filter((l: any) => l.key === 'inflight')
        .map((l: any) => l.value)
        .sort(),
    ).toEqual(['v1', 'v2', 'v3'])
  })
})
