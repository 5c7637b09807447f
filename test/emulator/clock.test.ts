import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { ConfigError, resolveServeConfig } from '../../src/config.js'
import { type Fixture, type Gatehouse, startGatehouse } from '../../src/emulator/index.js'
import { Browser, GOOD_PASSWORD } from '../accounts/support.js'
import { HttpClient } from '../helpers/gatehouse.js'

const START = '2030-01-01T00:00:00.000Z'
const MINUTE = 60_000
const HOUR = 60 * MINUTE
const DAY = 24 * HOUR

const FIXTURE: Fixture = {
  workspaces: [
    {
      slug: 'acme',
      name: 'Acme',
      users: [{ email: 'owner@acme.example', permissions: [{ role: 'Workspace Owner' }] }],
      invites: [{ email: 'new.hire@acme.example', permissions: [{ role: 'Workspace Member' }] }],
      tokens: [{ description: 'ci', secret: `sgp_${'C'.repeat(64)}` }],
    },
  ],
}
const TOKEN = `sgp_${'C'.repeat(64)}`

const adminOf = (gh: Gatehouse) => new HttpClient(gh.url, gh.adminKey)
const api = (gh: Gatehouse) => new HttpClient(gh.url, TOKEN)

/** The secret of the newest invitation link mailed to this address, read through the operator API's outbox. */
async function invitationSecret(gh: Gatehouse, email: string): Promise<string> {
  const admin = adminOf(gh)
  const list = await admin.get('/admin/outbox?pagination[count]=200')
  expect(list.status, list.text).toBe(200)
  const newest = (list.body.data.messages as { id: string; to: string; created_at: string }[])
    .filter((m) => m.to === email)
    .sort((a, b) => a.created_at.localeCompare(b.created_at))
    .at(-1)
  const message = await admin.get(`/admin/outbox/${newest?.id}`)
  const secret = /\/console\/invitation\/([0-9A-Za-z_-]+)/.exec(message.body.data.message.text)?.[1]
  expect(secret, message.text).toBeDefined()
  return secret as string
}

const running: Gatehouse[] = []
async function start(options: Parameters<typeof startGatehouse>[0] = {}): Promise<Gatehouse> {
  const gh = await startGatehouse({ seed: FIXTURE, ...options })
  running.push(gh)
  return gh
}
afterEach(async () => {
  await Promise.all(running.splice(0).map((gh) => gh.stop()))
})

