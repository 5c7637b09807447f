import { describe, expect, it } from 'vitest'
import { HttpClient } from '../helpers/gatehouse.js'
import { consoleSuite, expectCleanRun, MEMBER_PASSWORD, screenshot, signInWithPassword } from './support.js'

const MEMBER = 'grace.hopper@demo.example'

// A workspace member (no password yet, not an owner) asks for a link, chooses a password with it, signs out,
// signs in again with it, and sees their own access only.
describe('console: a member chooses a password and sees their own access', { timeout: 60_000 }, () => {
  const suite = consoleSuite()
  let setPasswordPath: string

  it('sends a signed-out visitor to the sign-in page', async () => {
    const { page } = suite.tab
    await page.goto('/console/')
    await page.waitForURL(/\/console\/sign-in$/)
    await page.getByRole('heading', { name: 'Sign in to Gatehouse' }).waitFor()
    await screenshot(page, 'sign-in')
  })

  it('asks for a link on "Forgot your password?" and is told the same whatever the email', async () => {
    const { page } = suite.tab
    const answerFor = async (email: string) => {
      await page.goto('/console/sign-in')
      await page.getByRole('link', { name: 'Forgot your password?' }).click()
      await page.getByRole('heading', { name: 'Forgot your password?' }).waitFor()
      await page.getByLabel('Email').fill(email)
      await page.getByRole('button', { name: 'Send me a link' }).click()
      const status = page.getByRole('status')
      await status.waitFor()
      return (await status.textContent())?.replace(email, '<email>')
    }
    const known = await answerFor(MEMBER)
    const unknown = await answerFor('nobody-here@elsewhere.example')
    expect(known).toContain('Check your email')
    expect(unknown).toBe(known)
    setPasswordPath = new URL(await suite.server.mailedLink(MEMBER)).pathname
  })

  it('chooses a password with the mailed set-password link and lands on My access', async () => {
    const { page } = suite.tab
    await page.goto(setPasswordPath)
    await page.getByRole('heading', { name: 'Welcome to Gatehouse' }).waitFor()
    expect(await page.getByLabel('Your name').inputValue()).toBe('Grace Hopper')
    await screenshot(page, 'link')

    // The two entries must agree; the server's own rules come back in its words.
    await page.getByLabel('New password').fill(MEMBER_PASSWORD)
    await page.getByLabel('Confirm the password').fill(`${MEMBER_PASSWORD}!`)
    await page.getByRole('button', { name: 'Set password and sign in' }).click()
    await page.getByText('The two passwords are not the same').waitFor()
    await page.getByLabel('New password').fill('short')
    await page.getByLabel('Confirm the password').fill('short')
    await page.getByRole('button', { name: 'Set password and sign in' }).click()
    await page.getByText(/at least 12 characters long/).waitFor()
    expect(await page.getByLabel('New password').getAttribute('aria-invalid')).toBe('true')

    await page.getByLabel('New password').fill(MEMBER_PASSWORD)
    await page.getByLabel('Confirm the password').fill(MEMBER_PASSWORD)
    await page.getByRole('button', { name: 'Set password and sign in' }).click()
    await page.waitForURL(/\/console\/workspaces\/[^/]+\/access$/)
    await page.getByRole('heading', { name: 'My access', level: 1 }).waitFor()
  })

  it('shows a member their roles and groups, and no Users page', async () => {
    const { page } = suite.tab
    const roles = page.getByRole('region', { name: 'Roles granted to you' })
    await roles.getByRole('table').waitFor()
    const roleCells = await roles.locator('tbody tr td:first-child').allTextContents()
    expect(roleCells).toEqual(expect.arrayContaining(['Workspace Member', 'Source Admin']))
    expect(await page.getByRole('region', { name: 'User groups' }).textContent()).toContain('Engineering')
    expect(await page.getByText('No', { exact: true }).isVisible()).toBe(true) // not an owner
    expect(await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Users' }).count()).toBe(0)
    expect(await page.getByRole('button', { name: /edit|remove|invite/i }).count()).toBe(0)
    await screenshot(page, 'my-access')

    // The Users page, opened by its address, says no (the server's 403) and shows no table.
    const usersPath = new URL(page.url()).pathname.replace(/\/access$/, '/users')
    await page.goto(usersPath)
    const alert = page.getByRole('alert')
    await alert.waitFor()
    expect(await alert.textContent()).toMatch(/^Not allowed/)
    expect(await page.getByRole('table').count()).toBe(0)
  })

  it('signs out, refuses a wrong password with the server message, and signs in with the right one', async () => {
    const { page } = suite.tab
    await page.getByRole('button', { name: 'Sign out' }).click()
    await page.waitForURL(/\/console\/sign-in$/)
    expect(await page.getByRole('status').textContent()).toBe('You have signed out.')

    await signInWithPassword(page, MEMBER, 'not the password at all')
    const alert = page.getByRole('alert')
    await alert.waitFor()
    const wrong = await new HttpClient(suite.server.url, undefined).post('/console/api/session', {
      email: MEMBER,
      password: 'nope nope nope',
    })
    expect(wrong.status).toBe(401)
    expect(await alert.textContent()).toBe(wrong.body.errors[0].message)
    expect(page.url()).toMatch(/\/console\/sign-in$/)

    await page.getByLabel('Password').fill(MEMBER_PASSWORD)
    await page.getByRole('button', { name: 'Sign in' }).click()
    await page.waitForURL(/\/console\/workspaces\/[^/]+\/access$/)
  })

  it('says a used link was used and offers a new one', async () => {
    const { page } = suite.tab
    await page.goto(setPasswordPath)
    await page.getByRole('heading', { name: 'This link has already been used' }).waitFor()
    await page.getByRole('link', { name: 'Ask for a new link' }).click()
    await page.waitForURL(/\/console\/forgot-password\?email=/)
    expect(await page.getByLabel('Email').inputValue()).toBe(MEMBER)
  })

  it('shows the "try again in N minutes" of a throttled sign-in', async () => {
    const { page } = suite.tab
    const email = 'guessing@demo.example'
    const client = new HttpClient(suite.server.url, undefined)
    let last = 0
    for (let i = 0; i < 12 && last !== 429; i++)
      last = (await client.post('/console/api/session', { email, password: `guess ${i}` })).status
    expect(last).toBe(429)
    await page.context().clearCookies()
    await signInWithPassword(page, email, 'one more guess')
    const alert = page.getByRole('alert')
    await alert.waitFor()
    expect(await alert.textContent()).toMatch(/try again in \d+ minutes?/)
  })

  it('broke no CSP rule and reached no other host', () => {
    expectCleanRun(suite.tab)
  })
})
