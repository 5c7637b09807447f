import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Gatehouse, type HttpResult, type SeededWorkspace, startGatehouse } from '../helpers/gatehouse.js'

/** Limits of this suite's server: 20 requests a minute per workspace, 5 a minute per RL60 write endpoint. */
const OVERALL = 20
const WRITES = 5

function expectRateLimitHeaders(res: HttpResult) {
  const consumed = res.headers.get('x-ratelimit-consumed')
  const remaining = res.headers.get('x-ratelimit-remaining')
  const reset = res.headers.get('x-ratelimit-reset')
  expect(consumed, `X-RateLimit-Consumed on ${res.status}`).toMatch(/^\d+$/)
  expect(remaining, `X-RateLimit-Remaining on ${res.status}`).toMatch(/^\d+$/)
  expect(reset, `X-RateLimit-Reset on ${res.status}`).toMatch(/^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$/)
  const resetMs = Date.parse(reset as string) - Date.now()
  // an HTTP date has whole seconds: allow a second either side of the one-minute window
  expect(resetMs).toBeGreaterThan(-1_000)
  expect(resetMs).toBeLessThanOrEqual(61_000)
  return { consumed: Number(consumed), remaining: Number(remaining), resetMs }
}

function expectTooManyRequests(res: HttpResult) {
  expect(res.status, res.text).toBe(429)
  expect(res.headers.get('content-type')).toMatch(/^application\/json/)
  expect(Object.keys(res.body)).toEqual(['errors'])
  expect(res.body.errors).toHaveLength(1)
  const [error] = res.body.errors
  expect(error).toEqual({
    type: 'RequestError',
    message: 'Too many requests',
    status: 429,
    data: { remainingPoints: expect.any(Number), msBeforeNext: expect.any(Number), consumedPoints: expect.any(Number) },
  })
  expect(error.data.remainingPoints).toBe(0)
  expect(error.data.msBeforeNext).toBeGreaterThan(0)
  expect(error.data.msBeforeNext).toBeLessThanOrEqual(60_000)
  const headers = expectRateLimitHeaders(res)
  // the body's points mirror the headers
  expect(headers.remaining).toBe(error.data.remainingPoints)
  expect(headers.consumed).toBe(error.data.consumedPoints)
  expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0)
  return error
}

