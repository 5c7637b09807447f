import type { Page } from 'playwright-core'
import { describe, expect, it } from 'vitest'
import { HttpClient } from '../helpers/gatehouse.js'
import { consoleSuite, type DemoServer, expectAccessible, expectCleanRun, MEMBER_PASSWORD, openPage, screenshot } from './support.js'

const SOURCE_ADMIN = '2Gh0wIFcqhZ8T8NVOGE5k4dKcXr'

/** The newest invitation link mailed to `email` (the outbox, read through the operator API), and how many there are. */
async function invitationLinks(server: DemoServer, email: string): Promise<string[]> {
  const list = await server.admin.get('/admin/outbox?pagination[count]=200')
  expect(list.status, list.text).toBe(200)
  const messages = (list.body.data.messages as { id: string; to: string; kind: string; created_at: string }[])
    .filter((m) => m.to === email && m.kind === 'invitation')
    .sort((a, b) => a.created_at.localeCompare(b.created_at))
  const links: string[] = []
  for (const m of messages) {
    const message = await server.admin.get(`/admin/outbox/${m.id}`)
    const url = /(https?:\/\/\S+\/console\/invitation\/[0-9A-Za-z]+)/.exec(message.body.data.message.text)?.[1]
    expect(url, message.text).toBeDefined()
    links.push(url as string)
  }
  return links
}

/** Presses Tab until the focused element has this accessible name (at most 80 times). Keyboard only. */
async function tabTo(page: Page, name: string | RegExp): Promise<void> {
  for (let i = 0; i < 80; i++) {
    await page.keyboard.press('Tab')
    // A string, not a function: this file is compiled without the DOM's types.
    const focused = await page.evaluate<string>(`(() => {
      const el = document.activeElement
      if (!el) return ''
      const labelled = el.getAttribute('aria-label')
      if (labelled) return labelled
      const label = el.id ? document.querySelector('label[for="' + CSS.escape(el.id) + '"]')?.textContent : undefined
      return (label ?? el.closest('label')?.textContent ?? el.textContent ?? '').trim()
    })()`)
    if (typeof name === 'string' ? focused === name : name.test(focused)) return
  }
  throw new Error(`Tab never reached ${name}`)
}

/** The demo's Public API token, printed once at the first start. */
function demoToken(server: DemoServer): string {
  const token = /Authorization: Bearer (\S+)"/.exec(server.process.output())?.[1]
  expect(token).toBeDefined()
  return token as string
}

