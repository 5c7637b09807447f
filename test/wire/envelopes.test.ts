import { request } from 'node:http'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ADMIN_KEY, type Gatehouse, HttpClient, type HttpResult, type SeededWorkspace, startGatehouse } from '../helpers/gatehouse.js'

const OWNER_ROLE = '1WDUuRLxv84rrfCNUwvkrRtkxnS'
const enc = encodeURIComponent

/** Stack frames, file paths and internals that must never reach a client. */
function expectNoLeak(text: string) {
  expect(text).not.toMatch(/\n\s+at /)
  expect(text).not.toMatch(/\.(ts|js):\d+/)
  expect(text).not.toMatch(/node_modules|"stack"|FST_ERR|SQLITE_/i)
}

/** Segment's error envelope: one JSON object holding exactly `errors`, a non-empty array of {type, message, status, …}. */
function expectEnvelope(res: HttpResult, status: number, type?: string, field?: string) {
  expect(res.status, res.text).toBe(status)
  expect(res.headers.get('content-type')).toMatch(/^application\/json/)
  expect(Object.keys(res.body)).toEqual(['errors'])
  expect(res.body.errors).toHaveLength(1)
  const [error] = res.body.errors
  expect(error).toEqual(expect.objectContaining({ type: expect.any(String), message: expect.any(String), status }))
  expect(error.message.length).toBeGreaterThan(0)
  for (const key of Object.keys(error)) expect(['type', 'message', 'status', 'field', 'data']).toContain(key)
  if (type !== undefined) expect(error.type).toBe(type)
  if (field !== undefined) expect(error.field).toBe(field)
  expectNoLeak(res.text)
}

/** A 2xx answer as the SDK's unwrap() needs it: JSON with a `data` object and no `errors`. */
function expectSuccess(res: HttpResult, status = 200) {
  expect(res.status, res.text).toBe(status)
  expect(res.headers.get('content-type')).toMatch(/^application\/json/)
  expect(res.body.data).toEqual(expect.any(Object))
  expect(res.body).not.toHaveProperty('errors')
}

