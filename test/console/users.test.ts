import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { consoleSuite, expectAccessible, expectCleanRun, screenshot } from './support.js'

// Access Management → Users beyond the list: a person's detail panel, editing their roles, removing them from
// the workspace, and the CSV of everyone.
describe('console: a user’s detail, roles, removal and the CSV', { timeout: 90_000 }, () => {
  const suite = consoleSuite()
  let workspaceId = ''

  it('opens a user’s detail: their roles in words, those from groups marked with the group', async () => {
    const { page } = suite.tab
    await page.goto(suite.server.demoLink)
    await page.getByRole('button', { name: 'Sign in' }).click()
    await page.waitForURL(/\/console\/workspaces\/[^/]+\/users$/)
    workspaceId = new URL(page.url()).pathname.split('/')[3] as string

    await page.getByLabel('Search users').fill('grace.hopper')
    // The search answers after a pause: wait for it, so the list is not asked again under the open panel.
    await expect.poll(() => page.getByRole('button', { name: /^Details of / }).count()).toBe(1)
    await page.getByRole('button', { name: 'Details of Grace Hopper' }).click()
    const panel = page.getByRole('region', { name: 'Grace Hopper' })
    await panel.waitFor()
    // The panel takes the focus.
    await expect.poll(() => page.locator(':focus').textContent()).toBe('Grace Hopper')
    const users = (await (await page.request.get(`/console/api/workspaces/${workspaceId}/users?search=grace.hopper`)).json()).data.users
    const detail = (await (await page.request.get(`/console/api/workspaces/${workspaceId}/users/${users[0].id}`)).json()).data.user
    expect(detail.groups.length).toBeGreaterThan(0)
    const lines = await panel.locator('.access-preview li').allTextContents()
    expect(lines).toHaveLength(detail.access.length)
    expect(lines.some((l) => l.includes('granted directly'))).toBe(true)
    expect(lines.some((l) => l.includes(`through the group ${detail.groups[0].name}`))).toBe(true)
    await expectAccessible(page, 'the user detail panel')
    await screenshot(page, 'user-detail')
  })

  it('edits the user’s roles', async () => {
    const { page } = suite.tab
    const panel = page.getByRole('region', { name: 'Grace Hopper' })
    await panel.getByRole('button', { name: 'Edit roles' }).click()
    await panel.getByRole('button', { name: 'Add a role' }).click()
    const roleSelects = panel.getByLabel(/^Role \d+$/)
    const n = await roleSelects.count()
    await panel.getByLabel(`Role ${n}`, { exact: true }).selectOption({ label: 'Function Read-only' })
    await expectAccessible(page, 'editing a user’s roles')
    await panel.getByRole('button', { name: 'Save roles' }).click()
    await expect
      .poll(() => panel.locator('.access-preview li').allTextContents())
      .toContainEqual(expect.stringContaining('Function Read-only all current and future functions · granted directly'))
    // The list behind the panel was asked again and shows the new role.
    const row = page.getByRole('table', { name: /Users of/ }).getByRole('row', { name: /grace\.hopper/ })
    await expect.poll(() => row.textContent()).toContain('Function Read-only')
  })

  it('downloads the CSV of the users found, their roles in it', async () => {
    const { page } = suite.tab
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: /Download CSV/ }).click()])
    expect(download.suggestedFilename()).toMatch(/-users\.csv$/)
    const lines = readFileSync((await download.path()) as string, 'utf8')
      .trim()
      .split('\r\n')
    expect(lines[0]).toBe('id,name,email,roles,access,groups')
    expect(lines).toHaveLength(2) // the search for grace.hopper is kept
    expect(lines[1]).toContain('grace.hopper@demo.example')
    expect(lines[1]).toContain('Function Read-only')

    await page.getByLabel('Search users').fill('')
    await page
      .getByRole('table', { name: /Users of/ })
      .locator('tbody tr')
      .nth(19)
      .waitFor()
    const [all] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: /Download CSV/ }).click()])
    const rows = readFileSync((await all.path()) as string, 'utf8')
      .trim()
      .split('\r\n')
      .slice(1)
    const listed = (await (await page.request.get(`/console/api/workspaces/${workspaceId}/users?count=200`)).json()).data.users
    expect(rows.map((r) => r.split(',')[0])).toEqual(listed.map((u: { id: string }) => u.id))
  })

  it('removes a user from the workspace after a confirmation', async () => {
    const { page } = suite.tab
    await page.getByLabel('Search users').fill('john.mccarthy')
    await expect.poll(() => page.getByRole('button', { name: /^Details of / }).count()).toBe(1)
    await page.getByRole('button', { name: 'Details of John McCarthy' }).click()
    const panel = page.getByRole('region', { name: 'John McCarthy' })
    await panel.getByRole('button', { name: 'Remove from workspace' }).click()
    const dialog = page.getByRole('dialog', { name: 'Remove John McCarthy from the workspace?' })
    await dialog.waitFor()
    await expectAccessible(page, 'the removal confirmation')
    await dialog.getByRole('button', { name: 'Remove from workspace' }).click()
    await dialog.waitFor({ state: 'hidden' })
    await panel.waitFor({ state: 'hidden' })
    const rows = page.getByRole('table', { name: /Users of/ }).locator('tbody tr')
    await expect.poll(() => rows.first().textContent()).toBe('No users match this search.')

    const left = (await (await page.request.get(`/console/api/workspaces/${workspaceId}/users?search=john.mccarthy`)).json()).data
    expect(left.users).toEqual([])
    expectCleanRun(suite.tab)
  })
})
