import { unwrap } from '@segment/public-api-sdk-typescript'
import { describe, expect, it } from 'vitest'
import { rejectionOf, sdkFor } from '../helpers/sdk.js'
import { consoleSuite, DEMO_OWNER, type DemoServer, expectAccessible, expectCleanRun, screenshot } from './support.js'

/** The newest security code mailed to `email`, read from the outbox through the operator API. */
async function mailedCode(server: DemoServer, email: string): Promise<string> {
  const list = await server.admin.get('/admin/outbox?pagination[count]=200')
  const messages = (list.body.data.messages as { id: string; to: string; kind: string; created_at: string }[])
    .filter((m) => m.to === email && m.kind === 'security_code')
    .sort((a, b) => a.created_at.localeCompare(b.created_at))
  const newest = messages.at(-1)
  expect(newest, `a security code mailed to ${email}`).toBeDefined()
  const message = await server.admin.get(`/admin/outbox/${newest?.id}`)
  const code = /^(\d{6})$/m.exec(message.body.data.message.text)?.[1]
  expect(code, message.text).toBeDefined()
  return code as string
}

// Issue 11, test 3: Segment's Create Token flow, with the code from the email; the token works with the official
// SDK until it is revoked.
describe('console: Settings → Tokens', { timeout: 90_000 }, () => {
  const suite = consoleSuite()
  let workspaceId: string

  it('lists the workspace tokens', async () => {
    const { page } = suite.tab
    await page.goto(suite.server.demoLink)
    await page.getByRole('button', { name: 'Sign in' }).click()
    await page.waitForURL(/\/console\/workspaces\/[^/]+\/users$/)
    workspaceId = new URL(page.url()).pathname.split('/')[3] as string
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Tokens' }).click()
    await page.getByRole('heading', { name: 'Tokens', level: 1 }).waitFor()
    const table = page.getByRole('table', { name: 'Tokens' })
    await table.getByRole('row').nth(1).waitFor()
    expect(await table.locator('tbody tr').first().textContent()).toContain('Admin key or CLI')
    await screenshot(page, 'tokens')
    await expectAccessible(page, 'the Tokens page')
  })

  it('creates a token with the emailed code, shows it once with a Copy button, and the SDK works with it until revoked', async () => {
    const { page, context } = suite.tab
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: new URL(suite.server.url).origin })
    await page.getByRole('button', { name: 'Create Token' }).click()
    const dialog = page.getByRole('dialog', { name: 'Create Token' })
    await dialog.getByLabel('Description').fill('Nightly sync')
    await dialog.getByRole('button', { name: 'Next' }).click()
    await dialog.getByRole('group', { name: 'Assign Access' }).waitFor()
    await dialog.getByLabel(/Workspace Owner/).check()
    await expectAccessible(page, 'the Assign Access step')
    await dialog.getByRole('button', { name: 'Email me a security code' }).click()
    await dialog.getByText(/We emailed a security code to o\*+@demo\.example/).waitFor()
    const code = await mailedCode(suite.server, DEMO_OWNER)

    // A wrong code is refused on the field, with the attempts left.
    await dialog.getByLabel('Security code').fill(code === '000000' ? '111111' : '000000')
    await dialog.getByRole('button', { name: 'Create Token' }).click()
    await dialog.getByText(/not right; 4 attempts left/).waitFor()
    expect(await dialog.getByLabel('Security code').getAttribute('aria-invalid')).toBe('true')

    await dialog.getByLabel('Security code').fill(code)
    await dialog.getByRole('button', { name: 'Create Token' }).click()
    const created = page.getByRole('dialog', { name: 'Your new token' })
    await created.getByText('it cannot be shown again').waitFor()
    const secret = await created.getByLabel('Token for “Nightly sync”').inputValue()
    expect(secret.length).toBeGreaterThan(20)
    await created.getByRole('button', { name: 'Copy' }).click()
    await created.getByText('Copied to the clipboard.').waitFor()
    // The page reads the clipboard (a string of code: this file is not compiled with the DOM's types).
    expect(await page.evaluate('navigator.clipboard.readText()')).toBe(secret)
    await screenshot(page, 'token-created')
    await expectAccessible(page, 'the token shown once')

    const sdk = sdkFor(suite.server.url, secret)
    expect((await unwrap(sdk.workspaces.getWorkspace())).workspace.id).toBe(workspaceId)

    await created.getByRole('button', { name: 'Done' }).click()
    const row = page.getByRole('table', { name: 'Tokens' }).getByRole('row', { name: /Nightly sync/ })
    await row.waitFor()
    expect(await row.textContent()).toMatch(/Workspace Owner.*owner@demo\.example/)
    // The secret is shown once: the list does not carry it.
    expect(await page.content()).not.toContain(secret)

    await row.getByRole('button', { name: 'Revoke Nightly sync' }).click()
    const confirm = page.getByRole('dialog', { name: 'Revoke this token?' })
    await confirm.getByRole('button', { name: 'Revoke token' }).click()
    await page.getByRole('status').filter({ hasText: 'was revoked' }).waitFor()
    await expect.poll(() => row.count()).toBe(0)
    expect(await rejectionOf(unwrap(sdk.workspaces.getWorkspace()))).toMatchObject({ status: 401 })
  })

  it('broke no CSP rule and reached no other host', () => {
    expectCleanRun(suite.tab)
  })
})
