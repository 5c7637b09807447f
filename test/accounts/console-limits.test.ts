import { describe, expect, it } from 'vitest'
import { DEFAULT_THROTTLE_LIMITS } from '../../src/accounts/throttle.js'
import { HttpClient } from '../helpers/gatehouse.js'
import { accountsServerForSuite, errorOf, memberWithPassword } from './support.js'

describe('console requests have their own per-person budget', () => {
  // Public API limits are off in tests unless asked: this one compares the two budgets.
  const { gh, sql } = accountsServerForSuite({ rateLimit: '1000' })

  it('answers 429 past the per-minute budget of one person, without spending the workspace Public API budget', async () => {
    const { browser, workspace } = await memberWithPassword(gh, sql, 'busy@people.example')
    const other = await memberWithPassword(gh, sql, 'calm@people.example')
    const api = new HttpClient(gh.url, workspace.token)
    const remaining = async () => Number((await api.get('/users')).headers.get('x-ratelimit-remaining'))
    const before = await remaining()

    const budget = DEFAULT_THROTTLE_LIMITS.requestsPerAccount.points
    // Signing in spent none of it: the budget counts requests made with a session.
    const answers: number[] = []
    for (let i = 0; i < budget; i += 50)
      answers.push(
        ...(await Promise.all(
          Array.from({ length: Math.min(50, budget - i) }, async () => (await browser.get('/console/api/session')).status),
        )),
      )
    expect(answers.filter((s) => s !== 200)).toEqual([])

    const refused = await browser.get('/console/api/session')
    expect(refused.status).toBe(429)
    expect(errorOf(refused).message).toMatch(/Too many requests; try again in 1 minute/)
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0)

    // Another person is not held back, and the workspace's Public API budget moved by our own two calls only.
    expect((await other.browser.get('/console/api/session')).status).toBe(200)
    expect(await remaining()).toBe(before - 1)
  })
})
