import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { directoryClient } from '../helpers/directory.js'
import { type Gatehouse, HttpClient as Http, type HttpClient, type SeededWorkspace, startGatehouse } from '../helpers/gatehouse.js'
import { connectViaApi, syncNow, walk } from './connect-helpers.js'
import { deleteUsers, invite, ROLE, seedRemote } from './sync-helpers.js'

// Two remote workspaces synced through the real engine: 23 + 18 accounts, groups with roles, invites,
// and one person (shared.person@example.com) who is a member of Alpha and an invited group member of Beta.
describe('unified directory read API', () => {
  let gh: Gatehouse
  let api: HttpClient
  let A: SeededWorkspace
  let B: SeededWorkspace
  let connA: any
  let connB: any
  let seedA: Awaited<ReturnType<typeof seedRemote>>
  let seedB: Awaited<ReturnType<typeof seedRemote>>

  beforeAll(async () => {
    gh = await startGatehouse()
    api = await directoryClient(gh)
    A = await gh.workspace({ name: 'Alpha' })
    B = await gh.workspace({ name: 'Beta' })
    seedA = await seedRemote(gh, A, 'a')
    seedB = await seedRemote(gh, B, 'b')
    await gh.addUsers(A, [...Array.from({ length: 14 }, (_, i) => `a.user${i}@example.com`), 'shared.person@example.com'])
    const named = await gh.admin.post(`/admin/workspaces/${A.id}/users`, { users: [{ email: 'gh1@example.com', name: 'Grace Hopper' }] })
    expect(named.status).toBe(201)
    await gh.addUsers(
      B,
      Array.from({ length: 10 }, (_, i) => `b.user${i}@example.com`),
    )
    await invite(B, ['Shared.Person@Example.com'])
    expect((await B.http.post(`/groups/${seedB.ops}/users`, { emails: ['Shared.Person@Example.com'] })).status).toBe(200)
    connA = await connectViaApi(api, gh, A, 'alpha')
    connB = await connectViaApi(api, gh, B, 'beta')
    await syncNow(gh, connA.id)
    await syncNow(gh, connB.id)
  })
  afterAll(() => gh?.stop())

  const users = async (query: string) => {
    const res = await api.get(`/directory/users?limit=1000&${query}`)
    expect(res.status, res.text).toBe(200)
    expect(res.body.next_cursor).toBeNull()
    return res.body.result as any[]
  }
  const emails = (list: any[]) => list.map((u) => u.email.toLowerCase()).sort()
  const groupOf = async (connectionId: string, name: string) => {
    const res = await api.get(`/directory/groups?connection_id=${connectionId}&q=${name}`)
    expect(res.body.result).toHaveLength(1)
    return res.body.result[0]
  }

  it('walks every account of both connections exactly once with limit 7', async () => {
    const stored = await gh.server.store.read(async (q) => [
      ...(await q.dirUsers.ofConnection(connA.id)),
      ...(await q.dirUsers.ofConnection(connB.id)),
    ])
    expect(stored.length).toBeGreaterThanOrEqual(30)
    const pages = await walk(api, '/directory/users?limit=7')
    for (const page of pages.slice(0, -1)) expect(page).toHaveLength(7)
    expect(pages.at(-1)?.length).toBeGreaterThan(0)
    expect(pages.at(-1)?.length).toBeLessThanOrEqual(7)
    const ids = pages.flat().map((u) => u.id)
    expect(new Set(ids).size).toBe(ids.length)
    expect([...ids].sort()).toEqual(ids)
    expect(ids.sort()).toEqual(stored.map((u) => u.id).sort())
    expect(new Set(pages.flat().map((u) => u.connection_id))).toEqual(new Set([connA.id, connB.id]))
  })

  it('filters by connection, email in any case, status, group, role and search', async () => {
    const alpha = await users(`connection_id=${connA.id}`)
    expect(alpha).toHaveLength(23)
    expect(alpha.every((u) => u.connection_id === connA.id && u.workspace.id === A.id)).toBe(true)

    const shared = await users(`email=${encodeURIComponent('SHARED.Person@example.COM')}`)
    expect(shared.map((u) => [u.workspace.name, u.status, u.email])).toEqual(
      expect.arrayContaining([
        ['Alpha', 'active', 'shared.person@example.com'],
        ['Beta', 'invited', 'Shared.Person@Example.com'],
      ]),
    )
    expect(shared).toHaveLength(2)

    const invited = await users('status=invited')
    expect(emails(invited)).toEqual(
      ['a.ike', 'a.ivy', 'a.new.hire', 'b.ike', 'b.ivy', 'b.new.hire', 'shared.person'].map((e) => `${e}@example.com`).sort(),
    )
    expect(invited.every((u) => u.remote_id === null && u.name === null)).toBe(true)
    expect(await users(`status=invited&connection_id=${connB.id}`)).toHaveLength(4)

    const eng = await groupOf(connA.id, 'a-eng')
    expect(emails(await users(`group_id=${eng.id}`))).toEqual(['a.ada@example.com', 'a.cy.mixed@example.com', 'a.ivy@example.com'])

    // Function Admin is granted only through the eng groups: every member of both, members and invites.
    const viaGroup = await users(`role=${ROLE.functionAdmin}`)
    expect(emails(viaGroup)).toEqual(['a.ada', 'a.cy.mixed', 'a.ivy', 'b.ada', 'b.cy.mixed', 'b.ivy'].map((e) => `${e}@example.com`).sort())
    // By name, in any case: Source Admin is granted directly to each ada.
    expect(emails(await users('role=source%20ADMIN'))).toEqual(['a.ada@example.com', 'b.ada@example.com'])
    // A directory role id means that connection's role.
    const roles = await api.get(`/directory/roles?connection_id=${connB.id}&q=source%20admin`)
    expect(roles.body.result).toHaveLength(1)
    expect(emails(await users(`role=${roles.body.result[0].id}`))).toEqual(['b.ada@example.com'])
    expect(await users('role=No%20Such%20Role')).toEqual([])

    expect(emails(await users('q=ADA'))).toEqual(['a.ada@example.com', 'b.ada@example.com'])
    expect(emails(await users('q=hopper'))).toEqual(['gh1@example.com'])
    // Wildcards are matched literally.
    expect(await users('q=%25')).toEqual([])
    expect(emails(await users(`q=user1&connection_id=${connB.id}`))).toEqual(['b.user1@example.com'])
  })

  it('presents direct roles and the roles each group grants, with the group that grants them', async () => {
    const [ada] = await users(`email=a.ada@example.com`)
    const eng = await groupOf(connA.id, 'a-eng')
    const got = await api.get(`/directory/users/${ada.id}`)
    expect(got.status).toBe(200)
    expect(got.body).toEqual(ada)
    expect(ada).toMatchObject({
      connection_id: connA.id,
      remote_id: seedA.users[0]?.id,
      email: 'a.ada@example.com',
      name: 'a.ada',
      status: 'active',
      workspace: { id: A.id, slug: A.slug, name: 'Alpha' },
      license_type: 'Segment',
      deleted_at: null,
      groups: [{ id: eng.id, remote_id: seedA.eng, name: 'a-eng' }],
      remote_data: { user: { id: seedA.users[0]?.id, email: 'a.ada@example.com' } },
    })
    const workspace = [{ id: A.id, type: 'WORKSPACE' }]
    expect(ada.roles).toEqual([
      { id: ROLE.sourceAdmin, name: 'Source Admin', resources: workspace, via: 'direct' },
      {
        id: ROLE.functionAdmin,
        name: 'Function Admin',
        resources: workspace,
        via: 'group',
        group: { id: eng.id, remote_id: seedA.eng, name: 'a-eng' },
      },
    ])
    // An invite's own roles are unknown to the API; its groups' roles are not.
    const [ivy] = await users('email=a.ivy@example.com')
    expect(ivy.roles).toEqual([expect.objectContaining({ id: ROLE.functionAdmin, via: 'group' })])
    expect(ivy.remote_data).toEqual({ invite: 'a.ivy@example.com' })
  })

  it("shows the connection's last complete sync as last_seen_at of live rows the sync did not rewrite", async () => {
    const [bob] = await users('email=a.bob@example.com')
    const stored = await gh.server.store.read((q) => q.dirUsers.find(bob.id))
    const connection = await gh.server.store.read((q) => q.connections.find(connA.id))
    expect(bob.last_seen_at).toBe(stored?.last_seen_at)
    const later = new Date(Date.parse(connection?.last_complete_sync_at as string) + 60_000).toISOString()
    await gh.server.store.write((q) => q.connections.update(connA.id, { last_complete_sync_at: later }))
    try {
      expect((await api.get(`/directory/users/${bob.id}`)).body.last_seen_at).toBe(later)
      expect((await api.get(`/directory/groups/${(await groupOf(connA.id, 'a-ops')).id}`)).body.last_seen_at).toBe(later)
      expect(stored?.last_seen_at).not.toBe(later)
    } finally {
      await gh.server.store.write((q) =>
        q.connections.update(connA.id, { last_complete_sync_at: connection?.last_complete_sync_at ?? null }),
      )
    }
  })

  it('keeps an account deleted remotely as a tombstone that status=deleted finds', async () => {
    const [gone] = await users('email=b.user9@example.com')
    await deleteUsers(B, [gone.remote_id])
    await syncNow(gh, connB.id)
    const tombstones = await users('status=deleted')
    expect(tombstones.map((u) => u.id)).toEqual([gone.id])
    expect(tombstones[0]).toMatchObject({ status: 'deleted', deleted_at: expect.any(String), email: 'b.user9@example.com' })
    // Every status unless one is asked for: the tombstone is part of the record.
    expect((await users(`connection_id=${connB.id}`)).map((u) => u.status)).toContain('deleted')
    expect((await api.get(`/directory/users/${gone.id}`)).body.status).toBe('deleted')
  })

  it('lists groups, roles and workspaces with their filters', async () => {
    const groups = await api.get(`/directory/groups?connection_id=${connA.id}`)
    expect(groups.status).toBe(200)
    // member_count is Segment's: members only, not invited emails.
    expect(groups.body.result.map((g: any) => [g.name, g.member_count, g.group_type]).sort()).toEqual([
      ['a-eng', 2, 'group'],
      ['a-ops', 1, 'group'],
    ])
    const eng = groups.body.result.find((g: any) => g.name === 'a-eng')
    expect(eng).toMatchObject({
      remote_id: seedA.eng,
      connection_id: connA.id,
      workspace: { id: A.id, slug: A.slug, name: 'Alpha' },
      roles: [{ id: ROLE.functionAdmin, name: 'Function Admin', resources: [{ id: A.id, type: 'WORKSPACE' }] }],
      deleted_at: null,
    })
    expect((await api.get(`/directory/groups/${eng.id}`)).body).toEqual(eng)
    const granting = await api.get(`/directory/groups?role=${encodeURIComponent('function admin')}`)
    expect(granting.body.result.map((g: any) => g.name).sort()).toEqual(['a-eng', 'b-eng'])
    expect((await api.get('/directory/groups?q=OPS')).body.result.map((g: any) => g.name).sort()).toEqual(['a-ops', 'b-ops'])
    const byOne = await walk(api, '/directory/groups?limit=1')
    expect(byOne.flat()).toHaveLength(4)

    const remoteRoles = (await A.http.get('/roles?pagination%5Bcount%5D=1000')).body.data.roles
    const roles = await api.get(`/directory/roles?connection_id=${connA.id}&limit=1000`)
    expect(roles.body.result.map((r: any) => r.remote_id).sort()).toEqual(remoteRoles.map((r: any) => r.id).sort())
    expect(roles.body.result[0]).toMatchObject({
      connection_id: connA.id,
      applicable_in: 'workspace',
      workspace: { id: A.id },
      deleted_at: null,
    })
    const role = roles.body.result[0]
    expect((await api.get(`/directory/roles/${role.id}`)).body).toEqual(role)

    const workspaces = await api.get('/directory/workspaces')
    expect(workspaces.body).toEqual({
      result: expect.arrayContaining([
        { id: A.id, connection_id: connA.id, slug: A.slug, name: 'Alpha', status: 'active', groups_supported: true },
        { id: B.id, connection_id: connB.id, slug: B.slug, name: 'Beta', status: 'active', groups_supported: true },
      ]),
      next_cursor: null,
    })
    expect(workspaces.body.result).toHaveLength(2)
    expect((await api.get('/directory/workspaces?q=beta')).body.result.map((w: any) => w.id)).toEqual([B.id])
  })

  it('refuses bad filters and cursors it did not issue with a 422 envelope', async () => {
    const groupsPage = await api.get('/directory/groups?limit=1')
    const foreign = groupsPage.body.next_cursor as string
    const cases: [string, string][] = [
      ['limit=0', 'limit'],
      ['limit=1001', 'limit'],
      ['limit=seven', 'limit'],
      ['status=gone', 'status'],
      ['email=not-an-email', 'email'],
      ['colour=red', 'colour'],
      ['cursor=garbage', 'cursor'],
      [`cursor=${encodeURIComponent(foreign)}`, 'cursor'],
    ]
    for (const [query, field] of cases) {
      const res = await api.get(`/directory/users?${query}`)
      expect(res.status, query).toBe(422)
      expect(res.body.errors, query).toHaveLength(1)
      expect(res.body.errors[0], query).toMatchObject({ type: 'input-validation', status: 422, field })
    }
    expect((await api.get('/directory/groups?include_deleted=maybe')).status).toBe(422)
  })

  it('answers unknown ids with a 404 envelope and every list with a 401 without a directory key', async () => {
    for (const path of ['/directory/users/nope', '/directory/groups/nope', '/directory/roles/nope']) {
      const res = await api.get(path)
      expect(res.status, path).toBe(404)
      expect(res.body.errors[0], path).toMatchObject({ type: 'not-found', status: 404 })
    }
    const anonymous = new Http(gh.url, undefined)
    const workspaceToken = new Http(gh.url, A.token)
    for (const path of ['/directory/users', '/directory/groups', '/directory/roles', '/directory/workspaces', '/directory/people']) {
      expect((await anonymous.get(path)).status, path).toBe(401)
      expect((await workspaceToken.get(path)).status, path).toBe(401)
    }
  })
})
