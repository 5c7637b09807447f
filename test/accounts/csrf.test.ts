import { describe, expect, it } from 'vitest'
import { rawRequest } from '../reliability/support.js'
import { accountsServerForSuite, Browser, errorOf, GOOD_PASSWORD, memberWithPassword } from './support.js'

describe('cross-site request forgery', () => {
  const { gh, sql } = accountsServerForSuite()

  const revokeAll = '/console/api/account/sessions/revoke-all?keepCurrent=true'

  it('refuses a change made with the cookie but without the session CSRF token, or with a wrong one', async () => {
    const { browser } = await memberWithPassword(gh, sql, 'csrf.token@people.example')
    const token = browser.csrf
    browser.csrf = undefined
    const missing = await browser.post(revokeAll)
    expect(missing.status).toBe(403)
    expect(errorOf(missing)).toEqual({
      type: 'forbidden',
      message: 'Forbidden: a change needs the X-CSRF-Token header that GET /console/api/session gives',
      status: 403,
    })
    const wrong = await browser.post(revokeAll, undefined, { 'x-csrf-token': 'A'.repeat(43) })
    expect(wrong.status).toBe(403)
    // The token of another session of the same person does not do either: tokens are bound to a session.
    const other = new Browser(gh.url)
    await other.signIn('csrf.token@people.example', GOOD_PASSWORD)
    expect(other.csrf).not.toBe(token)
    expect((await browser.post(revokeAll, undefined, { 'x-csrf-token': other.csrf as string })).status).toBe(403)
    expect((await browser.delete('/console/api/session', { 'x-csrf-token': other.csrf as string })).status).toBe(403)
    // Reads need no token; with it, the change goes through.
    expect((await browser.get('/console/api/account/sessions')).status).toBe(200)
    browser.csrf = token
    const ok = await browser.post(revokeAll)
    expect(ok.status, ok.text).toBe(200)
    expect(ok.body).toEqual({ data: { endedSessions: 1 } })
    // GET /console/api/session hands out the same token for the same session.
    expect((await browser.get('/console/api/session')).body.data.csrfToken).toBe(token)
  })

  it('refuses requests the browser marks cross-site, and changes whose Origin is another site', async () => {
    const { browser } = await memberWithPassword(gh, sql, 'csrf.origin@people.example')
    const crossSite = await browser.get('/console/api/session', { 'sec-fetch-site': 'cross-site' })
    expect(crossSite.status).toBe(403)
    expect(errorOf(crossSite)).toMatchObject({ type: 'forbidden' })
    expect((await browser.post(revokeAll, undefined, { 'sec-fetch-site': 'cross-site' })).status).toBe(403)
    const evil = await browser.post(revokeAll, undefined, { origin: 'https://evil.example' })
    expect(evil.status).toBe(403)
    expect(errorOf(evil).message).toBe('Forbidden: this change comes from a page of another site (Origin)')
    expect((await browser.post(revokeAll, undefined, { origin: 'null' })).status).toBe(403)
    // Our own pages pass: same-origin fetches, and the origin the browser addressed.
    expect((await browser.post(revokeAll, undefined, { 'sec-fetch-site': 'same-origin', origin: gh.url })).status).toBe(200)
    // fetch will not set Host; node:http will, as a browser that opened http://localhost:<port> does.
    const asLocalhost = gh.url.replace('127.0.0.1', 'localhost')
    const viaLocalhost = await rawRequest(gh.url, {
      method: 'POST',
      path: revokeAll,
      headers: [
        ['host', new URL(asLocalhost).host],
        ['origin', asLocalhost],
        ['cookie', `gatehouse_session=${browser.cookie}`],
        ['x-csrf-token', browser.csrf as string],
      ],
    })
    expect(viaLocalhost.status, viaLocalhost.text).toBe(200)
  })

  it('protects signing in against login CSRF: no cross-site Origin, JSON bodies only', async () => {
    await memberWithPassword(gh, sql, 'login.csrf@people.example')
    const body = { email: 'login.csrf@people.example', password: GOOD_PASSWORD }
    const browser = new Browser(gh.url)
    expect((await browser.post('/console/api/session', body, { origin: 'https://evil.example' })).status).toBe(403)
    expect((await browser.post('/console/api/session', body, { 'sec-fetch-site': 'cross-site' })).status).toBe(403)
    const form = await browser.post('/console/api/session', 'email=login.csrf%40people.example&password=x', {
      'content-type': 'application/x-www-form-urlencoded',
    })
    expect(form.status).toBe(415)
    const text = await browser.post('/console/api/session', JSON.stringify(body), { 'content-type': 'text/plain' })
    expect(text.status).toBe(415)
    expect(browser.cookie).toBeUndefined()
    expect((await browser.post('/console/api/session', body, { origin: gh.url })).status).toBe(200)
  })

  it('refuses the other signed-out changes from another site too', async () => {
    const headers = { origin: 'https://evil.example' }
    expect((await new Browser(gh.url).post('/console/api/password-resets', { email: 'x@people.example' }, headers)).status).toBe(403)
    expect(
      (await new Browser(gh.url).post(`/console/api/links/${'a'.repeat(43)}/password`, { password: GOOD_PASSWORD }, headers)).status,
    ).toBe(403)
  })
})

describe('cross-site request forgery, behind a public URL', () => {
  const { gh, sql } = accountsServerForSuite({ publicUrl: 'https://gatehouse.example' })

  it('marks the cookie Secure, and trusts only the public origin', async () => {
    const { browser } = await memberWithPassword(gh, sql, 'secure@people.example')
    expect(browser.lastSetCookie?.attributes.get('secure')).toBe(true)
    expect(browser.lastSetCookie?.attributes.get('httponly')).toBe(true)
    const revoke = '/console/api/account/sessions/revoke-all?keepCurrent=true'
    expect((await browser.post(revoke, undefined, { origin: gh.url })).status).toBe(403)
    expect((await browser.post(revoke, undefined, { origin: 'https://gatehouse.example' })).status).toBe(200)
    // Signing out clears it with the same attributes, or the browser would keep it.
    await browser.delete('/console/api/session')
    expect(browser.lastSetCookie?.attributes.get('secure')).toBe(true)
    expect(browser.lastSetCookie?.attributes.get('max-age')).toBe('0')
  })

  it('puts the public URL, not the Host the request named, in mailed links', async () => {
    const ws = await gh.workspace()
    await gh.addUsers(ws, ['poison@people.example'])
    const res = await new Browser(gh.url).post(
      '/console/api/password-resets',
      { email: 'poison@people.example' },
      { host: 'attacker.example' },
    )
    expect(res.status).toBe(202)
    const rows = await sql.all<{ body_sealed: string }>('select body_sealed from outbox where to_address = ?', ['poison@people.example'])
    const text = JSON.parse(gh.server.directory.cipher.open(rows[0]?.body_sealed as string)).text as string
    expect(text).toMatch(/https:\/\/gatehouse\.example\/console\/link\/[0-9A-Za-z]{43}/)
    expect(text).not.toContain('attacker.example')
  })
})
