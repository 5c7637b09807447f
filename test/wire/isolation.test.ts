import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Gatehouse, type HttpResult, type SeededWorkspace, startGatehouse } from '../helpers/gatehouse.js'

const OWNER_ROLE = '1WDUuRLxv84rrfCNUwvkrRtkxnS'
const enc = encodeURIComponent

interface Seeded {
  ws: SeededWorkspace
  userId: string
  userEmail: string
  inviteEmail: string
  groupId: string
  label: { key: string; value: string }
}

function expectNotFound(res: HttpResult, what: string) {
  expect(res.status, `${what}: ${res.text}`).toBe(404)
  expect(res.headers.get('content-type')).toMatch(/^application\/json/)
  expect(res.body.errors[0]).toEqual(expect.objectContaining({ type: 'not-found', status: 404 }))
}

async function listAll(ws: SeededWorkspace, path: string, key: string): Promise<unknown[]> {
  const items: unknown[] = []
  let cursor: string | null = null
  do {
    const res: HttpResult = await ws.http.get(`${path}?pagination.count=1000${cursor ? `&pagination.cursor=${enc(cursor)}` : ''}`)
    expect(res.status, res.text).toBe(200)
    items.push(...res.body.data[key])
    cursor = res.body.data.pagination.next
  } while (cursor)
  return items
}

