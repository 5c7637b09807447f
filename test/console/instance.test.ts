import { Secret, TOTP } from 'otpauth'
import { describe, expect, it } from 'vitest'
import { Browser } from '../accounts/support.js'
import {
  consoleSuite,
  DEMO_OWNER,
  expectAccessible,
  expectCleanRun,
  MEMBER_PASSWORD,
  openPage,
  screenshot,
  signInWithPassword,
} from './support.js'

/*
 * Instance admins in Chromium against the built server: the demo owner, made an instance admin through the
 * operator API, reads the demo's invitation in the Outbox and resets a member's MFA on the Accounts page (the
 * member's sessions end); a member who is not an instance admin sees no Instance section and the API refuses them.
 */

const MEMBER = 'grace.hopper@demo.example'

function codeOf(secret: string): string {
  return new TOTP({ algorithm: 'SHA1', digits: 6, period: 30, secret: Secret.fromBase32(secret) }).generate()
}

describe('console: instance admins see the outbox and the accounts', { timeout: 90_000 }, () => {
  const suite = consoleSuite()
  /** The member, signed in through the API with MFA on. */
  let member: Browser

  it('shows the Instance section to an instance admin and reads the demo’s invitation in the Outbox', async () => {
    const { page } = suite.tab
    const made = await suite.server.admin.post('/admin/instance-admins', { email: DEMO_OWNER })
    expect(made.status, made.text).toBe(201)
    await page.goto(suite.server.demoLink)
    await page.getByRole('button', { name: 'Sign in' }).click()
    await page.waitForURL(/\/console\/workspaces\/[^/]+\/users$/)

    const nav = page.getByRole('navigation', { name: 'Main' })
    await nav.getByRole('link', { name: 'Outbox' }).click()
    await page.waitForURL(/\/console\/instance\/outbox$/)
    await page.getByRole('heading', { name: 'Outbox', level: 1 }).waitFor()
    const table = page.getByRole('table', { name: 'Outbox messages' })
    await table.waitFor()
    const invitation = table.getByRole('row').filter({ hasText: 'new.engineer@demo.example' }).filter({ hasText: 'invitation' })
    await expect.poll(() => invitation.count()).toBe(1)
    await expectAccessible(page, 'the outbox')
    await screenshot(page, 'instance-outbox')

    await invitation.getByRole('button', { name: /^Read “Join .*” to new\.engineer@demo\.example$/ }).click()
    const view = page.getByRole('region', { name: /^Join / })
    await view.waitFor()
    await expect.poll(() => page.locator(':focus').textContent()).toMatch(/^Join /)
    const link = view.locator('pre a')
    expect(await link.count()).toBeGreaterThan(0)
    const href = await link.first().getAttribute('href')
    expect(href).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/console\//)
    expect(await link.first().textContent()).toBe(href)
    // The text body only: nothing of the HTML version is rendered.
    expect(await view.locator('pre').innerHTML()).not.toContain('<p')
    await expectAccessible(page, 'a message of the outbox')

    // The status filter asks the server again: no message has failed.
    await page.getByLabel('Status').selectOption('failed')
    await page.getByText('No failed messages.').waitFor()
    expect(
      await page
        .getByRole('status')
        .filter({ hasText: /messages?$/ })
        .textContent(),
    ).toBe('0 messages')
  })

  it('finds a member on the Accounts page and resets their MFA, ending their sessions', async () => {
    const { page } = suite.tab
    // The member chooses a password through a mailed link and sets up an authenticator, through the API.
    member = new Browser(suite.server.url)
    expect((await member.post('/console/api/password-resets', { email: MEMBER })).status).toBe(202)
    const token = new URL(await suite.server.mailedLink(MEMBER)).pathname.split('/').at(-1)
    expect((await member.post(`/console/api/links/${token}/password`, { password: MEMBER_PASSWORD })).status).toBe(200)
    const started = await member.post('/console/api/account/mfa/totp')
    const confirmed = await member.post('/console/api/account/mfa/totp/confirm', { code: codeOf(started.body.data.totp.secret) })
    expect(confirmed.status, confirmed.text).toBe(200)

    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Accounts' }).click()
    await page.waitForURL(/\/console\/instance\/accounts$/)
    await page.getByRole('table', { name: 'Accounts' }).waitFor()
    await expectAccessible(page, 'the accounts')

    await page.getByLabel('Search accounts').fill('grace.hopper')
    await expect.poll(() => page.getByRole('table', { name: 'Accounts' }).locator('tbody tr').count()).toBe(1)
    const row = page.getByRole('table', { name: 'Accounts' }).locator('tbody tr')
    expect(await row.textContent()).toContain('On')
    await row.getByRole('button', { name: 'Details of Grace Hopper' }).click()
    const panel = page.getByRole('region', { name: 'Grace Hopper' })
    await panel.waitFor()
    expect(await panel.textContent()).toMatch(/On since .*, 10 recovery codes left/)
    expect(await panel.textContent()).toContain('MFA enabled')
    await expectAccessible(page, 'an account’s detail')
    await screenshot(page, 'instance-accounts')

    await panel.getByRole('button', { name: 'Reset MFA' }).click()
    const dialog = page.getByRole('dialog', { name: 'Reset the MFA of Grace Hopper?' })
    await dialog.waitFor()
    // The focus starts on Cancel: Enter alone does not reset anyone's MFA.
    await expect.poll(() => page.locator(':focus').textContent()).toBe('Cancel')
    await expectAccessible(page, 'the MFA reset question')
    await dialog.getByRole('button', { name: 'Reset MFA' }).click()
    await panel.getByText(`MFA reset: 1 session ended, and ${MEMBER} was mailed a notice.`).waitFor()
    await expect.poll(async () => (await panel.locator('.facts').textContent()) ?? '').toContain('MFAOff')
    expect(await panel.textContent()).toContain(`MFA reset (by ${DEMO_OWNER})`)

    expect((await member.get('/console/api/session')).status).toBe(401)
    const list = await suite.server.admin.get('/admin/outbox?status=pending&pagination[count]=200')
    expect(list.body.data.messages.some((m: { to: string; kind: string }) => m.to === MEMBER && m.kind === 'mfa_reset')).toBe(true)
    expectCleanRun(suite.tab)
  })

  it('shows no Instance section to a member who is not an instance admin, and the API says 403', async () => {
    const tab = await openPage(suite.browser, suite.server)
    try {
      const { page } = tab
      await signInWithPassword(page, MEMBER, MEMBER_PASSWORD)
      await page.waitForURL(/\/console\/workspaces\/[^/]+\/access$/)
      const nav = page.getByRole('navigation', { name: 'Main' })
      await nav.getByRole('link', { name: 'My account' }).waitFor()
      expect(await nav.getByText('Instance', { exact: true }).count()).toBe(0)
      expect(await nav.getByRole('link', { name: 'Outbox' }).count()).toBe(0)
      expect((await page.request.get('/console/api/instance/outbox')).status()).toBe(403)
      expect((await page.request.get('/console/api/instance/accounts')).status()).toBe(403)

      await page.goto('/console/instance/accounts')
      await page.getByRole('alert').getByText('Only the instance admins of this server see every account.').waitFor()
      expect(await page.getByRole('table').count()).toBe(0)
      await expectAccessible(page, 'the Accounts page refused')
      expectCleanRun(tab)
    } finally {
      await tab.context.close()
    }
  })
})