describe('a controllable clock', () => {
  const realStart = Date.now()
  afterAll(() => {
    // Days of server time pass in these tests; real time hardly any (no test sleeps).
    expect(Date.now() - realStart).toBeLessThan(30_000)
  })

  it('expires an invitation link after 7 days: valid a minute before, expired 1 ms after', async () => {
    const gh = await start({ clock: START })
    const secret = await invitationSecret(gh, 'new.hire@acme.example')
    const browser = new Browser(gh.url)
    const status = async () => {
      const res = await browser.get(`/console/api/invitations/${secret}`)
      expect(res.status, res.text).toBe(200)
      return res.body.data.invitation
    }
    expect(await status()).toMatchObject({ status: 'valid', expiresAt: new Date(Date.parse(START) + 7 * DAY).toISOString() })
    gh.clock.advance(7 * DAY - MINUTE)
    expect((await status()).status).toBe('valid')
    gh.clock.advance(MINUTE + 1)
    expect((await status()).status).toBe('expired')
    const accept = await browser.post(`/console/api/invitations/${secret}/accept`, { name: 'New Hire', password: GOOD_PASSWORD })
    expect(accept.status, accept.text).toBe(409)
    expect(accept.body.errors[0].message).toBe('This invitation link has expired; ask for a new one')
  })

  it('answers the 61st write in a minute with a 429, and the next minute is fine', async () => {
    const gh = await start({ clock: 'manual', rateLimit: 600 })
    const create = (i: number) => api(gh).post('/groups', { name: `group ${i}` })
    for (let i = 1; i <= 60; i++) expect((await create(i)).status).toBe(200)
    const refused = await create(61)
    expect(refused.status, refused.text).toBe(429)
    expect(refused.headers.get('x-ratelimit-remaining')).toBe('0')
    expect(new Date(refused.headers.get('x-ratelimit-reset') as string).getTime()).toBe(
      Math.floor((gh.clock.now().getTime() + MINUTE) / 1000) * 1000,
    )
    gh.clock.advance(MINUTE - 1)
    expect((await create(62)).status).toBe(429)
    gh.clock.advance(1)
    const next = await create(63)
    expect(next.status, next.text).toBe(200)
    expect(next.headers.get('x-ratelimit-remaining')).toBe('59')
  })

  it('ends a session after 24 idle hours, not while it is used', async () => {
    const gh = await start({ clock: START })
    const browser = new Browser(gh.url)
    const secret = await invitationSecret(gh, 'new.hire@acme.example')
    const accepted = await browser.post(`/console/api/invitations/${secret}/accept`, { name: 'New Hire', password: GOOD_PASSWORD })
    expect(accepted.status, accepted.text).toBe(200)
    expect((await browser.get('/console/api/session')).status).toBe(200)
    // Used every 23 hours, it lives on past 24 hours...
    gh.clock.advance(23 * HOUR)
    expect((await browser.get('/console/api/session')).status).toBe(200)
    gh.clock.advance(23 * HOUR)
    expect((await browser.get('/console/api/session')).status).toBe(200)
    // ...then 24 idle hours end it.
    gh.clock.advance(DAY + 1)
    const ended = await browser.get('/console/api/session')
    expect(ended.status, ended.text).toBe(401)
  })

  it('stamps audit events with the clock’s time', async () => {
    const gh = await start({ clock: 'manual' })
    const at = gh.clock.set('2031-05-06T07:08:09.010Z')
    expect(at.toISOString()).toBe('2031-05-06T07:08:09.010Z')
    const group = await api(gh).post('/groups', { name: 'auditors' })
    expect(group.status, group.text).toBe(200)
    gh.clock.advance(HOUR)
    await api(gh).delete(`/groups/${group.body.data.userGroup.id}`)
    const events = await api(gh).get('/audit-events?resourceType=user_group')
    expect(events.status, events.text).toBe(200)
    expect(events.body.data.events.map((e: { type: string; timestamp: string }) => [e.type, e.timestamp])).toEqual([
      ['User Group Deleted', '2031-05-06T08:08:09.010Z'],
      ['Policy Created', '2031-05-06T07:08:09.010Z'],
      ['User Group Created', '2031-05-06T07:08:09.010Z'],
    ])
  })

  it('keeps each emulator’s clock its own', async () => {
    const [a, b, real] = await Promise.all([start({ clock: START }), start({ clock: new Date('2040-02-02T00:00:00Z') }), start()])
    a.clock.advance(3 * DAY)
    expect(a.clock.now().toISOString()).toBe('2030-01-04T00:00:00.000Z')
    expect(b.clock.now().toISOString()).toBe('2040-02-02T00:00:00.000Z')
    expect(Math.abs(real.clock.now().getTime() - Date.now())).toBeLessThan(1000)
    expect(() => real.clock.advance(1)).toThrow("start it with startGatehouse({ clock: 'manual' })")
    const moved = await adminOf(b).post('/admin/clock', { advanceMs: 1000 })
    expect(moved.body.data).toEqual({ now: '2040-02-02T00:00:01.000Z', controllable: true })
    expect(a.clock.now().toISOString()).toBe('2030-01-04T00:00:00.000Z')
  })

  it('moves through the admin endpoint only when enabled', async () => {
    const real = await start()
    for (const res of [await adminOf(real).get('/admin/clock'), await adminOf(real).post('/admin/clock', { advanceMs: DAY })]) {
      expect(res.status, res.text).toBe(409)
      expect(res.body.errors[0].message).toContain('This server runs on the system clock')
      expect(res.body.errors[0].message).toContain('--clock manual')
    }
    expect((await new HttpClient(real.url, 'not-the-admin-key-at-all').post('/admin/clock', { advanceMs: 1 })).status).toBe(401)

    const manual = await start({ clock: START })
    const admin = adminOf(manual)
    expect((await admin.get('/admin/clock')).body.data).toEqual({ now: START, controllable: true })
    const set = await admin.post('/admin/clock', { set: '2032-03-03T03:03:03Z', advanceMs: 7 })
    expect(set.status, set.text).toBe(200)
    expect(set.body.data.now).toBe('2032-03-03T03:03:03.007Z')
    expect(manual.clock.now().toISOString()).toBe('2032-03-03T03:03:03.007Z')
    const bad = await admin.post('/admin/clock', { set: 'next tuesday' })
    expect(bad.status).toBe(422)
    expect(bad.body.errors[0].field).toBe('set')
    expect((await admin.post('/admin/clock', { advanceMs: -5 })).status).toBe(422)
    expect((await admin.post('/admin/clock', {})).status).toBe(422)
  })

  it('reads --clock and GATEHOUSE_CLOCK, refusing anything else', () => {
    expect(resolveServeConfig({}, {}).clock.controllable).toBe(false)
    const fromEnv = resolveServeConfig({}, { GATEHOUSE_CLOCK: 'manual=2030-01-01T00:00:00Z' }).clock
    expect([fromEnv.controllable, fromEnv.now().toISOString()]).toEqual([true, START])
    expect(resolveServeConfig({ clock: 'manual' }, { GATEHOUSE_CLOCK: 'system' }).clock.controllable).toBe(true)
    expect(() => resolveServeConfig({ clock: 'fake' }, {})).toThrow(ConfigError)
    expect(() => resolveServeConfig({ clock: 'manual=yesterday' }, {})).toThrow('not an ISO 8601 time')
  })
})