describe('error envelopes', () => {
  let gh: Gatehouse
  let ws: SeededWorkspace
  let userId: string
  let groupId: string
  beforeAll(async () => {
    gh = await startGatehouse()
    ws = await gh.workspace()
    const [user] = await gh.addUsers(ws, ['member@env.example'])
    userId = user!.id
    const group = await ws.http.post('/groups', { name: 'envelope-group' })
    groupId = group.body.data.userGroup.id
  })
  afterAll(() => gh.stop())

  describe('401', () => {
    it('answers 401 when no token is sent', async () => {
      const anonymous = new HttpClient(gh.url, undefined)
      for (const path of ['/', '/users', '/groups', '/audit-events']) expectEnvelope(await anonymous.get(path), 401, 'unauthorized')
      expectEnvelope(await anonymous.post('/groups', { name: 'x' }), 401, 'unauthorized')
      expectEnvelope(await anonymous.delete(`/users?userIds.0=${userId}`), 401, 'unauthorized')
    })

    it('answers 401 to a garbage token and to a non-Bearer scheme', async () => {
      expectEnvelope(await new HttpClient(gh.url, 'sgp_not-a-real-token').get('/users'), 401, 'unauthorized')
      expectEnvelope(await new HttpClient(gh.url, 'x'.repeat(600)).get('/users'), 401, 'unauthorized')
      expectEnvelope(await ws.http.get('/users', { authorization: `Basic ${ws.token}` }), 401, 'unauthorized')
      expectEnvelope(await ws.http.get('/users', { authorization: 'Bearer' }), 401, 'unauthorized')
    })

    it('answers 401 to a token after it is revoked, and 200 before', async () => {
      const created = await gh.admin.post(`/admin/workspaces/${ws.id}/tokens`, { description: 'short-lived' })
      expect(created.status).toBe(201)
      const client = new HttpClient(gh.url, created.body.data.secret)
      expectSuccess(await client.get('/users'))
      const revoked = await gh.admin.delete(`/admin/workspaces/${ws.id}/tokens/${created.body.data.token.id}`)
      expect(revoked.status).toBe(200)
      expect(revoked.body).toEqual({ data: { status: 'SUCCESS' } })
      expectEnvelope(await client.get('/users'), 401, 'unauthorized')
      expectEnvelope(await client.post('/groups', { name: 'after-revoke' }), 401, 'unauthorized')
      // the workspace's other token keeps working
      expectSuccess(await ws.http.get('/users'))
    })

    it('answers 401 when a MEMBER token tries a write (Segment folds "lacks permission" into 401)', async () => {
      const created = await gh.admin.post(`/admin/workspaces/${ws.id}/tokens`, { description: 'member', role: 'MEMBER' })
      const member = new HttpClient(gh.url, created.body.data.secret)
      expectSuccess(await member.get('/users'))
      expectEnvelope(await member.post('/groups', { name: 'by-member' }), 401, 'unauthorized')
      expectEnvelope(await member.get('/audit-events'), 401, 'unauthorized')
    })

    it('answers 401 on the operator API without the admin key', async () => {
      expectEnvelope(await ws.http.get('/admin/workspaces'), 401, 'unauthorized')
      expect(ADMIN_KEY).not.toBe(ws.token)
    })
  })

  describe('404', () => {
    it('answers 404 for an unknown route, with or without a token', async () => {
      expectEnvelope(await ws.http.get('/no-such-route'), 404, 'not-found')
      expectEnvelope(await new HttpClient(gh.url, undefined).get('/no-such-route'), 404, 'not-found')
      expectEnvelope(await ws.http.request('PATCH', '/users'), 404, 'not-found')
      expectEnvelope(await ws.http.post('/users/x/y/z', {}), 404, 'not-found')
    })

    it('answers 404 for an unknown id on every kind of resource', async () => {
      expectEnvelope(await ws.http.get('/users/no-such-user'), 404, 'not-found', 'userId')
      expectEnvelope(await ws.http.get('/users/no-such-user/groups'), 404, 'not-found')
      expectEnvelope(await ws.http.get('/groups/no-such-group'), 404, 'not-found', 'userGroupId')
      expectEnvelope(await ws.http.patch('/groups/no-such-group', { name: 'x' }), 404, 'not-found')
      expectEnvelope(await ws.http.delete('/groups/no-such-group'), 404, 'not-found')
      expectEnvelope(await ws.http.get('/groups/no-such-group/users'), 404, 'not-found')
      expectEnvelope(await ws.http.delete('/group/no-such-group/users?emails.0=a%40b.example'), 404, 'not-found')
      expectEnvelope(await ws.http.delete(`/users?userIds.0=${userId}&userIds.1=no-such-user`), 404, 'not-found', 'userIds')
      expectEnvelope(await ws.http.delete('/invites?emails.0=nobody%40env.example'), 404, 'not-found')
      expectEnvelope(await ws.http.delete('/labels/nokey/novalue'), 404, 'not-found')
      // the failed bulk delete changed nothing
      expectSuccess(await ws.http.get(`/users/${userId}`))
    })
  })

  it('answers 400 bad-request in the envelope to a path with broken percent-encoding', async () => {
    expectEnvelope(await ws.http.get('/users/%E0%A4%A'), 400, 'bad-request')
    expectEnvelope(await ws.http.delete('/groups/%ZZ'), 400, 'bad-request')
  })

  it('answers 422 in the envelope to a path parameter over 1000 characters', async () => {
    expectEnvelope(await ws.http.get(`/users/${'a'.repeat(1001)}`), 422, 'input-validation')
    expectEnvelope(await ws.http.get(`/groups/${'g'.repeat(5000)}/users`), 422, 'input-validation')
  })

  it('answers 431 in the envelope when the request line and headers are too large, and keeps serving', async () => {
    expectEnvelope(await ws.http.get('/users', { 'x-padding': 'a'.repeat(300 * 1024) }), 431, 'bad-request')
    expectSuccess(await ws.http.get('/users'))
  })

  it('accepts a long query string such as a 1000-id bulk delete (about 44 KiB)', async () => {
    const ids = Array.from({ length: 1000 }, (_, i) => `0ERcfmIXfWnPE1pWNNPhs${String(i).padStart(6, '0')}`)
    const res = await ws.http.delete(`/users?${ids.map((id, i) => `userIds%5B${i}%5D=${id}`).join('&')}`)
    // none of these ids exist: a 404 naming userIds proves the whole query reached the route
    expectEnvelope(res, 404, 'not-found', 'userIds')
  })

  it('answers 413 to a body over 1 MiB', async () => {
    const res = await ws.http.post('/groups', { name: 'x'.repeat(1024 * 1024 + 1) })
    expectEnvelope(res, 413, 'payload-too-large')
  })

  describe('422', () => {
    const cases: [string, () => Promise<HttpResult>, string][] = [
      ['count 0', () => ws.http.get('/users?pagination%5Bcount%5D=0'), 'pagination.count'],
      ['count 1001', () => ws.http.get('/users?pagination%5Bcount%5D=1001'), 'pagination.count'],
      ['count abc', () => ws.http.get('/users?pagination%5Bcount%5D=abc'), 'pagination.count'],
      ['count 1.5', () => ws.http.get('/users?pagination.count=1.5'), 'pagination.count'],
      ['count -1', () => ws.http.get('/groups?pagination.count=-1'), 'pagination.count'],
      ['count given twice', () => ws.http.get('/users?pagination.count=2&pagination.count=3'), 'pagination.count'],
      ['unknown pagination field', () => ws.http.get('/users?pagination.size=2'), 'pagination.size'],
      ['empty cursor', () => ws.http.get('/users?pagination.cursor='), 'pagination.cursor'],
      ['a docs-sample cursor the server did not issue', () => ws.http.get('/users?pagination%5Bcursor%5D=MA%3D%3D'), 'pagination.cursor'],
      ['an over-long cursor', () => ws.http.get(`/users?pagination.cursor=${'a'.repeat(3000)}`), 'pagination.cursor'],
      ['an id over 255 characters (user)', () => ws.http.get(`/users/${'a'.repeat(256)}`), 'userId'],
      ['an id over 255 characters (group)', () => ws.http.get(`/groups/${'g'.repeat(256)}`), 'userGroupId'],
      ['an id over 255 characters (bulk delete)', () => ws.http.delete(`/users?userIds.0=${'u'.repeat(256)}`), 'userIds.0'],
      ['a bad email in an invite', () => ws.http.post('/invites', { invites: [{ email: 'not-an-email' }] }), 'invites.0.email'],
      ['a bad email in group members', () => ws.http.post(`/groups/${groupId}/users`, { emails: ['nope'] }), 'emails.0'],
      ['a bad email in a query', () => ws.http.delete('/invites?emails.0=nope'), 'emails.0'],
      ['an unknown field in a body', () => ws.http.post('/groups', { name: 'g', extra: 1 }), 'extra'],
      ['name: 123', () => ws.http.post('/groups', { name: 123 }), 'name'],
      ['name: null', () => ws.http.patch(`/groups/${groupId}`, { name: null }), 'name'],
      ['a blank name', () => ws.http.post('/groups', { name: '   ' }), 'name'],
      ['emails: "a string"', () => ws.http.post(`/groups/${groupId}/users`, { emails: 'a@b.example' }), 'emails'],
      ['an empty emails array', () => ws.http.post(`/groups/${groupId}/users`, { emails: [] }), 'emails'],
      ['an empty invites array', () => ws.http.post('/invites', { invites: [] }), 'invites'],
      [
        'a resource type outside the enum',
        () =>
          ws.http.post(`/users/${userId}/permissions`, {
            permissions: [{ roleId: OWNER_ROLE, resources: [{ id: ws.id, type: 'BOGUS' }] }],
          }),
        'permissions.0.resources.0.type',
      ],
      [
        'a missing roleId',
        () => ws.http.post(`/groups/${groupId}/permissions`, { permissions: [{ resources: [{ id: ws.id, type: 'WORKSPACE' }] }] }),
        'permissions.0.roleId',
      ],
      ['a missing userIds on DELETE /users', () => ws.http.delete('/users'), 'userIds'],
      ['a missing emails on DELETE /invites', () => ws.http.delete('/invites'), 'emails'],
      ['a missing emails on DELETE /group/{id}/users', () => ws.http.delete(`/group/${groupId}/users`), 'emails'],
      ['a JSON array body', () => ws.http.post('/groups', '[]'), 'body'],
      ['a bad audit startTime', () => ws.http.get('/audit-events?startTime=yesterday'), 'startTime'],
    ]
    it.each(cases)('answers 422 input-validation for %s', async (_name, send, field) => {
      expectEnvelope(await send(), 422, 'input-validation', field)
    })

    it('answers 422 to a cursor whose payload was tampered with', async () => {
      const page = await ws.http.get('/users?pagination.count=1')
      const cursor: string = page.body.data.pagination.next
      const [payload, signature] = cursor.split('.') as [string, string]
      const decoded = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'))
      decoded.k = ['0']
      const forged = `${Buffer.from(JSON.stringify(decoded)).toString('base64url')}.${signature}`
      expectEnvelope(await ws.http.get(`/users?pagination.cursor=${enc(forged)}`), 422, 'input-validation', 'pagination.cursor')
      const flipped = `${payload}.${signature.startsWith('A') ? 'B' : 'A'}${signature.slice(1)}`
      expectEnvelope(await ws.http.get(`/users?pagination.cursor=${enc(flipped)}`), 422, 'input-validation', 'pagination.cursor')
      expectEnvelope(await ws.http.get(`/users?pagination.cursor=${enc(`${cursor}.x`)}`), 422, 'input-validation', 'pagination.cursor')
      expectEnvelope(await ws.http.get(`/users?pagination.cursor=${enc(payload)}`), 422, 'input-validation', 'pagination.cursor')
    })

    it('answers 422 to a cursor from /users used on /groups (and on another list)', async () => {
      const page = await ws.http.get('/users?pagination.count=1')
      const cursor = enc(page.body.data.pagination.next)
      expectEnvelope(await ws.http.get(`/groups?pagination.cursor=${cursor}`), 422, 'input-validation', 'pagination.cursor')
      expectEnvelope(await ws.http.get(`/invites?pagination.cursor=${cursor}`), 422, 'input-validation', 'pagination.cursor')
      expectEnvelope(
        await ws.http.get(`/groups/${groupId}/users?pagination.cursor=${cursor}`),
        422,
        'input-validation',
        'pagination.cursor',
      )
      // and the same cursor still works where it came from
      expectSuccess(await ws.http.get(`/users?pagination.cursor=${cursor}`))
    })
  })

  it('answers 400 bad-request to malformed JSON', async () => {
    expectEnvelope(await ws.http.post('/groups', '{"name":'), 400, 'bad-request')
    expectEnvelope(await ws.http.patch(`/groups/${groupId}`, "{name:'x'}"), 400, 'bad-request')
    expectEnvelope(await ws.http.post('/groups', '{"name":', { 'content-type': 'application/vnd.segment.v1+json' }), 400, 'bad-request')
  })

  it('answers 422 naming the body to an empty JSON body where one is required', async () => {
    const res = await ws.http.post('/groups', '')
    expectEnvelope(res, 422, 'input-validation')
    expect(res.body.errors[0]).toMatchObject({ field: 'body', message: 'body must be a JSON object' })
  })

  it('accepts a DELETE that sends Content-Type: application/json with no body', async () => {
    const res = await ws.http.request('DELETE', `/invites?emails.0=${encodeURIComponent('nobody@example.com')}`, undefined, {
      'content-type': 'application/json',
    })
    expectEnvelope(res, 404, 'not-found')
  })

  it('answers 415 to a text/plain or form body on POST', async () => {
    const text = await ws.http.post('/groups', '{"name":"plain"}', { 'content-type': 'text/plain' })
    expectEnvelope(text, 415, 'unsupported-media-type')
    expect(text.body.errors[0].message).toContain('text/plain')
    expectEnvelope(
      await ws.http.post('/groups', 'name=form', { 'content-type': 'application/x-www-form-urlencoded' }),
      415,
      'unsupported-media-type',
    )
    expectEnvelope(await ws.http.put(`/group/${groupId}/users`, 'a@b.example', { 'content-type': 'text/plain; charset=utf-8' }), 415)
    const names = (await ws.http.get('/groups')).body.data.userGroups.map((g: { name: string }) => g.name)
    expect(names).not.toContain('plain')
    expect(names).not.toContain('form')
  })

  it('answers 400 to a plan-gated feature, with type bad-request (the documented plan-gating choice)', async () => {
    const team = await gh.workspace({ plan: 'team' })
    expectEnvelope(await team.http.get('/groups'), 400, 'bad-request')
    expectEnvelope(await team.http.post('/groups', { name: 'x' }), 400, 'bad-request')
  })

  it('answers 409 conflict to a duplicate group name', async () => {
    expectEnvelope(await ws.http.post('/groups', { name: 'envelope-group' }), 409, 'conflict')
  })
})

