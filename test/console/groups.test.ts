import { describe, expect, it } from 'vitest'
import { consoleSuite, expectAccessible, expectCleanRun, screenshot } from './support.js'

// Issue 11, test 4: an owner makes a user group, adds a member and a pending invite by email, gives it a role,
// reads the preview of what it grants, renames it and deletes it.
describe('console: User Groups', { timeout: 90_000 }, () => {
  const suite = consoleSuite()
  let workspaceId = ''

  it('lists the groups, searchable, for the demo owner', async () => {
    const { page } = suite.tab
    await page.goto(suite.server.demoLink)
    await page.getByRole('button', { name: 'Sign in' }).click()
    await page.waitForURL(/\/console\/workspaces\/[^/]+\/users$/)
    workspaceId = new URL(page.url()).pathname.split('/')[3] as string

    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'User Groups' }).click()
    await page.getByRole('heading', { name: 'User Groups', level: 1 }).waitFor()
    const table = page.getByRole('table', { name: /User groups of Demo Workspace/ })
    await table.locator('tbody tr').first().waitFor()
    const listed = (await (await page.request.get(`/console/api/workspaces/${workspaceId}/groups`)).json()).data
    expect(listed.groups.length).toBeGreaterThan(0)
    expect(await table.locator('tbody tr td:first-child').allTextContents()).toEqual(listed.groups.map((g: { name: string }) => g.name))
    await expectAccessible(page, 'the User Groups page')
    await screenshot(page, 'groups')

    const first = listed.groups[0].name as string
    await page.getByLabel('Search groups').fill(first.slice(1, 5).toUpperCase())
    await expect.poll(() => table.locator('tbody tr td:first-child').allTextContents()).toContain(first)
    await page.getByLabel('Search groups').fill('no such group at all')
    await expect.poll(() => table.locator('tbody tr').first().textContent()).toBe('No groups match this search.')
  })

  it('creates a group, adds a member and a new email as a pending invite, and mails the invitation', async () => {
    const { page } = suite.tab
    await page.getByLabel('Group name').fill('Release Managers')
    await page.getByRole('button', { name: 'Create group' }).click()
    await page.getByRole('heading', { name: 'Release Managers', level: 1 }).waitFor()
    expect(page.url()).toMatch(new RegExp(`/console/workspaces/${workspaceId}/groups/[^/]+$`))

    await page.getByLabel('Add people by email').fill('grace.hopper@demo.example,\nnew.hire@example.org')
    await page.getByRole('button', { name: 'Add to group' }).click()
    const members = page.getByRole('table', { name: 'Members of Release Managers' })
    const invites = page.getByRole('table', { name: 'Pending invites of Release Managers' })
    await members.getByRole('row', { name: /grace\.hopper@demo\.example/ }).waitFor()
    await invites.getByRole('row', { name: /new\.hire@example\.org/ }).waitFor()
    expect(await invites.getByRole('row', { name: /new\.hire@example\.org/ }).textContent()).toContain('Invite Pending')
    expect(await page.getByRole('status').filter({ hasText: 'Added' }).textContent()).toBe('Added 2 emails.')

    const outbox = await suite.server.admin.get('/admin/outbox?pagination[count]=200')
    const mailed = (outbox.body.data.messages as { to: string; kind: string }[]).filter((m) => m.to === 'new.hire@example.org')
    expect(mailed.map((m) => m.kind)).toEqual(['invitation'])
  })

  it('sets the group’s roles and previews what they grant', async () => {
    const { page } = suite.tab
    expect(await page.getByText('No access yet: give the group a role.').isVisible()).toBe(true)
    await page.getByRole('button', { name: 'Add a role' }).click()
    await page.getByLabel('Role 1', { exact: true }).selectOption({ label: 'Source Admin' })
    await page.getByRole('checkbox', { name: 'team:platform' }).check()
    await page.getByRole('button', { name: 'Save roles' }).click()
    await page.getByRole('status').filter({ hasText: 'Roles saved.' }).waitFor()
    const preview = page.getByRole('region', { name: 'What this group grants' })
    await expect
      .poll(() => preview.getByRole('listitem').allTextContents())
      .toEqual([expect.stringContaining('Source Admin all current and future sources labelled team:platform')])

    // What the console saved is what the Public API and the detail route now say.
    const groupId = new URL(page.url()).pathname.split('/').at(-1) as string
    const detail = (await (await page.request.get(`/console/api/workspaces/${workspaceId}/groups/${groupId}`)).json()).data
    expect(detail.permissions).toEqual([
      {
        roleId: '2Gh0wIFcqhZ8T8NVOGE5k4dKcXr',
        roleName: 'Source Admin',
        resources: [{ id: workspaceId, type: 'WORKSPACE', labels: [{ key: 'team', value: 'platform' }] }],
      },
    ])
    expect(detail.group).toMatchObject({ memberCount: 1, inviteCount: 1 })
    await expectAccessible(page, 'a group page')
    await screenshot(page, 'group')
  })

  it('removes the pending invite, renames the group, and deletes it after a confirmation', async () => {
    const { page } = suite.tab
    await page.getByRole('button', { name: 'Remove new.hire@example.org from the group' }).click()
    const invites = page.getByRole('table', { name: 'Pending invites of Release Managers' })
    await expect.poll(() => invites.locator('tbody tr').first().textContent()).toBe('No pending invites.')

    await page.getByLabel('Group name').fill('Release Captains')
    await page.getByRole('button', { name: 'Rename' }).click()
    await page.getByRole('heading', { name: 'Release Captains', level: 1 }).waitFor()

    await page.getByRole('button', { name: 'Delete group' }).click()
    const dialog = page.getByRole('dialog', { name: 'Delete Release Captains?' })
    await dialog.waitFor()
    await expectAccessible(page, 'the delete confirmation')
    // Escape cancels; nothing is deleted.
    await page.keyboard.press('Escape')
    await dialog.waitFor({ state: 'hidden' })
    await page.getByRole('button', { name: 'Delete group' }).click()
    await dialog.getByRole('button', { name: 'Delete group' }).click()
    await page.getByRole('heading', { name: 'User Groups', level: 1 }).waitFor()
    const left = (await (await page.request.get(`/console/api/workspaces/${workspaceId}/groups?search=release`)).json()).data
    expect(left.groups).toEqual([])
    expectCleanRun(suite.tab)
  })
})
