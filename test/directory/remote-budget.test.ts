import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runSync } from '../../src/directory/sync/run.js'
import { connect } from '../helpers/directory.js'
import { type Gatehouse, type HttpResult, startGatehouse } from '../helpers/gatehouse.js'

// The remote allows 8 requests per 2-second window; a full sync of this workspace needs about 30. The
// client must read X-RateLimit-Remaining/Reset and wait for each window to turn instead of spending
// requests to discover the limit from 429s.
describe('the remote budget', () => {
  let gh: Gatehouse
  beforeAll(async () => {
    gh = await startGatehouse({ rateLimit: '8', rateLimitWindowSeconds: 2 })
  })
  afterAll(() => gh.stop())

  /** Seeding goes through the same tight limit: one request at a time, waiting out each full window. */
  async function paced(call: () => Promise<HttpResult>): Promise<HttpResult> {
    for (;;) {
      const res = await call()
      if (res.status !== 429) return res
      await new Promise((resolve) => setTimeout(resolve, res.body.errors[0].data.msBeforeNext + 50))
    }
  }

  it('syncs a workspace that needs several windows of budget without ever meeting a 429', async () => {
    const ws = await gh.workspace()
    const emails = Array.from({ length: 5 }, (_, i) => `budget${i}@example.com`)
    await gh.addUsers(ws, emails)
    for (let g = 0; g < 12; g++) {
      const created = await paced(() => ws.http.post('/groups', { name: `budget-${g}` }))
      expect(created.status).toBe(200)
      const added = await paced(() => ws.http.post(`/groups/${created.body.data.userGroup.id}/users`, { emails: [emails[g % 5]] }))
      expect(added.status).toBe(200)
    }
    await new Promise((resolve) => setTimeout(resolve, 2_100)) // a fresh window for the run
    const conn = await connect(gh, ws)
    const started = Date.now()
    const run = await runSync(gh.server.directory, conn.id, { trigger: 'test' })
    const stats = JSON.parse(run.stats)
    expect(run.state).toBe('succeeded')
    expect(stats.requests).toBeGreaterThan(24) // more than three windows' worth
    expect(stats.rateLimited).toBe(0)
    expect(stats.waitedMs).toBeGreaterThan(0)
    expect(Date.now() - started).toBeGreaterThan(4_000)
    expect(stats.seen).toMatchObject({ users: 6, groups: 12, memberships: 12 })
  }, 90_000)
})
