import type { Page } from 'playwright-core'
import { describe, expect, it } from 'vitest'
import { HttpClient } from '../helpers/gatehouse.js'
import { consoleSuite, expectAccessible, expectCleanRun, MEMBER_PASSWORD } from './support.js'

const MEMBER = 'alan.turing@demo.example'

/** The element that has the keyboard focus, as a person would name it. */
const focused = (page: Page) =>
  page.evaluate(() => {
    // Runs in the page (the test's TypeScript has no DOM types).
    const el = (globalThis as any).document.activeElement
    return el
      ? `${el.tagName.toLowerCase()} ${el.tagName === 'MAIN' ? '' : (el.getAttribute('name') ?? el.textContent ?? '').trim()}`.trim()
      : ''
  })

// Every page of the console, signed out and signed in, passes axe-core without serious or critical violations,
// works from the keyboard, and runs under the server's strict CSP without a single violation.
describe('console: accessibility, keyboard and CSP on every page', { timeout: 60_000 }, () => {
  const suite = consoleSuite()

  it('serves the console with the strict CSP', async () => {
    const response = await suite.tab.page.goto('/console/sign-in')
    const csp = response?.headers()['content-security-policy'] ?? ''
    expect(csp).toContain("script-src 'self'")
    expect(csp).toContain("style-src 'self'")
    expect(csp).toContain("connect-src 'self'")
    expect(csp).not.toContain('unsafe-inline')
  })

  it('signed-out pages: sign-in, its error, forgot password, and links of every kind', async () => {
    const { page } = suite.tab
    await page.getByRole('heading', { name: 'Sign in to Gatehouse' }).waitFor()
    await expectAccessible(page, 'the sign-in page')

    // The keyboard alone: Tab to the email, Tab to the password, Enter.
    await page.locator('body').click({ position: { x: 5, y: 5 } })
    await page.keyboard.press('Tab')
    expect(await focused(page)).toBe('input email')
    await page.keyboard.type('nobody@demo.example')
    await page.keyboard.press('Tab')
    expect(await focused(page)).toBe('input password')
    await page.keyboard.type('wrong password here')
    await page.keyboard.press('Enter')
    await page.getByRole('alert').waitFor()
    await expectAccessible(page, 'the sign-in page with an error')

    await page.getByRole('link', { name: 'Forgot your password?' }).click()
    await page.getByRole('button', { name: 'Send me a link' }).waitFor()
    await expectAccessible(page, 'the forgot-password page')
    await page.getByLabel('Email').fill(MEMBER)
    await page.getByRole('button', { name: 'Send me a link' }).click()
    await page.getByText('Check your email').waitFor()
    await expectAccessible(page, 'the forgot-password page, sent')

    await page.goto('/console/link/not-a-real-link-token')
    await page.getByRole('heading', { name: 'This link does not work' }).waitFor()
    await expectAccessible(page, 'an unknown link')

    await page.goto(new URL(suite.server.demoLink).pathname)
    await page.getByRole('heading', { name: 'Sign in with a link' }).waitFor()
    await expectAccessible(page, 'a sign-in link')

    await page.goto(new URL(await suite.server.mailedLink(MEMBER)).pathname)
    await page.getByRole('heading', { name: 'Welcome to Gatehouse' }).waitFor()
    await expectAccessible(page, 'a set-password link')
    await page.getByLabel('New password').fill('short')
    await page.getByLabel('Confirm the password').fill('other')
    await page.getByRole('button', { name: 'Set password and sign in' }).click()
    await page.getByText('The two passwords are not the same').waitFor()
    await expectAccessible(page, 'a set-password link with an error')
  })

  it("a member's pages: My access, the refused Users page, My account", async () => {
    const { page } = suite.tab
    await page.getByLabel('New password').fill(MEMBER_PASSWORD)
    await page.getByLabel('Confirm the password').fill(MEMBER_PASSWORD)
    await page.getByRole('button', { name: 'Set password and sign in' }).click()
    await page.getByRole('region', { name: 'Roles granted to you' }).getByRole('table').waitFor()
    await expectAccessible(page, 'My access')

    await page.goto(new URL(page.url()).pathname.replace(/access$/, 'users'))
    await page.getByRole('alert').waitFor()
    await expectAccessible(page, 'the Users page refused to a member')

    await page.getByRole('link', { name: 'My account' }).first().click()
    await page.getByRole('table', { name: 'Sessions' }).waitFor()
    await expectAccessible(page, 'My account')
    await page.getByRole('button', { name: 'Sign out', exact: true }).first().click()
    await page.waitForURL(/\/console\/sign-in$/)
  })

  it("an owner's pages: Users (filtered and not), workspaces, not found; the skip link and focus after navigation", async () => {
    const { page } = suite.tab
    await page.goto(new URL(suite.server.demoLink).pathname)
    await page.getByRole('button', { name: 'Sign in' }).click()
    const table = page.getByRole('table', { name: /Users of/ })
    await table.locator('tbody tr').nth(19).waitFor()
    await expectAccessible(page, 'the Users page')

    await page.getByLabel('Search users').fill('zzz-nobody')
    await page.getByText('No users match this search.').waitFor()
    await expectAccessible(page, 'the Users page with no match')

    // The first Tab stop is the skip link; it takes the focus to the page's content.
    await page.reload()
    await table.locator('tbody tr').nth(19).waitFor()
    await page.keyboard.press('Tab')
    expect(await focused(page)).toBe('a Skip to content')
    expect(await page.getByRole('link', { name: 'Skip to content' }).isVisible()).toBe(true)
    await page.keyboard.press('Enter')
    expect(await focused(page)).toBe('main')

    // A link followed from the keyboard lands the focus on the new page's heading.
    await page.getByRole('link', { name: 'My access' }).focus()
    await page.keyboard.press('Enter')
    await page.getByRole('heading', { name: 'My access', level: 1 }).waitFor()
    await expect.poll(() => focused(page)).toBe('h1 My access')

    await page.goto('/console/workspaces')
    await page.getByRole('heading', { name: 'Workspaces', level: 1 }).waitFor()
    await expectAccessible(page, 'the workspace list')

    await page.goto('/console/no-such-page')
    await page.getByRole('heading', { name: 'Page not found' }).waitFor()
    await expectAccessible(page, 'a page that does not exist')
  })

  it('ran every page without a CSP violation or a request to another host (and would have seen one)', async () => {
    const { page } = suite.tab
    expectCleanRun(suite.tab)

    // The watch works: an inline style, which the CSP refuses, is reported.
    await page.evaluate(() => {
      const { document } = globalThis as any
      const style = document.createElement('style')
      style.textContent = 'body { color: red }'
      document.head.append(style)
    })
    await expect.poll(() => suite.tab.cspViolations().length).toBe(1)
    // Otherwise only the answers these pages asked for on purpose were logged: 401 (signed out), 403 (a member on
    // Users), 404 (an unknown link), 422 (a short password).
    const others = suite.tab.problems.filter((p) => !suite.tab.cspViolations().includes(p) && !/status of (401|403|404|422)/.test(p))
    expect(others).toEqual([])
    expect((await new HttpClient(suite.server.url, undefined).get('/console/api/session')).status).toBe(401)
  })
})