describe('console: invitations by email, and the Roles and Labels pages', { timeout: 90_000 }, () => {
  const suite = consoleSuite()
  let workspaceId: string

  it('mailed each of the demo’s pending invites its invitation', async () => {
    for (const email of ['new.engineer@demo.example', 'contractor@agency.example', 'intern@demo.example'])
      expect(await invitationLinks(suite.server, email)).toHaveLength(1)
  })

  it('lets the owner invite a new email with a role and a group; the person accepts and sees their access', async () => {
    const { page } = suite.tab
    await page.goto(suite.server.demoLink)
    await page.getByRole('button', { name: 'Sign in' }).click()
    await page.waitForURL(/\/console\/workspaces\/[^/]+\/users$/)
    workspaceId = new URL(page.url()).pathname.split('/')[3] as string
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Invites' }).click()
    await page.getByRole('heading', { name: 'Invites', level: 1 }).waitFor()
    const pending = page.getByRole('table', { name: /Pending invites/ })
    await pending.getByRole('row', { name: /contractor@agency\.example/ }).waitFor()
    expect(await pending.getByRole('row', { name: /contractor@agency\.example/ }).textContent()).toMatch(/Source Read-only.*Invite pending/)

    await page.getByLabel('Email addresses').fill('Nadia.New@example.org')
    await page.getByRole('button', { name: 'Add a role' }).click()
    await page.getByLabel('Role 1').selectOption({ label: 'Source Admin' })
    await page.getByLabel('All current and future sources').check()
    await page.getByRole('checkbox', { name: 'Engineering' }).check()
    await page.evaluate('window.scrollTo(0, 0)')
    await screenshot(page, 'invites')
    await expectAccessible(page, 'the Invites page')
    await page.getByRole('button', { name: 'Send invitations' }).click()
    await page.getByRole('status').filter({ hasText: 'Invitation sent to 1 person.' }).waitFor()
    const row = pending.getByRole('row', { name: /Nadia\.New@example\.org/ })
    await row.waitFor()
    expect(await row.textContent()).toMatch(/Source Admin.*Engineering.*Invite pending/)

    // The mail is in the outbox; the new person opens its link in a browser of their own.
    const [link] = await invitationLinks(suite.server, 'Nadia.New@example.org')
    const invitee = await openPage(suite.browser, suite.server)
    try {
      const p = invitee.page
      await p.goto(new URL(link as string).pathname)
      await p.getByRole('heading', { name: 'Join Demo Workspace' }).waitFor()
      expect(await p.getByText('Nadia.New@example.org').first().isVisible()).toBe(true)
      await screenshot(p, 'invitation')
      await expectAccessible(p, 'the invitation page')
      await p.getByLabel('Your name').fill('Nadia New')
      await p.getByLabel('Password', { exact: true }).fill(MEMBER_PASSWORD)
      await p.getByLabel('Confirm the password').fill(MEMBER_PASSWORD)
      await p.getByRole('button', { name: 'Accept and join' }).click()
      await p.waitForURL(new RegExp(`/console/workspaces/${workspaceId}/access$`))
      await p.getByRole('heading', { name: 'My access', level: 1 }).waitFor()
      const main = p.locator('main')
      await expect.poll(() => main.textContent()).toMatch(/Source Admin/)
      expect(await main.textContent()).toMatch(/Engineering/)
      expectCleanRun(invitee)
    } finally {
      await invitee.context.close()
    }

    // The Public API (the demo's token) shows the member with that permission and that group.
    const api = new HttpClient(suite.server.url, demoToken(suite.server))
    const users = await api.get('/users?pagination%5Bcount%5D=200')
    const nadia = users.body.data.users.find((u: { email: string }) => u.email === 'Nadia.New@example.org')
    expect(nadia).toMatchObject({ name: 'Nadia New', permissions: [expect.objectContaining({ roleId: SOURCE_ADMIN })] })
    const groups = await api.get(`/users/${nadia.id}/groups`)
    expect(groups.body.data.groups.map((g: { name: string }) => g.name)).toEqual(['Engineering'])
    expect((await api.get('/invites?pagination%5Bcount%5D=200')).body.data.invites).not.toContain('Nadia.New@example.org')
  })

  it('invites, resends and revokes by keyboard alone (Tab, Enter, Space)', async () => {
    const { page } = suite.tab
    await page.goto(`/console/workspaces/${workspaceId}/invites`)
    await page.getByRole('heading', { name: 'Invites', level: 1 }).waitFor()
    await page.getByRole('checkbox', { name: 'Engineering' }).waitFor()
    await tabTo(page, 'Email addresses')
    await page.keyboard.type('keys.only@example.org')
    await tabTo(page, 'Add a role')
    await page.keyboard.press('Enter')
    await tabTo(page, 'Data & Analytics')
    await page.keyboard.press('Space')
    expect(await page.getByRole('checkbox', { name: 'Data & Analytics' }).isChecked()).toBe(true)
    await tabTo(page, 'Send invitations')
    await page.keyboard.press('Enter')
    await page.getByRole('status').filter({ hasText: 'Invitation sent to 1 person.' }).waitFor()
    const row = page.getByRole('row', { name: /keys\.only@example\.org/ })
    expect(await row.textContent()).toMatch(/Minimal Workspace Access.*Data & Analytics.*Invite pending/)
    expect(await invitationLinks(suite.server, 'keys.only@example.org')).toHaveLength(1)

    await tabTo(page, 'Resend the invitation to keys.only@example.org')
    await page.keyboard.press('Enter')
    await page.getByText('A new link was sent to keys.only@example.org').waitFor()
    expect(await invitationLinks(suite.server, 'keys.only@example.org')).toHaveLength(2)

    await tabTo(page, 'Revoke the invite for keys.only@example.org')
    await page.keyboard.press('Enter')
    // The confirmation takes the focus: Enter confirms.
    await expect.poll(() => page.locator(':focus').getAttribute('aria-label')).toBe('Yes, revoke the invite for keys.only@example.org')
    await page.keyboard.press('Enter')
    await page.getByText('The invite for keys.only@example.org was revoked.').waitFor()
    await expect.poll(() => row.count()).toBe(0)
  })

  it('says when a link has expired, and mails a new one that works', async () => {
    const { page } = suite.tab
    const email = 'late.comer@example.org'
    await page.getByLabel('Email addresses').fill(email)
    await page.getByRole('button', { name: 'Send invitations' }).click()
    await page.getByRole('status').filter({ hasText: 'Invitation sent to 1 person.' }).waitFor()
    await page.getByRole('button', { name: `Resend the invitation to ${email}` }).click()
    await page.getByText(`A new link was sent to ${email}`).waitFor()
    // Re-sending ended the first link: it now reads as expired.
    const [first] = await invitationLinks(suite.server, email)
    const invitee = await openPage(suite.browser, suite.server)
    try {
      const p = invitee.page
      await p.goto(new URL(first as string).pathname)
      await p.getByRole('heading', { name: 'This invitation link has expired' }).waitFor()
      await expectAccessible(p, 'the expired invitation page')
      await screenshot(p, 'invitation-expired')
      await p.getByRole('button', { name: 'Email me a new link' }).click()
      await p
        .getByRole('status')
        .filter({ hasText: `a new link is on its way to ${email}` })
        .waitFor()
      const links = await invitationLinks(suite.server, email)
      expect(links).toHaveLength(3)
      await p.goto(new URL(links[2] as string).pathname)
      await p.getByRole('heading', { name: 'Join Demo Workspace' }).waitFor()
      expectCleanRun(invitee)
    } finally {
      await invitee.context.close()
    }
  })

  it('shows the Roles page: what each role grants, on what, on which plan', async () => {
    const { page } = suite.tab
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Roles' }).click()
    await page.getByRole('heading', { name: 'Roles', level: 1 }).waitFor()
    const table = page.getByRole('table', { name: 'Roles' })
    const sourceAdmin = table.getByRole('row', { name: /^Source Admin/ })
    expect(await sourceAdmin.textContent()).toMatch(/All current and future sources.*Listed sources.*Narrowed by labels.*Every plan/)
    expect(await table.getByRole('row', { name: /^Identity Admin/ }).textContent()).toMatch(/Business/)
    expect(await table.locator('tbody tr').count()).toBe(19)
    await screenshot(page, 'roles')
    await expectAccessible(page, 'the Roles page')
  })

  it('shows the Labels page: where each is used; creates one; refuses to delete one in use, humanly', async () => {
    const { page } = suite.tab
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Labels' }).click()
    await page.getByRole('heading', { name: 'Labels', level: 1 }).waitFor()
    const table = page.getByRole('table', { name: 'Labels' })
    await table.getByRole('row', { name: /team:growth/ }).waitFor()
    expect(await table.getByRole('row', { name: /team:growth/ }).textContent()).toMatch(/2 permissions/)

    await page.getByLabel('Key').fill('tier')
    await page.getByLabel('Value').fill('gold')
    await page.getByLabel('Description (optional)').fill('Our <best> customers')
    await page.getByRole('button', { name: 'Create label' }).click()
    await page.getByText('Label tier:gold created.').waitFor()
    expect(await table.getByRole('row', { name: /tier:gold/ }).textContent()).toMatch(/Our <best> customers.*Not used/)
    await screenshot(page, 'labels')
    await expectAccessible(page, 'the Labels page')

    await page.getByRole('button', { name: 'Delete the label team:growth' }).click()
    await page.getByRole('button', { name: 'Yes, delete the label team:growth' }).click()
    await page.getByText('team:growth is still used by permissions. Remove it from them first, then delete it.').waitFor()
    expect(await table.getByRole('row', { name: /team:growth/ }).count()).toBe(1)

    await page.getByRole('button', { name: 'Delete the label tier:gold' }).click()
    await page.getByRole('button', { name: 'Yes, delete the label tier:gold' }).click()
    await page.getByText('Label tier:gold deleted.').waitFor()
    await expect.poll(() => table.getByRole('row', { name: /tier:gold/ }).count()).toBe(0)
    expectCleanRun(suite.tab)
  })
})