describe('workspace isolation', () => {
  let gh: Gatehouse
  let a: Seeded
  let b: Seeded

  async function seed(tag: string): Promise<Seeded> {
    const ws = await gh.workspace()
    const [user] = await gh.addUsers(ws, [`user-${tag}@iso.example`, `other-${tag}@iso.example`])
    const inviteEmail = `invite-${tag}@iso.example`
    expect((await ws.http.post('/invites', { invites: [{ email: inviteEmail }] })).status).toBe(201)
    const group = await ws.http.post('/groups', { name: `group-${tag}` })
    expect(group.status).toBe(200)
    const groupId = group.body.data.userGroup.id
    expect((await ws.http.post(`/groups/${groupId}/users`, { emails: [user!.email, inviteEmail] })).status).toBe(200)
    const grant = { permissions: [{ roleId: OWNER_ROLE, resources: [{ id: ws.id, type: 'WORKSPACE' }] }] }
    expect((await ws.http.post(`/groups/${groupId}/permissions`, grant)).status).toBe(200)
    expect((await ws.http.post(`/users/${user!.id}/permissions`, grant)).status).toBe(200)
    const label = { key: 'team', value: `team-${tag}` }
    expect((await ws.http.post('/labels', { label })).status).toBe(201)
    return { ws, userId: user!.id, userEmail: user!.email, inviteEmail, groupId, label }
  }

  beforeAll(async () => {
    gh = await startGatehouse()
    a = await seed('a')
    b = await seed('b')
  })
  afterAll(() => gh.stop())

  it("hides another workspace's user behind a 404 on every user route", async () => {
    const http = b.ws.http
    const id = a.userId
    const grant = { permissions: [{ roleId: OWNER_ROLE, resources: [{ id: b.ws.id, type: 'WORKSPACE' }] }] }
    expectNotFound(await http.get(`/users/${id}`), 'GET /users/{id}')
    expectNotFound(await http.get(`/users/${id}/groups`), 'GET /users/{id}/groups')
    expectNotFound(await http.post(`/users/${id}/permissions`, grant), 'POST /users/{id}/permissions')
    expectNotFound(await http.put(`/users/${id}/permissions`, grant), 'PUT /users/{id}/permissions')
    expectNotFound(await http.delete(`/users?userIds.0=${id}`), 'DELETE /users')
    // mixed with one of B's own ids: still 404, and B's user is not deleted either
    expectNotFound(await http.delete(`/users?userIds.0=${b.userId}&userIds.1=${id}`), 'DELETE /users (mixed)')
    expect((await http.get(`/users/${b.userId}`)).status).toBe(200)
  })

  it("hides another workspace's group behind a 404 on every group route", async () => {
    const http = b.ws.http
    const id = a.groupId
    const grant = { permissions: [{ roleId: OWNER_ROLE, resources: [{ id: b.ws.id, type: 'WORKSPACE' }] }] }
    const emails = { emails: [b.userEmail] }
    const checks: [string, Promise<HttpResult>][] = [
      ['GET /groups/{id}', http.get(`/groups/${id}`)],
      ['PATCH /groups/{id}', http.patch(`/groups/${id}`, { name: 'stolen' })],
      ['GET /groups/{id}/users', http.get(`/groups/${id}/users`)],
      ['GET /groups/{id}/invites', http.get(`/groups/${id}/invites`)],
      ['POST /groups/{id}/users', http.post(`/groups/${id}/users`, emails)],
      ['POST /group/{id}/users', http.post(`/group/${id}/users`, emails)],
      ['PUT /group/{id}/users', http.put(`/group/${id}/users`, emails)],
      ['PUT /groups/{id}/users', http.put(`/groups/${id}/users`, { emails: [] })],
      ['DELETE /group/{id}/users', http.delete(`/group/${id}/users?emails.0=${enc(a.userEmail)}`)],
      ['DELETE /groups/{id}/users', http.delete(`/groups/${id}/users?emails%5B0%5D=${enc(a.inviteEmail)}`)],
      ['POST /groups/{id}/permissions', http.post(`/groups/${id}/permissions`, grant)],
      ['PUT /groups/{id}/permissions', http.put(`/groups/${id}/permissions`, { permissions: [] })],
    ]
    for (const [name, pending] of checks) expectNotFound(await pending, name)
    expectNotFound(await http.delete(`/groups/${id}`), 'DELETE /groups/{id}')
  })

  it("hides another workspace's invites and labels behind a 404", async () => {
    expectNotFound(await b.ws.http.delete(`/invites?emails.0=${enc(a.inviteEmail)}`), 'DELETE /invites')
    expectNotFound(await b.ws.http.delete(`/labels/${a.label.key}/${a.label.value}`), 'DELETE /labels/{key}/{value}')
  })

  it("leaves the owner's data untouched after the other workspace's attempts", async () => {
    const http = a.ws.http
    const group = await http.get(`/groups/${a.groupId}`)
    expect(group.status).toBe(200)
    expect(group.body.data.userGroup).toMatchObject({ name: 'group-a', memberCount: 1 })
    expect(group.body.data.userGroup.permissions).toHaveLength(1)
    const members = await http.get(`/groups/${a.groupId}/users`)
    expect(members.body.data.users.map((u: { id: string }) => u.id)).toEqual([a.userId])
    expect((await http.get(`/groups/${a.groupId}/invites`)).body.data.emails).toEqual([a.inviteEmail])
    const user = await http.get(`/users/${a.userId}`)
    expect(user.status).toBe(200)
    expect(user.body.data.user.permissions).toHaveLength(1)
    expect((await http.get('/invites')).body.data.invites).toContain(a.inviteEmail)
    expect((await http.get('/labels')).body.data.labels).toContainEqual(a.label)
  })

  it("never lists the other workspace's users, invites, groups or labels", async () => {
    for (const [self, other] of [
      [a, b],
      [b, a],
    ] as const) {
      const users = (await listAll(self.ws, '/users', 'users')) as { id: string; email: string }[]
      expect(users.map((u) => u.id)).toContain(self.userId)
      expect(users.map((u) => u.id)).not.toContain(other.userId)
      expect(users.map((u) => u.id)).not.toContain(other.ws.owner.id)
      const emails = users.map((u) => u.email)
      for (const email of [other.userEmail, other.ws.owner.email]) expect(emails).not.toContain(email)
      const invites = (await listAll(self.ws, '/invites', 'invites')) as string[]
      expect(invites).toEqual([self.inviteEmail])
      const groups = (await listAll(self.ws, '/groups', 'userGroups')) as { id: string }[]
      expect(groups.map((g) => g.id)).toEqual([self.groupId])
      expect(groups.length).toBe((await self.ws.http.get('/groups')).body.data.pagination.totalEntries)
      const groupsOfUser = (await listAll(self.ws, `/users/${self.userId}/groups`, 'groups')) as { id: string }[]
      expect(groupsOfUser.map((g) => g.id)).toEqual([self.groupId])
      const labels = (await self.ws.http.get('/labels')).body.data.labels as { key: string; value: string }[]
      expect(labels).toContainEqual(self.label)
      expect(labels).not.toContainEqual(other.label)
      const workspace = await self.ws.http.get('/')
      expect(workspace.body.data.workspace.id).toBe(self.ws.id)
    }
  })

  it("counts only the workspace's own rows in totalEntries", async () => {
    for (const self of [a, b]) {
      const users = await self.ws.http.get('/users')
      expect(users.body.data.pagination.totalEntries).toBe(users.body.data.users.length)
      expect(users.body.data.pagination.totalEntries).toBe(3) // owner + two seeded users
      const invites = await self.ws.http.get('/invites')
      expect(invites.body.data.pagination.totalEntries).toBe(1)
    }
  })

  it('never lets a cursor from one workspace page another', async () => {
    const page = await a.ws.http.get('/users?pagination.count=1')
    const cursor = page.body.data.pagination.next as string
    expect(cursor).toEqual(expect.any(String))
    const res = await b.ws.http.get(`/users?pagination.count=1&pagination.cursor=${enc(cursor)}`)
    // Either refused, or a page of B's own rows only: never A's.
    if (res.status === 200) {
      for (const u of res.body.data.users) expect([a.userId, a.ws.owner.id]).not.toContain(u.id)
    } else {
      expect(res.status).toBe(422)
    }
  })

  it('never shows audit events across workspaces', async () => {
    const aIds = new Set([a.ws.id, a.userId, a.groupId, a.ws.owner.id])
    const bIds = new Set([b.ws.id, b.userId, b.groupId, b.ws.owner.id])
    for (const [self, foreign, other] of [
      [a, bIds, b],
      [b, aIds, a],
    ] as const) {
      const events = (await listAll(self.ws, '/audit-events', 'events')) as { resourceId: string; resourceName: string }[]
      expect(events.length).toBeGreaterThan(0)
      for (const e of events) {
        expect(foreign.has(e.resourceId), JSON.stringify(e)).toBe(false)
        expect(e.resourceName).not.toBe(other.userEmail)
        expect(e.resourceName).not.toBe(other.inviteEmail)
        expect(e.resourceName).not.toBe(`group-${other === a ? 'a' : 'b'}`)
        expect(e.resourceName).not.toBe(`${other.label.key}:${other.label.value}`)
      }
      expect(events.some((e) => e.resourceId === self.groupId)).toBe(true)
      // filtering by the other workspace's ids finds nothing
      for (const id of [other.groupId, other.userId]) {
        const filtered = await self.ws.http.get(`/audit-events?resourceId=${enc(id)}`)
        expect(filtered.status).toBe(200)
        expect(filtered.body.data.events).toEqual([])
      }
    }
  })
})
