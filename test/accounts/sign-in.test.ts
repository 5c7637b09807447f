import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Gatehouse, startGatehouse } from '../helpers/gatehouse.js'
import { accountsServerForSuite, Browser, errorOf, GOOD_PASSWORD, lastMail, memberWithPassword, outbox } from './support.js'

describe('signing in', () => {
  const { gh, sql } = accountsServerForSuite()

  it('a workspace member asks for a link, chooses a password, signs in, and sees their workspaces', async () => {
    const email = 'Ada.Member@People.example'
    const [one, two, other] = [await gh.workspace({ name: 'Analytics' }), await gh.workspace({ name: 'Marketing' }), await gh.workspace()]
    const [userOne] = await gh.addUsers(one, [email])
    const [userTwo] = await gh.addUsers(two, ['ada.member@people.example'])
    const browser = new Browser(gh.url)
    expect((await browser.get('/console/api/session')).status).toBe(401)

    const asked = await browser.post('/console/api/password-resets', { email: 'ada.member@people.example' })
    expect(asked.status, asked.text).toBe(202)
    expect(asked.body).toEqual({ data: { status: 'ACCEPTED' } })
    // No password yet: a set-password link, to the address as the workspace spelled it.
    const mail = await lastMail(gh, sql, email)
    expect(mail.kind).toBe('set_password')
    expect(mail.link).toBe(`${gh.url}/console/link/${mail.token}`)
    expect(mail.text).toContain('7 days')
    expect(mail.html).toContain(`href="${mail.link}"`)

    const link = await browser.get(`/console/api/links/${mail.token}`)
    expect(link.status, link.text).toBe(200)
    expect(link.body.data.link).toMatchObject({ purpose: 'set_password', email, status: 'valid' })

    const set = await browser.post(`/console/api/links/${mail.token}/password`, { password: GOOD_PASSWORD, name: 'Ada Lovelace' })
    expect(set.status, set.text).toBe(200)
    expect(browser.cookie).toBeDefined()
    expect(set.body.data.account).toMatchObject({ email, name: 'Ada Lovelace', instanceAdmin: false })

    // A fresh browser signs in with the password (the email in any case).
    const other_ = new Browser(gh.url)
    const signedIn = await other_.signIn('ADA.MEMBER@people.example', GOOD_PASSWORD)
    expect(signedIn.status, signedIn.text).toBe(200)
    const me = await other_.get('/console/api/session')
    expect(me.status).toBe(200)
    expect(me.body.data.account).toEqual({ id: set.body.data.account.id, email, name: 'Ada Lovelace', instanceAdmin: false })
    expect(me.body.data.workspaces).toEqual([
      { id: one.id, slug: one.slug, name: 'Analytics', userId: userOne?.id },
      { id: two.id, slug: two.slug, name: 'Marketing', userId: userTwo?.id },
    ])
    expect(me.body.data.workspaces.map((w: any) => w.id)).not.toContain(other.id)
    expect(me.body.data.csrfToken).toMatch(/^[\w-]{43}$/)
    expect(me.body.data.session.id).not.toBe(set.body.data.session.id)
    expect(Date.parse(me.body.data.session.expiresAt) - Date.parse(me.body.data.session.createdAt)).toBe(7 * 24 * 3600_000)

    // Removing a membership removes it from the list, never the account.
    expect((await one.http.delete(`/users?userIds=${userOne?.id}`)).status).toBe(200)
    const after = await other_.get('/console/api/session')
    expect(after.body.data.workspaces.map((w: any) => w.id)).toEqual([two.id])
    expect(await sql.all('select id from accounts where email_key = ?', ['ada.member@people.example'])).toHaveLength(1)
  })

  it('answers a wrong password, an unknown email and an account without a password alike', async () => {
    const email = 'wrong.pw@people.example'
    await memberWithPassword(gh, sql, email)
    const ws = await gh.workspace()
    await gh.addUsers(ws, ['no.password@people.example'])
    await new Browser(gh.url).post('/console/api/password-resets', { email: 'no.password@people.example' }) // account, no password
    const wrong = await new Browser(gh.url).signIn(email, 'not the password at all')
    const unknown = await new Browser(gh.url).signIn('nobody@people.example', 'not the password at all')
    const noPassword = await new Browser(gh.url).signIn('no.password@people.example', 'not the password at all')
    for (const res of [wrong, unknown, noPassword]) {
      expect(res.status).toBe(401)
      expect(res.headers.get('set-cookie')).toBeNull()
    }
    expect(wrong.text).toBe(unknown.text)
    expect(noPassword.text).toBe(unknown.text)
    expect(errorOf(wrong)).toEqual({ type: 'unauthorized', message: 'Unauthorized: the email or password is not correct', status: 401 })
  })

  it('takes about as long for an unknown email as for a wrong password (one scrypt either way)', async () => {
    const email = 'timing@people.example'
    await memberWithPassword(gh, sql, email)
    // Interleaved pairs, medians compared: a load that comes and goes (CI, other suites) hits both sides alike.
    const times: Record<'known' | 'unknown', number[]> = { known: [], unknown: [] }
    const attempt = async (side: 'known' | 'unknown', who: string) => {
      const started = performance.now()
      expect((await new Browser(gh.url).signIn(who, 'not the password at all')).status).toBe(401)
      times[side].push(performance.now() - started)
    }
    for (let i = 0; i < 7; i++) {
      await attempt('known', email)
      await attempt('unknown', 'nobody.timing@people.example')
    }
    const median = (list: number[]) => list.sort((a, b) => a - b)[3] as number
    const [known, unknown] = [median(times.known), median(times.unknown)]
    expect(unknown).toBeGreaterThan(known * 0.5)
    expect(unknown).toBeLessThan(known * 2)
  })

  it('locks an email out after 10 failures, known or not, with the minutes to wait', async () => {
    const email = 'locked@people.example'
    await memberWithPassword(gh, sql, email)
    for (const who of [email, 'locked.unknown@people.example']) {
      for (let i = 0; i < 10; i++) expect((await new Browser(gh.url).signIn(who, 'a wrong password')).status).toBe(401)
      const refused = await new Browser(gh.url).signIn(who, 'a wrong password')
      expect(refused.status).toBe(429)
      expect(errorOf(refused)).toMatchObject({ type: 'too-many-attempts', status: 429 })
      expect(errorOf(refused).message).toMatch(/^Too many failed sign-ins; try again in 1[45] minutes$/)
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(13 * 60)
      expect(Number(refused.headers.get('retry-after'))).toBeLessThanOrEqual(15 * 60)
    }
    const lockedOut = await new Browser(gh.url).signIn(email, GOOD_PASSWORD)
    expect(lockedOut.status).toBe(429)
    // Another email from the same address is not locked out.
    const fine = await memberWithPassword(gh, sql, 'not.locked@people.example')
    expect((await new Browser(gh.url).signIn('not.locked@people.example', GOOD_PASSWORD)).status).toBe(200)
    expect(fine.browser.cookie).toBeDefined()
  })

  it('sets the session cookie HttpOnly, SameSite=Lax, Path=/, for 7 days, without Secure over http', async () => {
    const email = 'cookie@people.example'
    await memberWithPassword(gh, sql, email)
    const browser = new Browser(gh.url)
    const res = await browser.signIn(email, GOOD_PASSWORD)
    expect(res.status).toBe(200)
    const cookie = browser.lastSetCookie
    expect(cookie?.name).toBe('gatehouse_session')
    expect(cookie?.value).toMatch(/^[0-9A-Za-z]{43}$/)
    expect(cookie?.attributes.get('httponly')).toBe(true)
    expect(cookie?.attributes.get('samesite')).toBe('Lax')
    expect(cookie?.attributes.get('path')).toBe('/')
    expect(cookie?.attributes.get('max-age')).toBe(String(7 * 24 * 3600))
    expect(cookie?.attributes.has('secure')).toBe(false)
    expect(res.headers.get('cache-control')).toBe('no-store')
  })

  it('ends a session at its absolute end and after a day unused, and forgets the cookie', async () => {
    const email = 'expiry@people.example'
    await memberWithPassword(gh, sql, email)
    const absolute = new Browser(gh.url)
    await absolute.signIn(email, GOOD_PASSWORD)
    const idle = new Browser(gh.url)
    await idle.signIn(email, GOOD_PASSWORD)
    const [a, b] = [
      (await absolute.get('/console/api/session')).body.data.session.id,
      (await idle.get('/console/api/session')).body.data.session.id,
    ]
    await sql.run('update account_sessions set expires_at = ? where id = ?', [new Date(Date.now() - 1000).toISOString(), a])
    await sql.run('update account_sessions set last_seen_at = ? where id = ?', [
      new Date(Date.now() - 24 * 3600_000 - 1000).toISOString(),
      b,
    ])
    for (const browser of [absolute, idle]) {
      const res = await browser.get('/console/api/session')
      expect(res.status).toBe(401)
      expect(errorOf(res)).toEqual({ type: 'unauthorized', message: 'Unauthorized: sign in first', status: 401 })
      expect(browser.lastSetCookie?.attributes.get('max-age')).toBe('0')
      expect(browser.cookie).toBeUndefined()
    }
  })

  it('notes when a session was last seen at most once a minute', async () => {
    const email = 'seen@people.example'
    const { browser } = await memberWithPassword(gh, sql, email)
    const id = (await browser.get('/console/api/session')).body.data.session.id
    const seen = async () => (await sql.all('select last_seen_at from account_sessions where id = ?', [id]))[0].last_seen_at as string
    const first = await seen()
    await browser.get('/console/api/session')
    await browser.get('/console/api/account/sessions')
    expect(await seen()).toBe(first)
    const longAgo = new Date(Date.now() - 2 * 60_000).toISOString()
    await sql.run('update account_sessions set last_seen_at = ? where id = ?', [longAgo, id])
    await browser.get('/console/api/session')
    expect(Date.parse(await seen())).toBeGreaterThan(Date.now() - 10_000)
  })

  it('lets a bearer token win over the cookie: the console API takes only the cookie', async () => {
    const { browser, workspace } = await memberWithPassword(gh, sql, 'bearer@people.example')
    const res = await browser.get('/console/api/session', { authorization: `Bearer ${workspace.token}` })
    expect(res.status).toBe(401)
    expect(errorOf(res).message).toBe('Unauthorized: the console API takes a session cookie, not a bearer token')
    // And the Public API never looks at the cookie.
    const publicApi = await browser.get('/users')
    expect(publicApi.status).toBe(401)
  })

  it('signs out: the session ends and the cookie is cleared', async () => {
    const { browser } = await memberWithPassword(gh, sql, 'sign.out@people.example')
    const secret = browser.cookie as string
    const res = await browser.delete('/console/api/session')
    expect(res.status, res.text).toBe(200)
    expect(browser.lastSetCookie?.attributes.get('max-age')).toBe('0')
    expect(browser.cookie).toBeUndefined()
    browser.cookie = secret // a copy of the cookie kept elsewhere is of no use either
    expect((await browser.get('/console/api/session')).status).toBe(401)
  })

  it('only members (and instance admins) get accounts: a reset request for anyone else makes none', async () => {
    const before = await outbox(gh, sql)
    const res = await new Browser(gh.url).post('/console/api/password-resets', { email: 'stranger@people.example' })
    expect(res.status).toBe(202)
    expect(await sql.all('select id from accounts where email_key = ?', ['stranger@people.example'])).toEqual([])
    expect(await outbox(gh, sql)).toHaveLength(before.length)
  })
})

describe('failed sign-ins from one address', () => {
  let gh: Gatehouse

  beforeAll(async () => {
    gh = await startGatehouse()
  })
  afterAll(() => gh?.stop())

  it('are limited to 100 in 15 minutes, whatever the emails', { timeout: 120_000 }, async () => {
    for (let batch = 0; batch < 10; batch++) {
      const answers = await Promise.all(
        Array.from({ length: 10 }, (_, i) => new Browser(gh.url).signIn(`spray${batch * 10 + i}@people.example`, 'a wrong password')),
      )
      expect(answers.map((r) => r.status)).toEqual(Array(10).fill(401))
    }
    const refused = await new Browser(gh.url).signIn('spray.fresh@people.example', 'a wrong password')
    expect(refused.status).toBe(429)
    expect(errorOf(refused).message).toMatch(/^Too many failed sign-ins; try again in 1[45] minutes$/)
  })
})
