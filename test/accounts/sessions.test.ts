import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Gatehouse, startGatehouse } from '../helpers/gatehouse.js'
import { testStore } from '../helpers/postgres.js'
import { accountsServerForSuite, Browser, errorOf, GOOD_PASSWORD, memberWithPassword, type StoreSql, storeSql } from './support.js'

describe('sessions and the security log', () => {
  const { gh, sql } = accountsServerForSuite()

  /** A person signed in on three devices: the link's browser, a laptop and a phone. */
  async function threeSessions(email: string) {
    const { browser: first } = await memberWithPassword(gh, sql, email)
    const laptop = new Browser(gh.url, 'Laptop/1.0')
    const phone = new Browser(gh.url, 'Phone/2.0')
    expect((await laptop.signIn(email, GOOD_PASSWORD)).status).toBe(200)
    expect((await phone.signIn(email, GOOD_PASSWORD)).status).toBe(200)
    const idOf = async (b: Browser) => (await b.get('/console/api/session')).body.data.session.id as string
    return { first, laptop, phone, ids: { first: await idOf(first), laptop: await idOf(laptop), phone: await idOf(phone) } }
  }

  it('lists the live sessions, newest first, the current one marked, with address and browser', async () => {
    const { laptop, ids } = await threeSessions('list@people.example')
    const res = await laptop.get('/console/api/account/sessions')
    expect(res.status, res.text).toBe(200)
    const sessions = res.body.data.sessions
    expect(sessions.map((s: any) => s.id)).toEqual([ids.phone, ids.laptop, ids.first])
    expect(sessions.map((s: any) => s.current)).toEqual([false, true, false])
    expect(sessions[1]).toMatchObject({ ip: '127.0.0.1', userAgent: 'Laptop/1.0' })
    for (const s of sessions) {
      expect(Date.parse(s.lastSeenAt)).toBeGreaterThanOrEqual(Date.parse(s.createdAt))
      // A day unused ends a session before its 7 days: the list shows whichever end comes first.
      expect(Date.parse(s.expiresAt) - Date.parse(s.lastSeenAt)).toBe(24 * 3600_000)
    }
    expect(res.headers.get('cache-control')).toBe('no-store')
  })

  it('revokes one session: that device is signed out, the others stay', async () => {
    const { first, laptop, phone, ids } = await threeSessions('revoke.one@people.example')
    const res = await laptop.delete(`/console/api/account/sessions/${ids.phone}`)
    expect(res.status, res.text).toBe(200)
    expect((await phone.get('/console/api/session')).status).toBe(401)
    expect((await first.get('/console/api/session')).status).toBe(200)
    expect((await laptop.get('/console/api/session')).status).toBe(200)
    // Again, or someone else's session: not found, and nothing changes.
    expect((await laptop.delete(`/console/api/account/sessions/${ids.phone}`)).status).toBe(404)
    const stranger = await threeSessions('revoke.stranger@people.example')
    const theirs = await laptop.delete(`/console/api/account/sessions/${stranger.ids.laptop}`)
    expect(theirs.status).toBe(404)
    expect(errorOf(theirs)).toMatchObject({ type: 'not-found', field: 'sessionId' })
    expect((await stranger.laptop.get('/console/api/session')).status).toBe(200)
    // Revoking the current session signs this browser out.
    expect((await laptop.delete(`/console/api/account/sessions/${ids.laptop}`)).status).toBe(200)
    expect(laptop.cookie).toBeUndefined()
  })

  it('signs out everywhere, or everywhere else', async () => {
    const { first, laptop, phone } = await threeSessions('everywhere@people.example')
    const others = await laptop.post('/console/api/account/sessions/revoke-all?keepCurrent=true')
    expect(others.body).toEqual({ data: { endedSessions: 2 } })
    expect((await first.get('/console/api/session')).status).toBe(401)
    expect((await phone.get('/console/api/session')).status).toBe(401)
    expect((await laptop.get('/console/api/session')).status).toBe(200)

    await first.signIn('everywhere@people.example', GOOD_PASSWORD)
    const all = await laptop.post('/console/api/account/sessions/revoke-all')
    expect(all.body).toEqual({ data: { endedSessions: 2 } })
    expect(laptop.cookie).toBeUndefined()
    expect((await first.get('/console/api/session')).status).toBe(401)
  })

  it('starts a new session at every sign-in, ending the one the browser had', async () => {
    const { browser } = await memberWithPassword(gh, sql, 'again@people.example')
    const before = (await browser.get('/console/api/session')).body.data.session.id
    const oldCookie = browser.cookie
    await browser.signIn('again@people.example', GOOD_PASSWORD)
    expect(browser.cookie).not.toBe(oldCookie)
    const after = (await browser.get('/console/api/session')).body.data.session.id
    expect(after).not.toBe(before)
    const sessions = (await browser.get('/console/api/account/sessions')).body.data.sessions
    expect(sessions.map((s: any) => s.id)).toEqual([after])
  })

  it('keeps a security log, newest first, paged, with where each event came from', async () => {
    const email = 'log@people.example'
    const { browser } = await memberWithPassword(gh, sql, email)
    await new Browser(gh.url, 'Guesser/0.1').signIn(email, 'not my password at all')
    const phone = new Browser(gh.url, 'Phone/2.0')
    await phone.signIn(email, GOOD_PASSWORD)
    const phoneId = (await phone.get('/console/api/session')).body.data.session.id
    await browser.delete(`/console/api/account/sessions/${phoneId}`)
    await browser.put('/console/api/account/password', { currentPassword: GOOD_PASSWORD, newPassword: 'a brand new passphrase' })
    await new Browser(gh.url).post('/console/api/password-resets', { email })
    await browser.delete('/console/api/session')
    await browser.signIn(email, 'a brand new passphrase')

    const log = await browser.get('/console/api/account/security-log')
    expect(log.status, log.text).toBe(200)
    const events = log.body.data.events
    expect(events.map((e: any) => e.type)).toEqual([
      'sign_in',
      'sign_out',
      'password_reset_requested',
      'password_changed',
      'session_revoked',
      'sign_in',
      'sign_in_failed',
      'sign_in',
      'password_changed',
      'link_used',
      'password_reset_requested',
    ])
    expect(events[6]).toMatchObject({ ip: '127.0.0.1', userAgent: 'Guesser/0.1', detail: { reason: 'wrong_password' } })
    expect(events[5]).toMatchObject({ userAgent: 'Phone/2.0', detail: { sessionId: phoneId, via: 'password' } })
    expect(events[4].detail).toEqual({ sessionId: phoneId })
    expect(events[3].detail).toEqual({ via: 'account', endedSessions: 0 })
    expect(events[2].detail).toEqual({ purpose: 'reset_password' })
    expect(events[9].detail).toEqual({ purpose: 'set_password' })
    expect(JSON.stringify(events)).not.toMatch(/brand new|correct horse|not my password/)

    const first = await browser.get('/console/api/account/security-log?pagination[count]=4')
    expect(first.body.data.events.map((e: any) => e.id)).toEqual(events.slice(0, 4).map((e: any) => e.id))
    const next = await browser.get(
      `/console/api/account/security-log?pagination[count]=4&pagination[cursor]=${first.body.data.pagination.next}`,
    )
    expect(next.body.data.events.map((e: any) => e.id)).toEqual(events.slice(4, 8).map((e: any) => e.id))
    const back = await browser.get(
      `/console/api/account/security-log?pagination[count]=4&pagination[cursor]=${next.body.data.pagination.previous}`,
    )
    expect(back.body.data.events.map((e: any) => e.id)).toEqual(events.slice(0, 4).map((e: any) => e.id))
    // A cursor of another list is refused.
    const bad = await browser.get('/console/api/account/security-log?pagination[cursor]=abc.def')
    expect(bad.status).toBe(422)
  })

  it('shows each person only their own log', async () => {
    const { browser: a } = await memberWithPassword(gh, sql, 'own.log.a@people.example')
    const { browser: b } = await memberWithPassword(gh, sql, 'own.log.b@people.example')
    const idsA = (await a.get('/console/api/account/security-log')).body.data.events.map((e: any) => e.id)
    const idsB = (await b.get('/console/api/account/security-log')).body.data.events.map((e: any) => e.id)
    expect(idsA.filter((id: string) => idsB.includes(id))).toEqual([])
  })
})

