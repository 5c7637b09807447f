import { createServer } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { directoryClient } from '../helpers/directory.js'
import { type Gatehouse, HttpClient as Http, type HttpClient, type SeededWorkspace, startGatehouse } from '../helpers/gatehouse.js'
import { connectViaApi } from './connect-helpers.js'
import { ROLE } from './sync-helpers.js'

describe('directory proxy: requests passed 1:1 to a connection’s remote', () => {
  let gh: Gatehouse
  let api: HttpClient
  let ws: SeededWorkspace
  let conn: any
  let proxy: string

  beforeAll(async () => {
    gh = await startGatehouse()
    api = await directoryClient(gh)
    ws = await gh.workspace()
    await gh.addUsers(ws, ['p1@example.com', 'p2@example.com', 'p3@example.com'])
    conn = await connectViaApi(api, gh, ws)
    proxy = `/directory/connections/${conn.id}/proxy`
  })
  afterAll(() => gh?.stop())

  it('passes GET /users with its query string through with the stored token and answers the remote verbatim', async () => {
    const query = '?pagination%5Bcount%5D=2'
    const [viaProxy, direct] = [await api.get(`${proxy}/users${query}`), await ws.http.get(`/users${query}`)]
    expect(viaProxy.status).toBe(200)
    expect(viaProxy.body).toEqual(direct.body)
    expect(viaProxy.body.data.users).toHaveLength(2)
    // The remote's own cursor works through the proxy too, in the dot form the remote also reads.
    const next = await api.get(
      `${proxy}/users?pagination.count=2&pagination.cursor=${encodeURIComponent(viaProxy.body.data.pagination.next)}`,
    )
    expect(next.status).toBe(200)
    expect(next.body.data.users).toHaveLength(2)
    expect(next.body.data.users[0].id).not.toBe(viaProxy.body.data.users[0].id)
    // No path after /proxy is the remote's root: its workspace.
    expect((await api.get(proxy)).body).toEqual({ data: { workspace: { id: ws.id, slug: ws.slug, name: ws.name } } })
  })

  it('passes a POST with its JSON body and answers with the remote status', async () => {
    const body = { invites: [{ email: 'proxied@example.com', permissions: [{ roleId: ROLE.minimal }] }] }
    const res = await api.post(`${proxy}/invites`, body)
    const direct = await ws.http.post('/invites', { invites: [{ email: 'direct@example.com', permissions: [{ roleId: ROLE.minimal }] }] })
    expect(res.status).toBe(direct.status)
    expect(res.status).toBe(201)
    expect(res.body).toEqual({ data: { emails: ['proxied@example.com'] } })
    expect(direct.body).toEqual({ data: { emails: ['direct@example.com'] } })
    const invites = await ws.http.get('/invites')
    expect(invites.body.data.invites).toEqual(expect.arrayContaining(['proxied@example.com', 'direct@example.com']))
    // And a DELETE whose query names what to delete.
    const removed = await api.delete(`${proxy}/invites?emails%5B0%5D=proxied%40example.com`)
    expect(removed.status).toBe(200)
    expect((await ws.http.get('/invites')).body.data.invites).not.toContain('proxied@example.com')
  })

  it("answers the remote's errors as they came: status and envelope", async () => {
    for (const [method, path, body] of [
      ['GET', '/users/nope', undefined],
      ['POST', '/groups', { name: '' }],
      ['GET', '/no/such/route', undefined],
    ] as const) {
      const [viaProxy, direct] = [await api.request(method, `${proxy}${path}`, body), await ws.http.request(method, path, body)]
      expect(viaProxy.status, path).toBe(direct.status)
      expect(viaProxy.status, path).toBeGreaterThanOrEqual(400)
      expect(viaProxy.body, path).toEqual(direct.body)
    }
  })

  it('never shows the token in its answers, its errors included', async () => {
    const broken = await connectViaApi(api, gh, await gh.workspace())
    await gh.server.store.write((q) => q.connections.update(broken.id, { status: 'needs_reauth' }))
    const answers = [
      await api.get(`${proxy}/users`),
      await api.get(proxy),
      await api.get(`${proxy}/users/nope`),
      await api.post(`${proxy}/groups`, { nope: true }),
      await api.get(`/directory/connections/${broken.id}/proxy/users`),
    ]
    for (const res of answers) {
      expect(res.text).not.toContain(ws.token)
      expect(res.text).not.toMatch(/sgp_/)
    }
  })

  it('refuses a connection that needs a new token with a clear 409, and an unknown one with a 404', async () => {
    const other = await connectViaApi(api, gh, await gh.workspace())
    await gh.server.store.write((q) => q.connections.update(other.id, { status: 'needs_reauth' }))
    const res = await api.get(`/directory/connections/${other.id}/proxy/users`)
    expect(res.status).toBe(409)
    expect(res.body.errors[0]).toMatchObject({ type: 'conflict', status: 409, data: { connection_id: other.id, status: 'needs_reauth' } })
    expect(res.body.errors[0].message).toContain(`PUT /directory/connections/${other.id}/token`)
    expect((await api.get('/directory/connections/nope/proxy/users')).status).toBe(404)
  })

  it('answers 502 with a clear envelope when the remote cannot be reached', async () => {
    const other = await connectViaApi(api, gh, await gh.workspace())
    const server = createServer()
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const { port } = server.address() as { port: number }
    await new Promise((resolve) => server.close(resolve))
    await gh.server.store.write((q) => q.connections.update(other.id, { base_url: `http://127.0.0.1:${port}` }))
    const res = await api.post(`/directory/connections/${other.id}/proxy/groups`, { name: 'x' })
    expect(res.status).toBe(502)
    expect(res.body.errors).toEqual([
      {
        type: 'bad-gateway',
        status: 502,
        message: `Could not reach the remote at http://127.0.0.1:${port}: connect ECONNREFUSED 127.0.0.1:${port}`,
      },
    ])
  })

  it('needs a directory API key: a workspace token is not one', async () => {
    for (const client of [new Http(gh.url, undefined), new Http(gh.url, ws.token)]) {
      const res = await client.get(`${proxy}/users`)
      expect(res.status).toBe(401)
      expect(res.body.errors[0].message).toBe('Unauthorized: a valid directory API key is required')
    }
  })
})