describe('success answers', () => {
  let gh: Gatehouse
  let ws: SeededWorkspace
  beforeAll(async () => {
    gh = await startGatehouse()
    ws = await gh.workspace()
    await gh.addUsers(ws, ['a@ok.example', 'b@ok.example'])
  })
  afterAll(() => gh.stop())

  it.each([
    ['application/json'],
    ['*/*'],
    [''],
    ['application/vnd.segment.v1+json'],
    ['application/vnd.segment.v1beta+json; charset=utf-8'],
    ['application/vnd.segment.v1alpha+json'],
    ['application/vnd.segment.beta+json'],
    ['application/json; charset=utf-8'],
  ])('answers 200 JSON to Accept: %s', async (accept) => {
    const headers = { accept }
    for (const path of ['/', '/users', '/roles?pagination.count=2']) {
      const res = await ws.http.get(path, headers)
      expectSuccess(res)
    }
  })

  it('answers 200 JSON to a request with no Accept header at all', async () => {
    // fetch always adds an Accept header; node:http sends only what it is given.
    const { status, contentType, body } = await new Promise<{ status: number; contentType: string | undefined; body: string }>(
      (resolve, reject) => {
        const req = request(`${gh.url}/users`, { headers: { authorization: `Bearer ${ws.token}` } }, (res) => {
          let text = ''
          res.setEncoding('utf8')
          res.on('data', (chunk: string) => {
            text += chunk
          })
          res.on('end', () => resolve({ status: res.statusCode ?? 0, contentType: res.headers['content-type'], body: text }))
        })
        req.on('error', reject)
        req.end()
      },
    )
    expect(status).toBe(200)
    expect(contentType).toMatch(/^application\/json/)
    expect(JSON.parse(body).data.users.length).toBeGreaterThan(0)
  })

  it('reads a request body sent as application/vnd.segment.v1+json as JSON', async () => {
    const res = await ws.http.post('/groups', { name: 'vendor-json' }, { 'content-type': 'application/vnd.segment.v1+json' })
    expectSuccess(res)
    expect(res.body.data.userGroup.name).toBe('vendor-json')
    const beta = await ws.http.patch(
      `/groups/${res.body.data.userGroup.id}`,
      { name: 'vendor-json-2' },
      { 'content-type': 'application/vnd.segment.v1beta+json; charset=utf-8' },
    )
    expectSuccess(beta)
    expect(beta.body.data.userGroup.name).toBe('vendor-json-2')
  })

  it('reads a request body sent as application/json; charset=utf-8', async () => {
    expectSuccess(await ws.http.post('/groups', { name: 'charset-json' }, { 'content-type': 'application/json; charset=utf-8' }))
  })

  it('serves a basePath that ends in a slash (the SDK then sends //path)', async () => {
    const workspace = await ws.http.get('//')
    expectSuccess(workspace)
    expect(workspace.body.data.workspace.id).toBe(ws.id)
    const users = await ws.http.get('//users?pagination%5Bcount%5D=1')
    expectSuccess(users)
    expect(users.body.data.users).toHaveLength(1)
    const created = await ws.http.post('//groups', { name: 'double-slash' })
    expectSuccess(created)
    const id = created.body.data.userGroup.id
    expectSuccess(await ws.http.get(`//groups/${id}`))
    expectSuccess(await ws.http.post(`//group/${id}/users`, { emails: ['a@ok.example'] }))
    expect((await ws.http.delete(`//groups/${id}`)).body).toEqual({ data: { status: 'SUCCESS' } })
  })

  it('always answers success with data and never with errors', async () => {
    const [user] = await gh.addUsers(ws, ['c@ok.example'])
    const group = await ws.http.post('/groups', { name: 'sweep' })
    expectSuccess(group)
    const gid = group.body.data.userGroup.id
    const responses: [string, HttpResult, number][] = [
      ['GET /', await ws.http.get('/'), 200],
      ['GET /users', await ws.http.get('/users'), 200],
      ['GET /users/{id}', await ws.http.get(`/users/${user!.id}`), 200],
      ['GET /users/{id}/groups', await ws.http.get(`/users/${user!.id}/groups`), 200],
      ['GET /roles', await ws.http.get('/roles'), 200],
      ['GET /labels', await ws.http.get('/labels'), 200],
      ['POST /labels', await ws.http.post('/labels', { label: { key: 'team', value: 'sweep' } }), 201],
      ['POST /invites', await ws.http.post('/invites', { invites: [{ email: 'inv@ok.example' }] }), 201],
      ['GET /invites', await ws.http.get('/invites'), 200],
      ['GET /groups', await ws.http.get('/groups'), 200],
      ['GET /groups/{id}', await ws.http.get(`/groups/${gid}`), 200],
      ['PATCH /groups/{id}', await ws.http.patch(`/groups/${gid}`, { name: 'sweep-2' }), 200],
      ['POST /groups/{id}/users', await ws.http.post(`/groups/${gid}/users`, { emails: ['c@ok.example', 'inv@ok.example'] }), 200],
      ['PUT /group/{id}/users', await ws.http.put(`/group/${gid}/users`, { emails: ['c@ok.example', 'inv@ok.example'] }), 200],
      ['GET /groups/{id}/users', await ws.http.get(`/groups/${gid}/users`), 200],
      ['GET /groups/{id}/invites', await ws.http.get(`/groups/${gid}/invites`), 200],
      [
        'POST /users/{id}/permissions',
        await ws.http.post(`/users/${user!.id}/permissions`, {
          permissions: [{ roleId: OWNER_ROLE, resources: [{ id: ws.id, type: 'WORKSPACE' }] }],
        }),
        200,
      ],
      ['PUT /users/{id}/permissions', await ws.http.put(`/users/${user!.id}/permissions`, { permissions: [] }), 200],
      [
        'POST /groups/{id}/permissions',
        await ws.http.post(`/groups/${gid}/permissions`, {
          permissions: [{ roleId: OWNER_ROLE, resources: [{ id: ws.id, type: 'WORKSPACE' }] }],
        }),
        200,
      ],
      ['PUT /groups/{id}/permissions', await ws.http.put(`/groups/${gid}/permissions`, { permissions: [] }), 200],
      ['GET /audit-events', await ws.http.get('/audit-events'), 200],
    ]
    for (const [name, res, status] of responses) {
      expect(res.status, `${name}: ${res.text}`).toBe(status)
      expectSuccess(res, status)
    }
  })

  it('answers every delete with 200 {data:{status:"SUCCESS"}}, never 204', async () => {
    const [u1, u2] = await gh.addUsers(ws, ['del1@ok.example', 'del2@ok.example'])
    await ws.http.post('/invites', { invites: [{ email: 'del-inv@ok.example' }] })
    await ws.http.post('/labels', { label: { key: 'team', value: 'deleteme' } })
    const group = await ws.http.post('/groups', { name: 'delete-me' })
    const gid = group.body.data.userGroup.id
    await ws.http.post(`/groups/${gid}/users`, { emails: ['del1@ok.example', 'del2@ok.example'] })
    const deletes = [
      await ws.http.delete(`/group/${gid}/users?emails%5B0%5D=del1%40ok.example`),
      await ws.http.delete(`/groups/${gid}/users?emails.0=del2%40ok.example`),
      await ws.http.delete(`/groups/${gid}`),
      await ws.http.delete(`/users?userIds%5B0%5D=${u1!.id}&userIds%5B1%5D=${u2!.id}`),
      await ws.http.delete('/invites?emails%5B0%5D=del-inv%40ok.example'),
      await ws.http.delete('/labels/team/deleteme'),
    ]
    for (const res of deletes) {
      expect(res.status, res.text).toBe(200)
      expect(res.headers.get('content-type')).toMatch(/^application\/json/)
      expect(res.body).toEqual({ data: { status: 'SUCCESS' } })
    }
  })
})