describe.skipIf(testStore() !== 'postgres')('sessions across replicas', () => {
  let one: Gatehouse
  let two: Gatehouse
  let sql: StoreSql

  beforeAll(async () => {
    one = await startGatehouse()
    // The second replica: the same PostgreSQL schema and the same key (its file beside the first one's).
    two = await startGatehouse({ databaseUrl: one.databaseUrl as string, dbFile: one.dbFile })
    sql = storeSql(one)
  })
  afterAll(async () => {
    sql?.close()
    await two?.stop()
    await one?.stop()
  })

  it('honours a session made by one replica on the other, and a sign-out on either', async () => {
    const { browser } = await memberWithPassword(one, sql, 'replicas@people.example')
    const onTwo = new Browser(two.url)
    onTwo.cookie = browser.cookie
    const me = await onTwo.get('/console/api/session')
    expect(me.status, me.text).toBe(200)
    expect(me.body.data.csrfToken).toBe(browser.csrf)
    expect((await onTwo.delete('/console/api/session')).status).toBe(200)
    expect((await browser.get('/console/api/session')).status).toBe(401)
  })

  it('counts failed sign-ins on both replicas against one budget', async () => {
    const email = 'replicas.locked@people.example'
    for (let i = 0; i < 10; i++) expect((await new Browser(i % 2 ? one.url : two.url).signIn(email, 'a wrong password')).status).toBe(401)
    expect((await new Browser(one.url).signIn(email, 'a wrong password')).status).toBe(429)
    expect((await new Browser(two.url).signIn(email, 'a wrong password')).status).toBe(429)
  })
})
