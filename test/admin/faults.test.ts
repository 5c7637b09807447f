import { setTimeout as sleep } from 'node:timers/promises'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { type Gatehouse, HttpClient, type HttpResult, type SeededWorkspace, startGatehouse } from '../helpers/gatehouse.js'

const HTTP_DATE = /^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$/

function expectInjectedError(res: HttpResult, status: number) {
  expect(res.status, res.text).toBe(status)
  expect(res.headers.get('content-type')).toMatch(/^application\/json/)
  expect(res.body).toEqual({ errors: [{ type: 'server', message: 'Injected fault', status }] })
}

async function timed<T>(work: () => Promise<T>): Promise<{ result: T; ms: number }> {
  const started = performance.now()
  const result = await work()
  return { result, ms: performance.now() - started }
}

describe('fault injection', () => {
  let gh: Gatehouse

  beforeAll(async () => {
    gh = await startGatehouse()
  })
  afterAll(() => gh.stop())
  afterEach(async () => {
    expect((await gh.admin.delete('/admin/faults')).status).toBe(200)
  })

  async function addFault(body: Record<string, unknown>) {
    const res = await gh.admin.post('/admin/faults', body)
    expect(res.status, res.text).toBe(201)
    return res.body.data.fault
  }

  // Each test takes fresh workspaces and scopes its faults to them, unless it tests an unscoped fault.
  const fresh = (): Promise<SeededWorkspace> => gh.workspace()

  it('answers 429 to the next N matching requests, then serves them normally', async () => {
    const ws = await fresh()
    const fault = await addFault({ fault: 'rate-limit', route: '/users', method: 'GET', workspaceId: ws.id, count: 3 })
    expect(fault).toEqual(
      expect.objectContaining({ id: expect.any(String), fault: 'rate-limit', route: '/users', count: 3, remaining: 3, hits: 0 }),
    )

    expect((await ws.http.get('/users')).status).toBe(429)
    const listed = (await gh.admin.get('/admin/faults')).body.data.faults
    expect(listed).toEqual([expect.objectContaining({ id: fault.id, remaining: 2, hits: 1 })])

    // other routes of the same workspace are untouched
    expect((await ws.http.get('/groups')).status).toBe(200)
    expect((await ws.http.get('/users')).status).toBe(429)
    expect((await ws.http.get('/users')).status).toBe(429)
    expect((await ws.http.get('/users')).status).toBe(200)
    expect((await ws.http.get('/users')).status).toBe(200)
    // a spent fault leaves the list
    expect((await gh.admin.get('/admin/faults')).body.data.faults).toEqual([])
  })

  it('sends the 429 body and headers of Segment reference §4: remainingPoints 0, msBeforeNext, consumedPoints, X-RateLimit-*, Retry-After', async () => {
    const ws = await fresh()
    await addFault({ fault: 'rate-limit', workspaceId: ws.id, count: 2, msBeforeNext: 5000 })

    for (const consumed of [1, 2]) {
      const res = await ws.http.get('/')
      expect(res.status, res.text).toBe(429)
      expect(res.headers.get('content-type')).toMatch(/^application\/json/)
      expect(res.body).toEqual({
        errors: [
          {
            type: 'RequestError',
            message: 'Too many requests',
            status: 429,
            data: { remainingPoints: 0, msBeforeNext: 5000, consumedPoints: consumed },
          },
        ],
      })
      expect(res.headers.get('x-ratelimit-consumed')).toBe(String(consumed))
      expect(res.headers.get('x-ratelimit-remaining')).toBe('0')
      const reset = res.headers.get('x-ratelimit-reset')
      expect(reset).toMatch(HTTP_DATE)
      const resetMs = Date.parse(reset as string) - Date.now()
      // an HTTP date has whole seconds: allow a second either side
      expect(resetMs).toBeGreaterThan(4_000 - 1_000)
      expect(resetMs).toBeLessThanOrEqual(5_000 + 1_000)
      expect(res.headers.get('retry-after')).toBe('5')
    }
  })

  it('answers an injected 429 in the same shape, with the same headers, as a real rate limit', async () => {
    const limited = await startGatehouse({ rateLimit: '1' })
    try {
      const real = await (async () => {
        const other = await limited.workspace()
        await other.http.get('/')
        return other.http.get('/')
      })()
      expect(real.status).toBe(429)
      const ws = await fresh()
      await addFault({ fault: 'rate-limit', workspaceId: ws.id, count: 1 })
      const injected = await ws.http.get('/')
      expect(injected.status).toBe(429)

      const shape = (res: HttpResult) => ({
        keys: Object.keys(res.body.errors[0]),
        dataKeys: Object.keys(res.body.errors[0].data),
        type: res.body.errors[0].type,
        message: res.body.errors[0].message,
        contentType: res.headers.get('content-type'),
        headers: ['x-ratelimit-consumed', 'x-ratelimit-remaining', 'x-ratelimit-reset', 'retry-after'].map((h) => res.headers.has(h)),
        remaining: res.headers.get('x-ratelimit-remaining'),
        resetIsHttpDate: HTTP_DATE.test(res.headers.get('x-ratelimit-reset') ?? ''),
      })
      expect(shape(injected)).toEqual(shape(real))
      // without msBeforeNext or durationMs the client is told to wait a second
      expect(injected.body.errors[0].data.msBeforeNext).toBe(1000)
      expect(injected.headers.get('retry-after')).toBe('1')
    } finally {
      await limited.stop()
    }
  })

  it("announces what is left of a timed rate-limit fault's window as msBeforeNext", async () => {
    const ws = await fresh()
    await addFault({ fault: 'rate-limit', workspaceId: ws.id, durationMs: 10_000 })
    const res = await ws.http.get('/users')
    expect(res.status).toBe(429)
    const { msBeforeNext } = res.body.errors[0].data
    expect(msBeforeNext).toBeGreaterThan(5_000)
    expect(msBeforeNext).toBeLessThanOrEqual(10_000)
    expect(res.headers.get('retry-after')).toBe(String(Math.ceil(msBeforeNext / 1000)))
  })

  it('answers 500 for a time window, then serves requests normally', async () => {
    const ws = await fresh()
    const fault = await addFault({ fault: 'error', workspaceId: ws.id, durationMs: 400 })
    expect(fault.status).toBe(500)
    expect(Date.parse(fault.expiresAt) - Date.parse(fault.createdAt)).toBe(400)

    expectInjectedError(await ws.http.get('/'), 500)
    expectInjectedError(await ws.http.get('/users'), 500)
    expectInjectedError(await ws.http.post('/groups', { name: 'during-window' }), 500)

    await sleep(Math.max(0, Date.parse(fault.expiresAt) - Date.now()) + 50)
    expect((await ws.http.get('/')).status).toBe(200)
    expect((await ws.http.get('/users')).status).toBe(200)
    expect((await gh.admin.get('/admin/faults')).body.data.faults).toEqual([])
  })

  it('answers with the 5xx status the operator chose', async () => {
    const ws = await fresh()
    await addFault({ fault: 'error', status: 503, workspaceId: ws.id, count: 1 })
    expectInjectedError(await ws.http.get('/users'), 503)
    expect((await ws.http.get('/users')).status).toBe(200)
  })

  it('holds a request for delayMs, then processes it normally', async () => {
    const ws = await fresh()
    const delayMs = 400
    await addFault({ fault: 'delay', delayMs, route: '/groups', method: 'POST', workspaceId: ws.id, count: 1 })

    const { result: created, ms } = await timed(() => ws.http.post('/groups', { name: 'slow-group' }))
    expect(created.status, created.text).toBe(200)
    expect(ms).toBeGreaterThanOrEqual(delayMs)
    expect(ms).toBeLessThan(delayMs + 2_000)
    const groups = await ws.http.get('/groups')
    expect(groups.body.data.userGroups.map((g: { name: string }) => g.name)).toEqual(['slow-group'])
  })

  it('faults only the workspace it names, by id or by slug', async () => {
    const [a, b] = [await gh.workspace(), await gh.workspace()]
    const byId = await addFault({ fault: 'error', workspaceId: a.id, count: 5 })
    expect(byId.workspaceId).toBe(a.id)
    expectInjectedError(await a.http.get('/users'), 500)
    expect((await b.http.get('/users')).status).toBe(200)
    await gh.admin.delete('/admin/faults')

    const bySlug = await addFault({ fault: 'error', workspaceId: b.slug, count: 5 })
    expect(bySlug.workspaceId).toBe(b.id)
    expect((await a.http.get('/users')).status).toBe(200)
    expectInjectedError(await b.http.get('/users'), 500)
  })

  it('matches a route pattern for every concrete path, in Fastify or Segment docs spelling, and only the method named', async () => {
    const ws = await fresh()
    const [g1, g2] = [
      (await ws.http.post('/groups', { name: 'one' })).body.data.userGroup.id,
      (await ws.http.post('/groups', { name: 'two' })).body.data.userGroup.id,
    ]
    const fault = await addFault({ fault: 'error', route: '/groups/{userGroupId}', method: 'GET', workspaceId: ws.id, count: 10 })
    expect(fault.route).toBe('/groups/:userGroupId')

    expectInjectedError(await ws.http.get(`/groups/${g1}`), 500)
    expectInjectedError(await ws.http.get(`/groups/${g2}`), 500)
    // not a prefix: the list and the sub-resources are other routes
    expect((await ws.http.get('/groups')).status).toBe(200)
    expect((await ws.http.get(`/groups/${g1}/users`)).status).toBe(200)
    // only GET
    expect((await ws.http.patch(`/groups/${g1}`, { name: 'renamed' })).status).toBe(200)
  })

  it('changes nothing in the store when it answers a write with a fault', async () => {
    const ws = await fresh()
    const auditBefore = (await ws.http.get('/audit-events')).body
    await addFault({ fault: 'error', route: '/groups', method: 'POST', workspaceId: ws.id, count: 1 })
    expectInjectedError(await ws.http.post('/groups', { name: 'never-made' }), 500)
    await addFault({ fault: 'rate-limit', route: '/groups', method: 'POST', workspaceId: ws.id, count: 1 })
    expect((await ws.http.post('/groups', { name: 'never-made' })).status).toBe(429)

    expect((await ws.http.get('/groups')).body.data.userGroups).toEqual([])
    expect((await ws.http.get('/audit-events')).body).toEqual(auditBefore)
  })

  it('leaves /admin, /healthz and unauthenticated requests alone while an unscoped fault is live', async () => {
    const ws = await fresh()
    await addFault({ fault: 'rate-limit', durationMs: 30_000 })
    expect((await ws.http.get('/users')).status).toBe(429)
    expect((await new HttpClient(gh.url, undefined).get('/healthz')).status).toBe(200)
    expect((await gh.admin.get('/admin/faults')).status).toBe(200)
    expect((await gh.admin.get('/admin/workspaces')).status).toBe(200)
    // authentication runs first: a bad token still gets its 401
    expect((await new HttpClient(gh.url, 'not-a-token').get('/users')).status).toBe(401)
  })

  it('clears one fault with DELETE /admin/faults/{id} and every fault with DELETE /admin/faults', async () => {
    const ws = await fresh()
    const users = await addFault({ fault: 'error', route: '/users', workspaceId: ws.id, durationMs: 60_000 })
    const groups = await addFault({ fault: 'error', route: '/groups', workspaceId: ws.id, durationMs: 60_000 })
    const roles = await addFault({ fault: 'error', route: '/roles', workspaceId: ws.id, durationMs: 60_000 })
    expect((await gh.admin.get('/admin/faults')).body.data.faults.map((f: { id: string }) => f.id)).toEqual([users.id, groups.id, roles.id])

    const one = await gh.admin.delete(`/admin/faults/${users.id}`)
    expect(one.status).toBe(200)
    expect(one.body).toEqual({ data: { status: 'SUCCESS' } })
    expect((await ws.http.get('/users')).status).toBe(200)
    expectInjectedError(await ws.http.get('/groups'), 500)
    expect((await gh.admin.get('/admin/faults')).body.data.faults.map((f: { id: string }) => f.id)).toEqual([groups.id, roles.id])

    const again = await gh.admin.delete(`/admin/faults/${users.id}`)
    expect(again.status).toBe(404)
    expect(again.body.errors[0]).toEqual(expect.objectContaining({ type: 'not-found', field: 'faultId' }))

    const all = await gh.admin.delete('/admin/faults')
    expect(all.status).toBe(200)
    expect(all.body).toEqual({ data: { status: 'SUCCESS' } })
    expect((await gh.admin.get('/admin/faults')).body).toEqual({ data: { faults: [] } })
    expect((await ws.http.get('/groups')).status).toBe(200)
    expect((await ws.http.get('/roles')).status).toBe(200)
  })

  it('rejects bad fault bodies with a 422 input-validation envelope naming the field', async () => {
    const cases: [unknown, string][] = [
      [{ count: 1 }, 'fault'],
      [{ fault: 'explode', count: 1 }, 'fault'],
      [{ fault: 'error' }, 'count'],
      [{ fault: 'error', count: 0 }, 'count'],
      [{ fault: 'error', count: '3' }, 'count'],
      [{ fault: 'error', durationMs: 0 }, 'durationMs'],
      [{ fault: 'error', count: 1, status: 404 }, 'status'],
      [{ fault: 'error', count: 1, status: 600 }, 'status'],
      [{ fault: 'rate-limit', count: 1, status: 500 }, 'status'],
      [{ fault: 'delay', count: 1 }, 'delayMs'],
      [{ fault: 'delay', count: 1, delayMs: 0 }, 'delayMs'],
      [{ fault: 'delay', count: 1, delayMs: 30_001 }, 'delayMs'],
      [{ fault: 'error', count: 1, delayMs: 10 }, 'delayMs'],
      [{ fault: 'rate-limit', count: 1, msBeforeNext: 60_001 }, 'msBeforeNext'],
      [{ fault: 'rate-limit', count: 1, msBeforeNext: -1 }, 'msBeforeNext'],
      [{ fault: 'error', count: 1, msBeforeNext: 10 }, 'msBeforeNext'],
      [{ fault: 'error', count: 1, method: 'FETCH' }, 'method'],
      [{ fault: 'error', count: 1, route: '/nope' }, 'route'],
      [{ fault: 'error', count: 1, route: '/admin/faults' }, 'route'],
      [{ fault: 'error', count: 1, route: '/groups/' }, 'route'],
      [{ fault: 'error', count: 1, surprise: true }, 'surprise'],
    ]
    for (const [body, field] of cases) {
      const res = await gh.admin.post('/admin/faults', body)
      expect(res.status, `${JSON.stringify(body)} → ${res.text}`).toBe(422)
      expect(res.body.errors).toHaveLength(1)
      expect(res.body.errors[0], JSON.stringify(body)).toEqual(expect.objectContaining({ type: 'input-validation', status: 422, field }))
    }
    expect((await gh.admin.get('/admin/faults')).body.data.faults).toEqual([])
  })

  it('answers 404 naming workspaceId for a workspace that does not exist', async () => {
    const res = await gh.admin.post('/admin/faults', { fault: 'error', count: 1, workspaceId: 'no-such-workspace' })
    expect(res.status).toBe(404)
    expect(res.body.errors[0]).toEqual(expect.objectContaining({ type: 'not-found', field: 'workspaceId' }))
  })

  it('answers 401 to every fault endpoint without the admin key', async () => {
    const ws = await fresh()
    const fault = await addFault({ fault: 'error', workspaceId: ws.id, count: 1 })
    for (const client of [new HttpClient(gh.url, undefined), new HttpClient(gh.url, 'wrong-key'), ws.http]) {
      for (const res of [
        await client.post('/admin/faults', { fault: 'error', count: 1 }),
        await client.get('/admin/faults'),
        await client.delete('/admin/faults'),
        await client.delete(`/admin/faults/${fault.id}`),
      ]) {
        expect(res.status, res.text).toBe(401)
        expect(res.body.errors[0]).toEqual(expect.objectContaining({ type: 'unauthorized', status: 401 }))
      }
    }
    // nothing was added or cleared
    expect((await gh.admin.get('/admin/faults')).body.data.faults).toEqual([expect.objectContaining({ id: fault.id })])
  })
})
