import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { directoryClient } from '../helpers/directory.js'
import { type Gatehouse, type HttpClient, type SeededWorkspace, startGatehouse } from '../helpers/gatehouse.js'
import { connectViaApi, syncNow, walk } from './connect-helpers.js'
import { createGroup, deleteUsers, grant, invite, ROLE } from './sync-helpers.js'

// Three remotes. Dana is a member of North (direct role, in a group), an invited group member of South,
// and a member of East, where she is then deleted remotely.
describe('directory people: one row per person across workspaces', () => {
  let gh: Gatehouse
  let api: HttpClient
  let north: SeededWorkspace
  let south: SeededWorkspace
  let east: SeededWorkspace
  const conn: Record<string, any> = {}
  let northOps: string
  let southEng: string

  beforeAll(async () => {
    gh = await startGatehouse()
    api = await directoryClient(gh)
    north = await gh.workspace({ name: 'North' })
    south = await gh.workspace({ name: 'South' })
    east = await gh.workspace({ name: 'East' })
    const [dana] = await gh.addUsers(north, ['Dana@Example.com', 'ned@example.com'])
    await grant(north, `users/${dana!.id}`, ROLE.sourceAdmin)
    northOps = await createGroup(north, 'ops', ['dana@example.com'])
    await grant(north, `groups/${northOps}`, ROLE.functionAdmin)
    await invite(south, ['dana@example.com', 'sam@example.com'])
    southEng = await createGroup(south, 'eng', ['DANA@example.com'])
    const [eastDana] = await gh.addUsers(east, [
      'dana@example.com',
      'eve@example.com',
      'ed@example.com',
      'emma@example.com',
      'eli@example.com',
      'ella@example.com',
      'evan@example.com',
    ])
    conn.north = await connectViaApi(api, gh, north, 'north')
    conn.south = await connectViaApi(api, gh, south, 'south')
    conn.east = await connectViaApi(api, gh, east, 'east')
    for (const c of Object.values(conn)) await syncNow(gh, c.id)
    await deleteUsers(east, [eastDana!.id])
    await syncNow(gh, conn.east.id)
  })
  afterAll(() => gh?.stop())

  it('shows every live workspace account of a person with their roles and groups in each', async () => {
    const res = await api.get(`/directory/people/${encodeURIComponent('DANA@example.COM')}`)
    expect(res.status, res.text).toBe(200)
    const person = res.body
    expect(person.email).toBe('dana@example.com')
    expect(person.name).toBe('Dana')
    const byWorkspace = Object.fromEntries(person.accounts.map((a: any) => [a.workspace.name, a]))
    expect(Object.keys(byWorkspace).sort()).toEqual(['North', 'South'])
    expect(byWorkspace.North).toMatchObject({
      connection_id: conn.north.id,
      email: 'Dana@Example.com',
      status: 'active',
      remote_id: expect.any(String),
      groups: [{ remote_id: northOps, name: 'ops' }],
      deleted_at: null,
    })
    expect(byWorkspace.North.roles.map((r: any) => [r.name, r.via, r.group?.name ?? null])).toEqual([
      ['Source Admin', 'direct', null],
      ['Function Admin', 'group', 'ops'],
    ])
    expect(byWorkspace.South).toMatchObject({
      connection_id: conn.south.id,
      email: 'dana@example.com',
      status: 'invited',
      remote_id: null,
      groups: [{ remote_id: southEng, name: 'eng' }],
      roles: [],
    })
  })

  it('shows the accounts of one status on request, and an empty person once every account is gone', async () => {
    const deleted = await api.get('/directory/people/dana@example.com?status=deleted')
    expect(deleted.status).toBe(200)
    expect(deleted.body.accounts.map((a: any) => [a.workspace.name, a.status])).toEqual([['East', 'deleted']])
    expect(deleted.body.accounts[0].deleted_at).toEqual(expect.any(String))
    // Known to the directory, holding nothing now: 200 with no accounts; never seen: 404.
    const [eve] = (await api.get('/directory/users?email=eve@example.com')).body.result
    await deleteUsers(east, [eve.remote_id])
    await syncNow(gh, conn.east.id)
    const gone = await api.get('/directory/people/eve@example.com')
    expect(gone.status).toBe(200)
    expect(gone.body).toEqual({ email: 'eve@example.com', name: null, accounts: [] })
    const unknown = await api.get('/directory/people/nobody@example.com')
    expect(unknown.status).toBe(404)
    expect(unknown.body.errors[0]).toMatchObject({ type: 'not-found', status: 404, message: 'Person nobody@example.com not found' })
  })

  it('lists each person once, walking pages of 2', async () => {
    const pages = await walk(api, '/directory/people?limit=2')
    for (const page of pages) expect(page.length).toBeLessThanOrEqual(2)
    const people = pages.flat()
    const rows = await gh.server.store.read((q) => Promise.all(Object.values(conn).map((c) => q.dirUsers.ofConnection(c.id))))
    const live = rows.flat().filter((u) => u.status !== 'deleted')
    // Keyset on the email in the store's collation: each person exactly once.
    const seen = people.map((p) => p.email)
    expect(new Set(seen).size).toBe(seen.length)
    expect([...seen].sort()).toEqual([...new Set(live.map((u) => u.email_key))].sort())
    const dana = people.find((p) => p.email === 'dana@example.com')
    expect(dana?.accounts).toHaveLength(2)
    // Nobody whose accounts are all gone.
    expect(people.map((p) => p.email)).not.toContain('eve@example.com')
  })

  it('chooses people by the filters and still shows all their access', async () => {
    const inSouth = await api.get(`/directory/people?connection_id=${conn.south.id}`)
    expect(inSouth.status).toBe(200)
    expect(inSouth.body.result.map((p: any) => p.email)).toEqual(expect.arrayContaining(['dana@example.com', 'sam@example.com']))
    const dana = inSouth.body.result.find((p: any) => p.email === 'dana@example.com')
    expect(dana.accounts.map((a: any) => a.workspace.name).sort()).toEqual(['North', 'South'])

    const admins = await api.get('/directory/people?role=function%20admin')
    expect(admins.body.result.map((p: any) => p.email)).toEqual(['dana@example.com'])
    const invited = await api.get('/directory/people?status=invited')
    expect(invited.body.result.map((p: any) => [p.email, p.accounts.map((a: any) => a.status)])).toEqual([
      ['dana@example.com', ['invited']],
      ['sam@example.com', ['invited']],
    ])
    expect((await api.get('/directory/people?q=NED')).body.result.map((p: any) => p.email)).toEqual(['ned@example.com'])
    expect((await api.get('/directory/people?limit=0')).status).toBe(422)
    expect((await api.get('/directory/people?cursor=abc')).status).toBe(422)
  })
})
