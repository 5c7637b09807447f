import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Browser as ApiBrowser } from '../accounts/support.js'
import {
  type DemoServer,
  expectAccessible,
  launchChromium,
  MEMBER_PASSWORD,
  openPage,
  screenshot,
  signInWithPassword,
  startDemoServer,
  type Watched,
} from './support.js'

const OWNER = 'ada.lovelace@demo.example'
const NEW_PASSWORD = 'another long passphrase, changed on My account'
const LAPTOP = 'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5; rv:128.0) Gecko/20100101 Firefox/128.0'

// An owner of two workspaces switches between them, finds the sessions of My account, ends the one on another
// device, then signs out everywhere.
describe('console: My account and the workspace switcher', { timeout: 60_000 }, () => {
  let server: DemoServer
  let browser: Browser
  let tab: Watched
  /** The same person signed in elsewhere (a laptop's Firefox), through the API. */
  let laptop: ApiBrowser

  beforeAll(async () => {
    ;[server, browser] = await Promise.all([startDemoServer(), launchChromium()])
    tab = await openPage(browser, server)
    // Ada (an owner of the demo) also owns a second workspace, and chose a password through a mailed link.
    const second = await server.admin.post('/admin/workspaces', {
      name: 'Research Lab',
      slug: 'research',
      ownerEmail: OWNER,
      ownerName: 'Ada Lovelace',
    })
    expect(second.status, second.text).toBe(201)
    const api = new ApiBrowser(server.url)
    expect((await api.post('/console/api/password-resets', { email: OWNER })).status).toBe(202)
    const token = new URL(await server.mailedLink(OWNER)).pathname.split('/').pop()
    expect((await api.post(`/console/api/links/${token}/password`, { password: MEMBER_PASSWORD })).status).toBe(200)
    expect((await api.delete('/console/api/session')).status).toBe(200) // choosing the password signed that browser in
    laptop = new ApiBrowser(server.url, LAPTOP)
    expect((await laptop.signIn(OWNER, MEMBER_PASSWORD)).status).toBe(200)
  })
  afterAll(async () => {
    await browser?.close()
    await server?.stop()
  })

  it('lists both workspaces after sign-in, and switches between them from the header', async () => {
    const { page } = tab
    await signInWithPassword(page, OWNER, MEMBER_PASSWORD)
    await page.waitForURL(/\/console\/$/)
    await page.getByRole('heading', { name: 'Workspaces', level: 1 }).waitFor()
    const cards = page.getByRole('main').getByRole('link')
    expect(await cards.allTextContents()).toEqual(['Demo Workspace demo', 'Research Lab research'])
    await cards.first().click()
    await page.waitForURL(/\/users$/)
    await page.getByRole('table', { name: 'Users of Demo Workspace' }).waitFor()

    const switcher = page.getByRole('button', { name: /Workspace Demo Workspace/ })
    expect(await switcher.getAttribute('aria-expanded')).toBe('false')
    await switcher.click()
    expect(await switcher.getAttribute('aria-expanded')).toBe('true')
    await page.keyboard.press('Escape')
    expect(await switcher.getAttribute('aria-expanded')).toBe('false')
    await switcher.click()
    await page.getByRole('link', { name: /Research Lab/ }).click()
    await page.getByRole('table', { name: 'Users of Research Lab' }).waitFor()
    expect(await page.getByRole('button', { name: /Workspace Research Lab/ }).isVisible()).toBe(true)
    expect(await page.getByRole('table').locator('tbody tr').allTextContents()).toEqual([expect.stringContaining(OWNER)])
  })

  it('lists the sessions, this device marked, and revokes the other one', async () => {
    const { page } = tab
    await page.getByRole('link', { name: 'My account' }).first().click()
    await page.getByRole('heading', { name: 'My account', level: 1 }).waitFor()
    const profile = page.getByRole('region', { name: 'Profile' })
    expect(await profile.textContent()).toContain(OWNER)
    const rows = page.getByRole('table', { name: 'Sessions' }).locator('tbody tr')
    await expect.poll(() => rows.count()).toBe(2)
    const here = rows.filter({ hasText: 'This device' })
    expect(await here.count()).toBe(1)
    expect(await here.textContent()).toContain('Chrome on Linux')
    const other = rows.filter({ hasText: 'Firefox on macOS' })
    expect(await other.count()).toBe(1)
    await screenshot(page, 'account')

    expect((await laptop.get('/console/api/session')).status).toBe(200)
    await other.getByRole('button', { name: /^Revoke/ }).click()
    await page.getByRole('status').filter({ hasText: 'Signed out Firefox on macOS' }).waitFor()
    await expect.poll(() => rows.count()).toBe(1)
    expect((await laptop.get('/console/api/session')).status).toBe(401)
  })

  it('renames the person everywhere, changes the password, and shows both in the security log', async () => {
    const { page } = tab
    const profile = page.getByRole('region', { name: 'Profile' })
    await profile.getByLabel('Your name').fill('Augusta Ada King')
    await profile.getByRole('button', { name: 'Save name' }).click()
    await profile.getByRole('status').filter({ hasText: 'Your name is saved' }).waitFor()
    expect(await page.locator('.person-name').textContent()).toBe('Augusta Ada King')

    const password = page.getByRole('region', { name: 'Password' })
    await password.getByLabel('Current password').fill('not my password at all')
    await password.getByLabel('New password').fill(NEW_PASSWORD)
    await password.getByLabel('Confirm the password').fill(NEW_PASSWORD)
    await password.getByRole('button', { name: 'Change password' }).click()
    await password.getByText('The current password is not correct').waitFor()
    await password.getByLabel('Current password').fill(MEMBER_PASSWORD)
    await password.getByRole('button', { name: 'Change password' }).click()
    await password.getByRole('status').filter({ hasText: 'Password changed' }).waitFor()
    expect(await password.getByLabel('New password').inputValue()).toBe('')

    await page.reload()
    const log = page.getByRole('table', { name: 'Security log' })
    await log.locator('tbody tr').first().waitFor()
    const what = await log.locator('tbody tr td:nth-child(2)').allTextContents()
    expect(what.slice(0, 2)).toEqual(['Password changed', 'Name changed'])
    expect(what).toContain('Signed in')
    await expectAccessible(page, 'My account')
    // Every workspace shows the new name.
    const users = await page.request.get(
      `/console/api/workspaces/${(await page.request.get('/console/api/session').then((r) => r.json())).data.workspaces[0].id}/users?search=ada.lovelace`,
    )
    expect((await users.json()).data.users[0].name).toBe('Augusta Ada King')
  })

  it('signs out everywhere and returns to the sign-in page', async () => {
    const { page } = tab
    expect((await laptop.signIn(OWNER, NEW_PASSWORD)).status).toBe(200)
    await page.getByRole('button', { name: 'Sign out everywhere' }).click()
    await page.waitForURL(/\/console\/sign-in$/)
    expect(await page.getByRole('status').textContent()).toBe('You have signed out everywhere (2 sessions ended).')
    expect((await page.request.get('/console/api/session')).status()).toBe(401)
    expect((await laptop.get('/console/api/session')).status).toBe(401)
    // Back in the history is the sign-in page again, not the account.
    await page.goto('/console/account')
    await page.waitForURL(/\/console\/sign-in\?next=%2Fconsole%2Faccount$/)
  })

  it('broke no CSP rule and reached no other host', () => {
    expect(tab.cspViolations()).toEqual([])
    expect(tab.foreignRequests).toEqual([])
    expect(tab.problems.filter((p) => p.startsWith('pageerror'))).toEqual([])
  })
})
