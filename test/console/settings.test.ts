import { describe, expect, it } from 'vitest'
import { HttpClient } from '../helpers/gatehouse.js'
import { consoleSuite, expectAccessible, expectCleanRun, screenshot } from './support.js'

// Issue 11, test 6: Settings → General: rename, change the slug, a slug conflict shows the error, contacts saved.
describe('console: Settings → General', { timeout: 90_000 }, () => {
  const suite = consoleSuite()

  it('renames the workspace, changes its slug and contacts; the Public API sees the new name', async () => {
    const { page } = suite.tab
    await page.goto(suite.server.demoLink)
    await page.getByRole('button', { name: 'Sign in' }).click()
    await page.waitForURL(/\/console\/workspaces\/[^/]+\/users$/)
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'General' }).click()
    await page.getByRole('heading', { name: 'General', level: 1 }).waitFor()
    await page.getByRole('heading', { name: 'Plan: Business' }).waitFor()
    await screenshot(page, 'settings')
    await expectAccessible(page, 'the Settings → General page')

    await page.getByLabel('Name', { exact: true }).fill('Acme Analytics')
    await page.getByLabel('Slug').fill('acme-analytics')
    await page.getByLabel('Billing contacts').fill('billing@acme.example\nAP@acme.example\nbilling@ACME.example')
    await page.getByLabel('Incident contacts').fill('oncall@acme.example')
    await page.getByRole('button', { name: 'Save changes' }).click()
    await page.getByRole('status').filter({ hasText: 'Settings saved.' }).waitFor()
    // A repeated address (in any case) is kept once.
    expect(await page.getByLabel('Billing contacts').inputValue()).toBe('billing@acme.example\nAP@acme.example')
    // The header names the workspace by its new name at once.
    await expect.poll(() => page.locator('.switcher-name').textContent()).toBe('Acme Analytics')

    const token = /Bearer (\S+)"/.exec(suite.server.process.output())?.[1]
    const publicApi = await new HttpClient(suite.server.url, token).get('/')
    expect(publicApi.body.data.workspace).toMatchObject({ name: 'Acme Analytics', slug: 'acme-analytics' })

    // Saved: a fresh load shows them.
    await page.reload()
    await page.getByRole('heading', { name: 'General', level: 1 }).waitFor()
    await expect.poll(() => page.getByLabel('Name', { exact: true }).inputValue()).toBe('Acme Analytics')
    expect(await page.getByLabel('Slug').inputValue()).toBe('acme-analytics')
    expect(await page.getByLabel('Incident contacts').inputValue()).toBe('oncall@acme.example')
  })

  it("shows the conflict when the slug is another workspace's, and bad contacts on their field", async () => {
    const { page } = suite.tab
    const made = await suite.server.admin.post('/admin/workspaces', {
      name: 'Other',
      slug: 'taken-slug',
      ownerEmail: 'someone@other.example',
    })
    expect(made.status, made.text).toBe(201)
    await page.getByLabel('Slug').fill('taken-slug')
    await page.getByRole('button', { name: 'Save changes' }).click()
    const slugError = page.getByText('The slug taken-slug is already used by another workspace; choose another slug')
    await slugError.waitFor()
    expect(await page.getByLabel('Slug').getAttribute('aria-invalid')).toBe('true')
    await expectAccessible(page, 'the slug conflict')

    await page.getByLabel('Slug').fill('acme-analytics')
    await page.getByLabel('Incident contacts').fill('not an email')
    await page.getByRole('button', { name: 'Save changes' }).click()
    await page
      .locator('.field-error')
      .filter({ hasText: /incidentContacts/ })
      .waitFor()
    expect(await page.getByLabel('Incident contacts').getAttribute('aria-invalid')).toBe('true')
    const settings = await (await page.request.get(new URL(page.url()).pathname.replace('/console/', '/console/api/'))).json()
    expect(settings.data).toMatchObject({ workspace: { slug: 'acme-analytics' }, incidentContacts: ['oncall@acme.example'] })
  })

  it('broke no CSP rule and reached no other host', () => {
    expectCleanRun(suite.tab)
  })
})
