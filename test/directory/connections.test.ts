import { existsSync, readFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { directoryClient } from '../helpers/directory.js'
import { ADMIN_KEY, type Gatehouse, HttpClient, startGatehouse } from '../helpers/gatehouse.js'
import { testStore } from '../helpers/postgres.js'
import { connectViaApi, syncNow } from './connect-helpers.js'
import { createGroup, seedRemote } from './sync-helpers.js'

/** A port nothing listens on: bound, then released. */
async function closedPort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise((resolve) => server.close(resolve))
  return port
}

describe('directory connections', () => {
  let gh: Gatehouse
  let api: HttpClient

  beforeAll(async () => {
    gh = await startGatehouse()
    api = await directoryClient(gh)
  })
  afterAll(() => gh?.stop())

  /** A second Public API token of the same workspace, through the operator API. */
  async function newToken(workspaceId: string): Promise<string> {
    const res = await gh.admin.post(`/admin/workspaces/${workspaceId}/tokens`, { description: 'rotated' })
    expect(res.status, res.text).toBe(201)
    return res.body.data.secret
  }

  it('connects a workspace with a good token and answers the connection with its remote workspace', async () => {
    const ws = await gh.workspace({ name: 'Acme Prod' })
    // A trailing slash is the same remote: stored in one spelling.
    const res = await api.post('/directory/connections', { token: ws.token, baseUrl: `${gh.url}/`, name: 'acme' })
    expect(res.status, res.text).toBe(201)
    expect(res.body).toEqual({
      id: expect.any(String),
      name: 'acme',
      base_url: gh.url,
      status: 'active',
      status_detail: null,
      workspace: { id: ws.id, slug: ws.slug, name: 'Acme Prod' },
      groups_supported: true,
      created_at: expect.any(String),
      updated_at: expect.any(String),
      last_sync_run_id: null,
      last_complete_sync_at: null,
      next_sync_at: null,
    })
    const got = await api.get(`/directory/connections/${res.body.id}`)
    expect(got.status).toBe(200)
    expect(got.body).toEqual(res.body)
    const list = await api.get('/directory/connections')
    expect(list.body.result.map((c: any) => c.id)).toContain(res.body.id)
  })

  it("names a connection after its workspace's slug when no name is given", async () => {
    const ws = await gh.workspace()
    const conn = await connectViaApi(api, gh, ws)
    expect(conn.name).toBe(ws.slug)
  })

  it('refuses a token the remote rejects with a 422 that says so, and stores nothing', async () => {
    const before = await gh.server.store.read((q) => q.connections.all())
    const res = await api.post('/directory/connections', { token: 'sgp_not_a_real_token', baseUrl: gh.url })
    expect(res.status).toBe(422)
    expect(res.body.errors).toEqual([
      {
        type: 'input-validation',
        status: 422,
        field: 'token',
        message: 'The remote rejected the token (it answered 401): check the token and the base URL',
      },
    ])
    expect(await gh.server.store.read((q) => q.connections.all())).toHaveLength(before.length)
  })

  it('answers 502 with a clear envelope when the remote cannot be reached', async () => {
    const ws = await gh.workspace()
    const closed = await closedPort()
    const res = await api.post('/directory/connections', { token: ws.token, baseUrl: `http://127.0.0.1:${closed}` })
    expect(res.status).toBe(502)
    expect(res.body.errors).toHaveLength(1)
    expect(res.body.errors[0]).toMatchObject({ type: 'bad-gateway', status: 502 })
    expect(res.body.errors[0].message).toBe(
      `Could not reach the remote at http://127.0.0.1:${closed}: connect ECONNREFUSED 127.0.0.1:${closed}`,
    )
  })

  it('refuses a base URL that is not an http(s) URL, and a body that is not a connection, with a 422', async () => {
    const ws = await gh.workspace()
    for (const baseUrl of ['not a url', 'ftp://api.segmentapis.com', `http://user:pw@${gh.url.slice(7)}`, `${gh.url}?region=eu`]) {
      const res = await api.post('/directory/connections', { token: ws.token, baseUrl })
      expect(res.status, baseUrl).toBe(422)
      expect(res.body.errors[0].field, baseUrl).toBe('baseUrl')
    }
    // A server that answers, but not as the Public API does.
    const notSegment = await api.post('/directory/connections', { token: ws.token, baseUrl: `${gh.url}/healthz` })
    expect(notSegment.status).toBe(422)
    expect(notSegment.body.errors[0].message).toMatch(/is it a Segment Public API base URL\?/)
    expect((await api.post('/directory/connections', { baseUrl: gh.url })).body.errors[0]).toMatchObject({ status: 422, field: 'token' })
    expect((await api.post('/directory/connections', { token: ws.token, region: 'eu' })).body.errors[0]).toMatchObject({
      status: 422,
      field: 'region',
    })
  })

  it('refuses to connect the same remote workspace twice with a 409, whatever the token', async () => {
    const ws = await gh.workspace()
    const first = await connectViaApi(api, gh, ws)
    const again = await api.post('/directory/connections', { token: await newToken(ws.id), baseUrl: `${gh.url}//` })
    expect(again.status).toBe(409)
    expect(again.body.errors[0]).toMatchObject({ type: 'conflict', status: 409, data: { connection_id: first.id } })
    expect(again.body.errors[0].message).toContain(`Workspace ${ws.slug}`)
  })

  it('keeps the token out of every answer, out of the store in clear and out of the SQLite file', async () => {
    const ws = await gh.workspace()
    const created = await api.post('/directory/connections', { token: ws.token, baseUrl: gh.url })
    const rotatedToken = await newToken(ws.id)
    const answers = [
      created,
      await api.get('/directory/connections'),
      await api.get(`/directory/connections/${created.body.id}`),
      await api.put(`/directory/connections/${created.body.id}/token`, { token: rotatedToken }),
      await api.post('/directory/connections', { token: ws.token, baseUrl: gh.url }), // the 409
    ]
    for (const res of answers) {
      expect(res.text).not.toContain(ws.token)
      expect(res.text).not.toContain(rotatedToken)
    }
    const row = await gh.server.store.read((q) => q.connections.find(created.body.id))
    expect(row?.token_ciphertext).toMatch(/^v1\./)
    expect(JSON.stringify(row)).not.toContain(rotatedToken)
    expect(gh.server.directory.cipher.open(row?.token_ciphertext as string)).toBe(rotatedToken)
    if (testStore() === 'sqlite') {
      // The WAL holds recent pages until a checkpoint: check it too.
      for (const file of [gh.dbFile, `${gh.dbFile}-wal`].filter((f) => existsSync(f))) {
        const bytes = readFileSync(file)
        expect(bytes.includes(ws.token), file).toBe(false)
        expect(bytes.includes(rotatedToken), file).toBe(false)
      }
    }
  })

  it('rotates to a new token of the same workspace, back to active, and syncs with it', async () => {
    const ws = await gh.workspace()
    const conn = await connectViaApi(api, gh, ws)
    await gh.server.store.write((q) =>
      q.connections.update(conn.id, {
        status: 'needs_reauth',
        status_detail: 'Remote answered 401: Unauthorized',
        next_sync_at: '2999-01-01T00:00:00.000Z',
      }),
    )
    const token = await newToken(ws.id)
    const res = await api.put(`/directory/connections/${conn.id}/token`, { token })
    expect(res.status, res.text).toBe(200)
    expect(res.body).toMatchObject({ id: conn.id, status: 'active', status_detail: null, next_sync_at: null, workspace: conn.workspace })
    const row = await gh.server.store.read((q) => q.connections.find(conn.id))
    expect(gh.server.directory.cipher.open(row?.token_ciphertext as string)).toBe(token)
    await syncNow(gh, conn.id)
  })

  it('refuses a rotation to a rejected token or to another workspace with a 422, keeping the old token', async () => {
    const [ws, other] = [await gh.workspace(), await gh.workspace()]
    const conn = await connectViaApi(api, gh, ws)
    const wrong = await api.put(`/directory/connections/${conn.id}/token`, { token: other.token })
    expect(wrong.status).toBe(422)
    expect(wrong.body.errors[0]).toMatchObject({ field: 'token' })
    expect(wrong.body.errors[0].message).toContain(`reaches workspace ${other.slug} (${other.id}), not ${ws.slug} (${ws.id})`)
    const rejected = await api.put(`/directory/connections/${conn.id}/token`, { token: 'sgp_nope' })
    expect(rejected.status).toBe(422)
    expect(rejected.body.errors[0].message).toMatch(/^The remote rejected the token/)
    const row = await gh.server.store.read((q) => q.connections.find(conn.id))
    expect(gh.server.directory.cipher.open(row?.token_ciphertext as string)).toBe(ws.token)
    expect((await api.put('/directory/connections/nope/token', { token: ws.token })).status).toBe(404)
  })

  it('deletes a connection with its synced rows and runs, and leaves the remote alone', async () => {
    const ws = await gh.workspace()
    await seedRemote(gh, ws, 'del')
    await createGroup(ws, 'del-empty')
    const conn = await connectViaApi(api, gh, ws)
    const keep = await connectViaApi(api, gh, await gh.workspace())
    await syncNow(gh, conn.id)
    await syncNow(gh, keep.id)
    const counts = (id: string) =>
      gh.server.store.read(async (q) => ({
        users: (await q.dirUsers.ofConnection(id)).length,
        groups: (await q.dirGroups.ofConnection(id)).length,
        memberships: (await q.dirGroups.memberships(id)).length,
        roles: (await q.dirRoles.ofConnection(id)).length,
        runs: (await q.dirRuns.list({ connectionId: id }, { direction: 'after', key: null, limit: 100 })).rows.length,
      }))
    expect(await counts(conn.id)).toEqual({ users: 7, groups: 3, memberships: 5, roles: expect.any(Number), runs: 1 })
    const kept = await counts(keep.id)

    const res = await api.delete(`/directory/connections/${conn.id}`)
    expect(res.status).toBe(200)
    expect(res.body).toEqual({ id: conn.id })
    expect(await counts(conn.id)).toEqual({ users: 0, groups: 0, memberships: 0, roles: 0, runs: 0 })
    expect(await counts(keep.id)).toEqual(kept)
    expect((await api.get(`/directory/connections/${conn.id}`)).status).toBe(404)
    expect((await api.delete(`/directory/connections/${conn.id}`)).status).toBe(404)
    // The remote still has everyone.
    const remote = await ws.http.get('/users?pagination%5Bcount%5D=100')
    expect(remote.body.data.users).toHaveLength(4)
  })

  it('pages through connections with an opaque cursor and refuses one it did not issue', async () => {
    for (let i = 0; i < 3; i++) await connectViaApi(api, gh, await gh.workspace())
    const all = (await gh.server.store.read((q) => q.connections.all())).map((c) => c.id)
    const seen: string[] = []
    let cursor: string | null = null
    do {
      const res = await api.get(`/directory/connections?limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`)
      expect(res.status).toBe(200)
      expect(res.body.result.length).toBeLessThanOrEqual(2)
      seen.push(...res.body.result.map((c: any) => c.id))
      cursor = res.body.next_cursor
    } while (cursor !== null)
    expect(seen).toEqual(all)
    const bad = await api.get('/directory/connections?cursor=bm9wZQ.abc')
    expect(bad.status).toBe(422)
    expect(bad.body.errors[0]).toMatchObject({ type: 'input-validation', field: 'cursor' })
  })

  it('answers 401 without a valid directory API key, even with a workspace token', async () => {
    const ws = await gh.workspace()
    for (const client of [new HttpClient(gh.url, undefined), new HttpClient(gh.url, ws.token), new HttpClient(gh.url, ADMIN_KEY)]) {
      const res = await client.post('/directory/connections', { token: ws.token, baseUrl: gh.url })
      expect(res.status).toBe(401)
      expect(res.body.errors[0]).toMatchObject({ type: 'unauthorized', status: 401 })
      expect((await client.get('/directory/connections')).status).toBe(401)
    }
  })
})