describe('rate limits', () => {
  let gh: Gatehouse
  beforeAll(async () => {
    gh = await startGatehouse({ rateLimit: String(OVERALL), writeRateLimit: String(WRITES) })
  })
  afterAll(() => gh.stop())

  // Each test takes its own workspaces: budgets are per workspace, so tests never share one.
  const fresh = (): Promise<SeededWorkspace> => gh.workspace()

  it('sends X-RateLimit-Consumed, -Remaining and -Reset on every successful response', async () => {
    const ws = await fresh()
    const responses = [
      await ws.http.get('/'),
      await ws.http.get('/users'),
      await ws.http.get('/roles'),
      await ws.http.post('/groups', { name: 'headers' }),
      await ws.http.post('/invites', { invites: [{ email: 'h@rl.example' }] }),
      await ws.http.delete('/invites?emails.0=h%40rl.example'),
    ]
    for (const res of responses) {
      expect(res.status).toBeLessThan(300)
      const { resetMs } = expectRateLimitHeaders(res)
      expect(resetMs).toBeGreaterThan(50_000)
    }
  })

  it('counts reads down from the overall budget in the headers', async () => {
    const ws = await fresh()
    const first = expectRateLimitHeaders(await ws.http.get('/users'))
    const second = expectRateLimitHeaders(await ws.http.get('/users'))
    expect(first).toMatchObject({ consumed: 1, remaining: OVERALL - 1 })
    expect(second).toMatchObject({ consumed: 2, remaining: OVERALL - 2 })
  })

  it('reports the endpoint budget in the headers of an RL60 write', async () => {
    const ws = await fresh()
    const first = expectRateLimitHeaders(await ws.http.post('/groups', { name: 'w1' }))
    expect(first).toMatchObject({ consumed: 1, remaining: WRITES - 1 })
  })

  it('answers the 6th POST /groups in a minute with 429 RequestError "Too many requests" and the headers', async () => {
    const ws = await fresh()
    for (let i = 1; i <= WRITES; i++) {
      const res = await ws.http.post('/groups', { name: `g${i}` })
      expect(res.status, res.text).toBe(200)
      expect(expectRateLimitHeaders(res).remaining).toBe(WRITES - i)
    }
    const error = expectTooManyRequests(await ws.http.post('/groups', { name: 'g6' }))
    expect(error.data.consumedPoints).toBeGreaterThan(WRITES)
  })

  it('changes nothing in the store when it answers 429', async () => {
    const ws = await fresh()
    for (let i = 1; i <= WRITES; i++) expect((await ws.http.post('/groups', { name: `kept-${i}` })).status).toBe(200)
    expectTooManyRequests(await ws.http.post('/groups', { name: 'refused' }))
    const groups = await ws.http.get('/groups')
    expect(groups.status).toBe(200)
    const names = groups.body.data.userGroups.map((g: { name: string }) => g.name)
    expect(names).toHaveLength(WRITES)
    expect(names).not.toContain('refused')
    expect(groups.body.data.pagination.totalEntries).toBe(WRITES)
    const audit = await ws.http.get('/audit-events?pagination.count=100')
    expect(audit.body.data.events.map((e: { resourceName: string }) => e.resourceName)).not.toContain('refused')
  })

  it('keeps the write budget per endpoint: PATCH a group still works once POST /groups is exhausted', async () => {
    const ws = await fresh()
    let id = ''
    for (let i = 1; i <= WRITES; i++) id = (await ws.http.post('/groups', { name: `p${i}` })).body.data.userGroup.id
    expectTooManyRequests(await ws.http.post('/groups', { name: 'p6' }))
    const patched = await ws.http.patch(`/groups/${id}`, { name: 'renamed' })
    expect(patched.status, patched.text).toBe(200)
    expect(patched.body.data.userGroup.name).toBe('renamed')
    expect(expectRateLimitHeaders(patched)).toMatchObject({ consumed: 1, remaining: WRITES - 1 })
    expect((await ws.http.post('/invites', { invites: [{ email: 'still@rl.example' }] })).status).toBe(201)
  })

  it('keeps budgets per workspace: exhausting one leaves another untouched', async () => {
    const [a, b] = [await fresh(), await fresh()]
    for (let i = 1; i <= WRITES; i++) expect((await a.http.post('/groups', { name: `a${i}` })).status).toBe(200)
    expectTooManyRequests(await a.http.post('/groups', { name: 'a6' }))
    const other = await b.http.post('/groups', { name: 'b1' })
    expect(other.status, other.text).toBe(200)
    expect(expectRateLimitHeaders(other)).toMatchObject({ consumed: 1, remaining: WRITES - 1 })
    expect(expectRateLimitHeaders(await b.http.get('/users'))).toMatchObject({ remaining: OVERALL - 2 })
  })

  it('covers reads with the overall budget: the 21st request in a minute gets 429', async () => {
    const ws = await fresh()
    for (let i = 1; i <= OVERALL; i++) {
      const res = await ws.http.get(i % 2 ? '/users' : '/')
      expect(res.status, `request ${i}`).toBe(200)
      expect(expectRateLimitHeaders(res)).toMatchObject({ consumed: i, remaining: OVERALL - i })
    }
    expectTooManyRequests(await ws.http.get('/users'))
    // writes are inside the overall budget too
    expectTooManyRequests(await ws.http.post('/groups', { name: 'over' }))
    expect((await gh.admin.get(`/admin/workspaces?pagination.count=1`)).status).toBe(200)
  })

  it('spends the overall budget on writes as well as reads', async () => {
    const ws = await fresh()
    await ws.http.post('/groups', { name: 'spent' })
    await ws.http.post('/invites', { invites: [{ email: 'spent@rl.example' }] })
    expect(expectRateLimitHeaders(await ws.http.get('/users'))).toMatchObject({ consumed: 3, remaining: OVERALL - 3 })
  })

  it('shares one budget between the singular /group/{id}/users and the plural /groups/{id}/users paths', async () => {
    const ws = await fresh()
    await gh.addUsers(
      ws,
      Array.from({ length: 6 }, (_, i) => `m${i}@rl.example`),
    )
    const id = (await ws.http.post('/groups', { name: 'members' })).body.data.userGroup.id
    const paths = [`/groups/${id}/users`, `/group/${id}/users`, `/groups/${id}/users`, `/group/${id}/users`, `/group/${id}/users`]
    for (const [i, path] of paths.entries()) {
      const res = await ws.http.post(path, { emails: [`m${i}@rl.example`] })
      expect(res.status, `${path}: ${res.text}`).toBe(200)
      expect(expectRateLimitHeaders(res).remaining).toBe(WRITES - 1 - i)
    }
    expectTooManyRequests(await ws.http.post(`/groups/${id}/users`, { emails: ['m5@rl.example'] }))
    expectTooManyRequests(await ws.http.post(`/group/${id}/users`, { emails: ['m5@rl.example'] }))
    const members = await ws.http.get(`/groups/${id}/users`)
    expect(members.body.data.users.map((u: { email: string }) => u.email)).not.toContain('m5@rl.example')
    expect(members.body.data.users).toHaveLength(5)
  })

  it('shares one budget between DELETE /group/{id}/users and DELETE /groups/{id}/users', async () => {
    const ws = await fresh()
    const id = (await ws.http.post('/groups', { name: 'removals' })).body.data.userGroup.id
    for (let i = 0; i < WRITES; i++) {
      const path = i % 2 ? `/group/${id}/users` : `/groups/${id}/users`
      expect((await ws.http.delete(`${path}?emails.0=x${i}%40rl.example`)).status).toBe(200)
    }
    expectTooManyRequests(await ws.http.delete(`/group/${id}/users?emails.0=x%40rl.example`))
    expectTooManyRequests(await ws.http.delete(`/groups/${id}/users?emails.0=x%40rl.example`))
  })

  it('does not spend budget on requests with a bad token', async () => {
    const ws = await fresh()
    const res = await ws.http.get('/users', { authorization: 'Bearer sgp_wrong' })
    expect(res.status).toBe(401)
    expect(expectRateLimitHeaders(await ws.http.get('/users'))).toMatchObject({ consumed: 1 })
  })
})
