import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Gatehouse, startGatehouse } from '../helpers/gatehouse.js'
import { accountsServerForSuite, Browser, errorOf, GOOD_PASSWORD, lastMail, memberWithPassword, outbox } from './support.js'

describe('passwords and links', () => {
  const { gh, sql } = accountsServerForSuite()

  /** A member without a password, and the token of the set-password link just mailed to them. */
  async function invitedMember(email: string) {
    const ws = await gh.workspace()
    await gh.addUsers(ws, [email])
    expect((await new Browser(gh.url).post('/console/api/password-resets', { email })).status).toBe(202)
    return (await lastMail(gh, sql, email)).token as string
  }

  it('refuses short, overlong and common passwords and the email itself, and says why', async () => {
    const email = 'policy@people.example'
    const token = await invitedMember(email)
    const browser = new Browser(gh.url)
    const cases: [string, string][] = [
      ['short pass', 'The password must be at least 12 characters long'],
      ['leavemealone', 'This password is one of the most common ones; choose another'],
      ['Qwerty123456', 'This password is one of the most common ones; choose another'],
      [' POLICY@people.example', 'The password must not be your email address'],
    ]
    for (const [password, message] of cases) {
      const res = await browser.post(`/console/api/links/${token}/password`, { password })
      expect(res.status, password).toBe(422)
      expect(errorOf(res)).toEqual({ type: 'input-validation', message, status: 422, field: 'password' })
    }
    const long = await browser.post(`/console/api/links/${token}/password`, { password: 'x'.repeat(1001) })
    expect(long.status).toBe(422)
    expect(errorOf(long).field).toBe('password')
    // A refused password does not use the link up; 12 characters of emoji count as 12.
    expect((await browser.get(`/console/api/links/${token}`)).body.data.link.status).toBe('valid')
    expect((await browser.post(`/console/api/links/${token}/password`, { password: '🔑'.repeat(12) })).status).toBe(200)
  })

  it('stores only a self-describing scrypt hash', async () => {
    await memberWithPassword(gh, sql, 'hash@people.example')
    const [row] = await sql.all('select password_hash, password_changed_at from accounts where email_key = ?', ['hash@people.example'])
    expect(row.password_hash).toMatch(/^scrypt\$32768\$8\$1\$[\w-]{22}\$[\w-]{43}$/)
    expect(row.password_hash).not.toContain(GOOD_PASSWORD)
    expect(Date.parse(row.password_changed_at)).toBeGreaterThan(Date.now() - 60_000)
  })

  it('changes the password with the current one, ending every other session', async () => {
    const email = 'change@people.example'
    const { browser } = await memberWithPassword(gh, sql, email)
    const other = new Browser(gh.url)
    await other.signIn(email, GOOD_PASSWORD)
    const wrong = await browser.put('/console/api/account/password', {
      currentPassword: 'not the current one',
      newPassword: 'another good passphrase',
    })
    expect(wrong.status).toBe(422)
    expect(errorOf(wrong)).toMatchObject({ field: 'currentPassword', message: 'The current password is not correct' })
    const weak = await browser.put('/console/api/account/password', { currentPassword: GOOD_PASSWORD, newPassword: 'leavemealone' })
    expect(errorOf(weak)).toMatchObject({ field: 'newPassword', status: 422 })
    const changed = await browser.put('/console/api/account/password', {
      currentPassword: GOOD_PASSWORD,
      newPassword: 'another good passphrase',
    })
    expect(changed.status, changed.text).toBe(200)
    expect(changed.body).toEqual({ data: { endedSessions: 1 } })
    expect((await other.get('/console/api/session')).status).toBe(401)
    expect((await browser.get('/console/api/session')).status).toBe(200)
    expect((await new Browser(gh.url).signIn(email, GOOD_PASSWORD)).status).toBe(401)
    expect((await new Browser(gh.url).signIn(email, 'another good passphrase')).status).toBe(200)
  })

  it('counts wrong current passwords against the sign-in budget', async () => {
    const email = 'change.guess@people.example'
    const { browser } = await memberWithPassword(gh, sql, email)
    for (let i = 0; i < 10; i++)
      expect(
        (await browser.put('/console/api/account/password', { currentPassword: `guess number ${i}`, newPassword: 'x'.repeat(20) })).status,
      ).toBe(422)
    const refused = await browser.put('/console/api/account/password', {
      currentPassword: GOOD_PASSWORD,
      newPassword: 'another good passphrase',
    })
    expect(refused.status).toBe(429)
    expect(errorOf(refused).message).toMatch(/^Too many wrong passwords; try again in \d+ minutes$/)
    expect((await new Browser(gh.url).signIn(email, GOOD_PASSWORD)).status).toBe(429)
  })

  it('resets a forgotten password with a one-hour link, signing out everywhere', async () => {
    const email = 'forgot@people.example'
    const { browser } = await memberWithPassword(gh, sql, email)
    const anonymous = new Browser(gh.url)
    expect((await anonymous.post('/console/api/password-resets', { email })).status).toBe(202)
    const mail = await lastMail(gh, sql, email)
    expect(mail.kind).toBe('password_reset')
    expect(mail.subject).toBe('Reset your Gatehouse password')
    expect(mail.text).toContain('1 hour')
    const link = (await anonymous.get(`/console/api/links/${mail.token}`)).body.data.link
    expect(link).toMatchObject({ purpose: 'reset_password', email, status: 'valid' })
    expect(Date.parse(link.expiresAt) - Date.now()).toBeGreaterThan(59 * 60_000)
    expect(Date.parse(link.expiresAt) - Date.now()).toBeLessThanOrEqual(3600_000)
    const reset = await anonymous.post(`/console/api/links/${mail.token}/password`, { password: 'my new long password' })
    expect(reset.status, reset.text).toBe(200)
    expect(anonymous.cookie).toBeDefined()
    expect((await browser.get('/console/api/session')).status).toBe(401)
    expect((await new Browser(gh.url).signIn(email, GOOD_PASSWORD)).status).toBe(401)
    expect((await new Browser(gh.url).signIn(email, 'my new long password')).status).toBe(200)
  })

  it('uses a link once; a newer password retires older links', async () => {
    const email = 'once@people.example'
    const token = await invitedMember(email)
    expect((await new Browser(gh.url).post('/console/api/password-resets', { email })).status).toBe(202)
    const second = (await lastMail(gh, sql, email)).token as string
    expect(second).not.toBe(token)
    expect((await new Browser(gh.url).post(`/console/api/links/${token}/password`, { password: GOOD_PASSWORD })).status).toBe(200)
    for (const t of [token, second]) {
      const again = await new Browser(gh.url).post(`/console/api/links/${t}/password`, { password: 'someone else passphrase' })
      expect(again.status).toBe(409)
      expect(errorOf(again)).toEqual({
        type: 'conflict',
        message: 'This link was already used; ask for a new one',
        status: 409,
        data: { status: 'used' },
      })
      expect((await new Browser(gh.url).get(`/console/api/links/${t}`)).body.data.link.status).toBe('used')
    }
    expect((await new Browser(gh.url).signIn(email, 'someone else passphrase')).status).toBe(401)
  })

  it('lets two requests race for one link and only one win', async () => {
    const email = 'race@people.example'
    const token = await invitedMember(email)
    const results = await Promise.all(
      ['first racing passphrase', 'second racing passphrase'].map((password) =>
        new Browser(gh.url).post(`/console/api/links/${token}/password`, { password }),
      ),
    )
    expect(results.map((r) => r.status).sort()).toEqual([200, 409])
  })

  it('refuses an expired link, and says so', async () => {
    const email = 'expired@people.example'
    const token = await invitedMember(email)
    await sql.run('update account_links set expires_at = ? where account_id = (select id from accounts where email_key = ?)', [
      new Date(Date.now() - 1000).toISOString(),
      email,
    ])
    const seen = await new Browser(gh.url).get(`/console/api/links/${token}`)
    expect(seen.body.data.link).toMatchObject({ status: 'expired', purpose: 'set_password', email })
    const used = await new Browser(gh.url).post(`/console/api/links/${token}/password`, { password: GOOD_PASSWORD })
    expect(used.status).toBe(409)
    expect(errorOf(used)).toMatchObject({ message: 'This link has expired; ask for a new one', data: { status: 'expired' } })
  })

  it('answers an unknown link 404, and too many of them 429', async () => {
    const unknown = await new Browser(gh.url).get(`/console/api/links/${'Z'.repeat(43)}`)
    expect(unknown.status).toBe(404)
    expect(errorOf(unknown)).toEqual({ type: 'not-found', message: 'Link not found', status: 404 })
  })

  it('answers a reset request the same for every email, and sends at most 3 an hour to one', async () => {
    const before = await outbox(gh, sql)
    const unknown = await new Browser(gh.url).post('/console/api/password-resets', { email: 'unknown.reset@people.example' })
    expect(unknown.status).toBe(202)
    expect(await outbox(gh, sql)).toHaveLength(before.length)

    const email = 'limited@people.example'
    await memberWithPassword(gh, sql, email) // one request spent on the set-password link
    const answers = []
    for (let i = 0; i < 4; i++) answers.push(await new Browser(gh.url).post('/console/api/password-resets', { email }))
    for (const res of answers) expect(res.text).toBe(unknown.text)
    expect((await outbox(gh, sql, email)).map((m) => m.kind)).toEqual(['set_password', 'password_reset', 'password_reset'])
  })

  it('writes mail with every interpolated value escaped in HTML', async () => {
    const ws = await gh.workspace()
    const email = 'html@people.example'
    const added = await gh.admin.post(`/admin/workspaces/${ws.id}/users`, { users: [{ email, name: '<script>alert("x")</script> & Co' }] })
    expect(added.status).toBe(201)
    await new Browser(gh.url).post('/console/api/password-resets', { email })
    const mail = await lastMail(gh, sql, email)
    expect(mail.text).toContain('Hello <script>alert("x")</script> & Co,')
    expect(mail.html).not.toContain('<script>')
    expect(mail.html).toContain('Hello &#60;script&#62;alert(&#34;x&#34;)&#60;/script&#62; &#38; Co,')
  })
})

describe('link lookups from one address', () => {
  let gh: Gatehouse

  beforeAll(async () => {
    gh = await startGatehouse()
  })
  afterAll(() => gh?.stop())

  it('are limited to 30 unknown links in 15 minutes', async () => {
    for (let i = 0; i < 30; i++) expect((await new Browser(gh.url).get(`/console/api/links/unknown${i}`)).status).toBe(404)
    const refused = await new Browser(gh.url).get('/console/api/links/unknown-again')
    expect(refused.status).toBe(429)
    expect(errorOf(refused).message).toMatch(/^Too many unknown links; try again in \d+ minutes$/)
    expect(refused.headers.get('retry-after')).toMatch(/^\d+$/)
  })
})
