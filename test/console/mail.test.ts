import type { ParsedMail } from 'mailparser'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type SmtpSink, startSmtpSink } from '../mail/helpers.js'
import { consoleSuite, expectCleanRun, MEMBER_PASSWORD, openPage } from './support.js'

/*
 * Real mail: the demo server sends through a real SMTP server on loopback (`--smtp-url`), and the people of
 * these tests follow the links in what arrives there, as they would from their mailbox: the button of the HTML
 * part, whose address must be the one the text part gives.
 */

describe('console: invitations and resets arrive by SMTP and their links work', { timeout: 90_000 }, () => {
  let sink: SmtpSink
  beforeAll(async () => {
    sink = await startSmtpSink()
  })
  afterAll(async () => {
    await sink?.close()
  })
  const suite = consoleSuite(() => ['--smtp-url', sink.url, '--mail-from', 'Gatehouse <gatehouse@demo.example>'])

  /** The newest message to `email` once it has arrived. */
  async function arrived(email: string, kind: RegExp): Promise<ParsedMail> {
    const find = () => sink.received.filter((m) => m.to && JSON.stringify(m.to).includes(email) && kind.test(m.subject ?? '')).at(-1)
    await expect.poll(() => find() !== undefined, { timeout: 15_000 }).toBe(true)
    return find() as ParsedMail
  }

  /** The link of the message's button, checked against the address its text part gives. */
  function linkOf(mail: ParsedMail): string {
    const href = /<a href="([^"]+)"/.exec(String(mail.html))?.[1]?.replaceAll('&#38;', '&')
    expect(href).toBeDefined()
    expect(mail.text).toContain(href)
    return href as string
  }

  it('delivers the demo’s pending invitations through the SMTP server, from the configured sender', async () => {
    const mail = await arrived('intern@demo.example', /^Join /)
    expect(mail.from?.value).toEqual([{ name: 'Gatehouse', address: 'gatehouse@demo.example' }])
    expect(mail.subject).toMatch(/Demo Workspace/)
    expect(linkOf(mail)).toMatch(new RegExp(`^${suite.server.url}/console/invitation/[0-9A-Za-z]+$`))
    // Sent means sent: the outbox says so.
    const listed = await suite.server.admin.get('/admin/outbox?pagination[count]=200')
    const invitation = (listed.body.data.messages as { to: string; kind: string; status: string }[]).find(
      (m) => m.to === 'intern@demo.example' && m.kind === 'invitation',
    )
    expect(invitation?.status).toBe('sent')
  })

  it('lets an invited person join with the mailed link, and a member reset their password with another', async () => {
    const invited = await openPage(suite.browser, suite.server)
    try {
      const { page } = invited
      await page.goto(linkOf(await arrived('new.engineer@demo.example', /^Join /)))
      await page.getByRole('heading', { name: 'Join Demo Workspace' }).waitFor()
      await page.getByLabel('Your name').fill('Nell Engineer')
      await page.getByLabel('Password', { exact: true }).fill(MEMBER_PASSWORD)
      await page.getByLabel('Confirm the password').fill(MEMBER_PASSWORD)
      await page.getByRole('button', { name: 'Accept and join' }).click()
      await page.getByRole('heading', { name: 'My access', level: 1 }).waitFor()
      expectCleanRun(invited)
    } finally {
      await invited.context.close()
    }

    const member = await openPage(suite.browser, suite.server)
    try {
      const { page } = member
      await page.goto('/console/forgot-password')
      await page.getByLabel('Email').fill('grace.hopper@demo.example')
      await page.getByRole('button', { name: 'Send me a link' }).click()
      await page.getByRole('status').waitFor()
      await page.goto(linkOf(await arrived('grace.hopper@demo.example', /password/i)))
      await page.getByLabel('New password').fill(MEMBER_PASSWORD)
      await page.getByLabel('Confirm the password').fill(MEMBER_PASSWORD)
      await page.getByRole('button', { name: /sign in/i }).click()
      await page.getByRole('heading', { name: 'My access', level: 1 }).waitFor()
      expectCleanRun(member)
    } finally {
      await member.context.close()
    }
  })
})

describe('console: repeated wrong passwords lock sign-in for a while, whoever the email', { timeout: 90_000 }, () => {
  const suite = consoleSuite()

  /** Signs in with a wrong password and answers what the page says. */
  async function wrongPassword(email: string): Promise<string> {
    const { page } = suite.tab
    await page.goto('/console/sign-in')
    await page.getByLabel('Email').fill(email)
    await page.getByLabel('Password').fill('not the password at all')
    await page.getByRole('button', { name: 'Sign in' }).click()
    const alert = page.getByRole('alert')
    await alert.waitFor()
    return ((await alert.textContent()) ?? '').trim()
  }

  it('says the same for a known and an unknown email, then "try again in N minutes" after ten failures', async () => {
    const known = await wrongPassword('owner@demo.example')
    const unknown = await wrongPassword('nobody@nowhere.example')
    expect(known).toMatch(/email or password is not correct/)
    expect(unknown).toBe(known)
    // Ten failures per email in 15 minutes; the first one above was one of them.
    for (let i = 2; i <= 10; i++) expect(await wrongPassword('owner@demo.example')).toBe(known)
    const locked = await wrongPassword('owner@demo.example')
    expect(locked).toMatch(/Too many failed sign-ins; try again in \d+ minutes?/)
    // An unknown email is counted and locked the same way: nothing tells the two apart.
    for (let i = 2; i <= 10; i++) await wrongPassword('nobody@nowhere.example')
    expect((await wrongPassword('nobody@nowhere.example')).replace(/\d+ minutes?/, 'N')).toBe(locked.replace(/\d+ minutes?/, 'N'))
    expectCleanRun(suite.tab)
  })
})
