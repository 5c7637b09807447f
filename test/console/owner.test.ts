import { describe, expect, it } from 'vitest'
import { consoleSuite, expectCleanRun, screenshot } from './support.js'

// The story `npm start` tells: the first start prints a sign-in link; the demo owner opens it and finds the
// workspace's people in Access Management → Users.
describe('console: the demo owner signs in with the printed link', { timeout: 60_000 }, () => {
  const suite = consoleSuite()

  it('opens the link, signs in, and lands on the Users page listing the demo users', async () => {
    const { page } = suite.tab
    await page.goto(suite.server.demoLink)
    await page.getByRole('heading', { name: 'Sign in with a link' }).waitFor()
    expect(await page.getByText('owner@demo.example').isVisible()).toBe(true)
    await page.getByRole('button', { name: 'Sign in' }).click()

    await page.waitForURL(/\/console\/workspaces\/[^/]+\/users$/)
    await page.getByRole('heading', { name: 'Users', level: 1 }).waitFor()
    const table = page.getByRole('table', { name: /Users of Demo Workspace/ })
    await table.getByRole('row').nth(1).waitFor()

    // The table shows the first page of what the console API lists, in its order.
    const workspaceId = new URL(page.url()).pathname.split('/')[3]
    const listed = await page.request.get(`/console/api/workspaces/${workspaceId}/users?count=200`)
    expect(listed.status()).toBe(200)
    const { users, pagination } = (await listed.json()).data
    expect(users.length).toBeGreaterThan(20)
    expect(pagination.totalEntries).toBe(users.length)
    const emails = await table.locator('tbody tr td:nth-child(2)').allTextContents()
    expect(emails).toEqual(users.slice(0, 20).map((u: { email: string }) => u.email))
    expect(emails).toContain('owner@demo.example')
    expect(
      await page
        .getByRole('status')
        .filter({ hasText: /users$/ })
        .textContent(),
    ).toBe(`${users.length} users`)
    expect(await table.getByRole('row', { name: /Grace Hopper/ }).textContent()).toMatch(/Source Admin.*Engineering/)
    await screenshot(page, 'users')

    // Next and Previous walk the pages.
    await page.getByRole('button', { name: 'Next' }).click()
    await expect.poll(() => page.locator('.pager-range').textContent()).toBe(`21–${Math.min(40, users.length)} of ${users.length}`)
    expect(await table.locator('tbody tr td:nth-child(2)').first().textContent()).toBe(users[20].email)
    await page.getByRole('button', { name: 'Previous' }).click()
    await expect.poll(() => page.locator('.pager-range').textContent()).toBe(`1–20 of ${users.length}`)
    expect(await page.getByRole('button', { name: 'Previous' }).isDisabled()).toBe(true)
  })

  it('narrows the list by search and by role', async () => {
    const { page } = suite.tab
    const table = page.getByRole('table', { name: /Users of/ })
    const rows = table.locator('tbody tr')

    await page.getByLabel('Search users').fill('hopper')
    await expect.poll(() => rows.count()).toBe(1)
    expect(await rows.first().textContent()).toContain('grace.hopper@demo.example')
    expect(
      await page
        .getByRole('status')
        .filter({ hasText: /found$/ })
        .textContent(),
    ).toBe('1 user found')

    await page.getByLabel('Search users').fill('NO SUCH PERSON')
    await expect.poll(() => rows.first().textContent()).toBe('No users match this search.')

    await page.getByLabel('Search users').fill('')
    await expect.poll(() => rows.count()).toBe(20)
    await page.getByLabel('Role').selectOption({ label: 'Workspace Owner' })
    await expect.poll(() => rows.count()).toBeLessThan(20)
    const roles = await table.locator('tbody tr td:nth-child(3)').allTextContents()
    expect(roles.length).toBeGreaterThanOrEqual(3) // the demo owner, Ada Lovelace, Margaret Hamilton
    for (const cell of roles) expect(cell).toContain('Workspace Owner')
    await page.getByLabel('Role').selectOption({ label: 'All roles' })
    await expect.poll(() => rows.count()).toBe(20)
  })

  it('sends a browser opening the server to the console', async () => {
    const { page } = suite.tab
    await page.goto('/')
    await page.waitForURL(/\/console\/workspaces\/[^/]+\/users$/)
  })

  it('goes back to sign-in when the session ends elsewhere', async () => {
    const { page } = suite.tab
    await page.getByRole('heading', { name: 'Users', level: 1 }).waitFor()
    // Another suite.tab signs out everywhere: this one hears 401 on its next request.
    const session = await (await page.request.get('/console/api/session')).json()
    const ended = await page.request.post('/console/api/account/sessions/revoke-all', {
      headers: { 'x-csrf-token': session.data.csrfToken },
    })
    expect(ended.status()).toBe(200)
    await page.getByRole('link', { name: 'My account' }).click()
    await page.waitForURL(/\/console\/sign-in\?next=%2Fconsole%2Faccount$/)
    expect(await page.getByRole('status').textContent()).toBe('Your session has ended. Sign in again to continue.')
  })

  it('broke no CSP rule and reached no other host', () => {
    expectCleanRun(suite.tab)
  })
})
