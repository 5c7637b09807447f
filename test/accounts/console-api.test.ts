import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { accountForEmail } from '../../src/accounts/accounts.js'
import { issueSignInLink } from '../../src/accounts/links.js'
import type { AccountRow } from '../../src/store/queries/accounts.js'
import { type Gatehouse, type SeededWorkspace, startGatehouse } from '../helpers/gatehouse.js'
import { Browser, errorOf, GOOD_PASSWORD, lastMail, type StoreSql, storeSql } from './support.js'

const OWNER = '1WDUuRLxv84rrfCNUwvkrRtkxnS'
const MEMBER = '2Gh0wGHMc2kfG3aTsGgpOYzbgCm'
const SOURCE_ADMIN = '2Gh0wIFcqhZ8T8NVOGE5k4dKcXr'

const PEOPLE = [
  { email: 'ann.archer@team.example', name: 'Ann Archer' },
  { email: 'bob.baker@team.example', name: 'Bob Baker' },
  { email: 'cy.cooper@team.example', name: 'Cy Cooper' },
  { email: 'dee.dyer@team.example', name: 'Dee Dyer' },
  { email: 'eve.evans@elsewhere.example', name: 'Eve 100% Evans' },
  { email: 'group.owner@team.example', name: 'Gus Group' },
  { email: 'Mixed.Case@Team.example', name: 'Max Mixed' },
]

describe('console API: a workspace as the signed-in person sees it', () => {
  let gh: Gatehouse
  let sql: StoreSql
  let ws: SeededWorkspace
  let other: SeededWorkspace
  const userIds: Record<string, string> = {}
  let opsGroup: string
  let adminsGroup: string
  const browsers: Record<string, Browser> = {}

  /** A browser signed in as this member, who chose a password through a set-password link. */
  async function signInAs(email: string): Promise<Browser> {
    const browser = new Browser(gh.url)
    expect((await browser.post('/console/api/password-resets', { email })).status).toBe(202)
    const mail = await lastMail(gh, sql, email.toLowerCase())
    const set = await browser.post(`/console/api/links/${mail.token}/password`, { password: GOOD_PASSWORD })
    expect(set.status, set.text).toBe(200)
    return browser
  }

  const ok = async (p: Promise<{ status: number; text: string; body: any }>) => {
    const res = await p
    expect(res.status, res.text).toBeLessThan(300)
    return res.body
  }

  beforeAll(async () => {
    gh = await startGatehouse()
    sql = storeSql(gh)
    ws = await gh.workspace()
    other = await gh.workspace()
    const added = await ok(gh.admin.post(`/admin/workspaces/${ws.id}/users`, { users: PEOPLE }))
    for (const user of added.data.users) userIds[user.email.toLowerCase()] = user.id
    userIds[ws.owner.email] = ws.owner.id
    await gh.addUsers(other, ['ann.archer@team.example', 'olly.outsider@other.example'])
    const grant = (roleId: string) => ({ permissions: [{ roleId, resources: [{ id: ws.id, type: 'WORKSPACE' }] }] })
    for (const email of ['ann.archer@team.example', 'bob.baker@team.example', 'dee.dyer@team.example'])
      await ok(ws.http.post(`/users/${userIds[email]}/permissions`, grant(MEMBER)))
    await ok(ws.http.post(`/users/${userIds['bob.baker@team.example']}/permissions`, grant(SOURCE_ADMIN)))
    opsGroup = (await ok(ws.http.post('/groups', { name: 'Ops' }))).data.userGroup.id
    await ok(ws.http.post(`/groups/${opsGroup}/users`, { emails: ['ann.archer@team.example', 'bob.baker@team.example'] }))
    await ok(ws.http.post(`/groups/${opsGroup}/permissions`, grant(SOURCE_ADMIN)))
    adminsGroup = (await ok(ws.http.post('/groups', { name: 'Admins' }))).data.userGroup.id
    await ok(ws.http.post(`/groups/${adminsGroup}/users`, { emails: ['group.owner@team.example', 'bob.baker@team.example'] }))
    await ok(ws.http.post(`/groups/${adminsGroup}/permissions`, grant(OWNER)))

    browsers.owner = await signInAs(ws.owner.email)
    browsers.ann = await signInAs('ann.archer@team.example')
    browsers.groupOwner = await signInAs('group.owner@team.example')
    browsers.outsider = await signInAs('olly.outsider@other.example')
    await ok(gh.admin.post('/admin/instance-admins', { email: 'root@ops.example' }))
    browsers.admin = await signInAs('root@ops.example')
  })
  afterAll(async () => {
    sql?.close()
    await gh?.stop()
  })

  const access = (who: string, workspaceId = ws.id) =>
    browsers[who]?.get(`/console/api/workspaces/${workspaceId}/access`) as ReturnType<Browser['get']>
  const users = (who: string, query = '', workspaceId = ws.id) =>
    browsers[who]?.get(`/console/api/workspaces/${workspaceId}/users${query}`) as ReturnType<Browser['get']>

  describe('GET /workspaces/{id}/access', () => {
    it('tells a Workspace Owner they own it, with their permissions and groups', async () => {
      const res = await access('owner')
      expect(res.status, res.text).toBe(200)
      expect(res.headers.get('cache-control')).toBe('no-store')
      expect(res.body.data).toEqual({
        workspace: { id: ws.id, slug: ws.slug, name: ws.name, plan: 'business' },
        owner: true,
        permissions: [{ roleId: OWNER, roleName: 'Workspace Owner', resources: [{ id: ws.id, type: 'WORKSPACE' }] }],
        groups: [],
        groupPermissions: [],
      })
    })

    it('tells a member their own permissions and groups, and that they do not own it', async () => {
      const res = await access('ann')
      expect(res.status, res.text).toBe(200)
      expect(res.body.data).toMatchObject({
        workspace: { id: ws.id, slug: ws.slug },
        owner: false,
        permissions: [{ roleId: MEMBER, roleName: 'Workspace Member', resources: [{ id: ws.id, type: 'WORKSPACE' }] }],
        groups: [{ id: opsGroup, name: 'Ops' }],
        groupPermissions: [
          {
            roleId: SOURCE_ADMIN,
            roleName: 'Source Admin',
            resources: [{ id: ws.id, type: 'WORKSPACE' }],
            group: { id: opsGroup, name: 'Ops' },
          },
        ],
      })
    })

    it('counts Workspace Owner held through a group', async () => {
      const res = await access('groupOwner')
      expect(res.status, res.text).toBe(200)
      expect(res.body.data).toMatchObject({ owner: true, permissions: [], groups: [{ id: adminsGroup, name: 'Admins' }] })
    })

    it('lets an instance admin open any workspace, as an owner with no permissions of their own', async () => {
      for (const target of [ws, other]) {
        const res = await access('admin', target.id)
        expect(res.status, res.text).toBe(200)
        expect(res.body.data).toEqual({
          workspace: { id: target.id, slug: target.slug, name: target.name, plan: 'business' },
          owner: true,
          permissions: [],
          groups: [],
          groupPermissions: [],
        })
      }
    })

    it('answers 404 alike for a workspace the person is not in and one that does not exist', async () => {
      const notMine = await access('outsider')
      const missing = await access('outsider', '0NoSuchWorkspace000000000000')
      for (const res of [notMine, missing]) {
        expect(res.status).toBe(404)
        expect(errorOf(res)).toMatchObject({ type: 'not-found', field: 'workspaceId' })
        expect(res.text).not.toContain(ws.name)
      }
      // The same person in the workspace they belong to.
      expect((await access('ann', other.id)).body.data.owner).toBe(false)
    })

    it('needs a session: signed out and bearer tokens get 401', async () => {
      const signedOut = await new Browser(gh.url).get(`/console/api/workspaces/${ws.id}/access`)
      expect(signedOut.status).toBe(401)
      const bearer = await ws.http.get(`/console/api/workspaces/${ws.id}/access`)
      expect(bearer.status).toBe(401)
      expect(errorOf(bearer).type).toBe('unauthorized')
    })
  })

  describe('GET /workspaces/{id}/users', () => {
    it('lists the members with their own permissions and groups, for an owner', async () => {
      const res = await users('owner')
      expect(res.status, res.text).toBe(200)
      expect(res.headers.get('cache-control')).toBe('no-store')
      const { users: list, pagination } = res.body.data
      expect(pagination.totalEntries).toBe(PEOPLE.length + 1)
      expect(list).toHaveLength(PEOPLE.length + 1)
      const bob = list.find((u: any) => u.email === 'bob.baker@team.example')
      expect(bob).toEqual({
        id: userIds['bob.baker@team.example'],
        email: 'bob.baker@team.example',
        name: 'Bob Baker',
        permissions: [
          { roleId: MEMBER, roleName: 'Workspace Member', resources: [{ id: ws.id, type: 'WORKSPACE' }] },
          { roleId: SOURCE_ADMIN, roleName: 'Source Admin', resources: [{ id: ws.id, type: 'WORKSPACE' }] },
        ],
        groups: [
          { id: adminsGroup, name: 'Admins' },
          { id: opsGroup, name: 'Ops' },
        ],
      })
      expect(list.find((u: any) => u.email === 'cy.cooper@team.example')).toMatchObject({ permissions: [], groups: [] })
      // Creation order: the owner came with the workspace.
      expect(list[0].email).toBe(ws.owner.email)
    })

    it('is open to owners through a group and to instance admins', async () => {
      for (const who of ['groupOwner', 'admin']) {
        const res = await users(who)
        expect(res.status, `${who}: ${res.text}`).toBe(200)
        expect(res.body.data.pagination.totalEntries).toBe(PEOPLE.length + 1)
      }
    })

    it('refuses members who do not own the workspace (403) and hides it from everyone else (404)', async () => {
      const member = await users('ann')
      expect(member.status).toBe(403)
      expect(errorOf(member).type).toBe('forbidden')
      const outsider = await users('outsider')
      expect(outsider.status).toBe(404)
      expect(errorOf(outsider).field).toBe('workspaceId')
      expect((await ws.http.get(`/console/api/workspaces/${ws.id}/users`)).status).toBe(401)
      expect((await new Browser(gh.url).get(`/console/api/workspaces/${ws.id}/users`)).status).toBe(401)
    })

    it('searches names and emails, in any case, as substrings; % and _ match themselves', async () => {
      const emails = async (query: string) => {
        const res = await users('owner', query)
        expect(res.status, res.text).toBe(200)
        expect(res.body.data.pagination.totalEntries).toBe(res.body.data.users.length)
        return res.body.data.users.map((u: any) => u.email).sort()
      }
      expect(await emails('?search=BAKER')).toEqual(['bob.baker@team.example'])
      expect(await emails('?search=bob%20b')).toEqual(['bob.baker@team.example'])
      expect(await emails('?search=elsewhere')).toEqual(['eve.evans@elsewhere.example'])
      expect(await emails('?search=mixed.case@team')).toEqual(['Mixed.Case@Team.example'])
      expect(await emails('?search=100%25')).toEqual(['eve.evans@elsewhere.example'])
      expect(await emails('?search=_')).toEqual([])
      expect(await emails('?search=%25')).toEqual(['eve.evans@elsewhere.example'])
      expect(await emails('?search=nobody')).toEqual([])
      // A cleared search box is no search.
      expect(await emails('?search=')).toHaveLength(PEOPLE.length + 1)
      expect(await emails('?search=%20%20')).toHaveLength(PEOPLE.length + 1)
    })

    it('keeps the users holding a role directly with roleId, alone or with a search', async () => {
      const emails = async (query: string) => (await users('owner', query)).body.data.users.map((u: any) => u.email).sort()
      expect(await emails(`?roleId=${SOURCE_ADMIN}`)).toEqual(['bob.baker@team.example'])
      expect(await emails(`?roleId=${MEMBER}`)).toEqual(['ann.archer@team.example', 'bob.baker@team.example', 'dee.dyer@team.example'])
      // Owner through the Admins group is not holding it directly.
      expect(await emails(`?roleId=${OWNER}`)).toEqual([ws.owner.email])
      expect(await emails(`?roleId=${MEMBER}&search=dee`)).toEqual(['dee.dyer@team.example'])
      const res = await users('owner', `?roleId=${MEMBER}`)
      expect(res.body.data.pagination.totalEntries).toBe(3)
      const unknown = await users('owner', '?roleId=nope')
      expect(unknown.status).toBe(422)
      expect(errorOf(unknown).field).toBe('roleId')
    })

    it('pages through every member once, forwards and back, with signed cursors bound to the search', async () => {
      const seen: string[] = []
      const pages: any[] = []
      let query = '?count=3'
      for (;;) {
        const res = await users('owner', query)
        expect(res.status, res.text).toBe(200)
        const { users: list, pagination } = res.body.data
        expect(list.length).toBeLessThanOrEqual(3)
        expect(pagination.totalEntries).toBe(PEOPLE.length + 1)
        pages.push(res.body.data)
        seen.push(...list.map((u: any) => u.id))
        if (pagination.next === null) break
        query = `?count=3&cursor=${encodeURIComponent(pagination.next)}`
      }
      expect(seen).toHaveLength(PEOPLE.length + 1)
      expect(new Set(seen).size).toBe(seen.length)
      expect(pages[0].pagination.previous).toBeNull()
      const back = await users('owner', `?count=3&cursor=${encodeURIComponent(pages[1].pagination.previous)}`)
      expect(back.body.data.users.map((u: any) => u.id)).toEqual(pages[0].users.map((u: any) => u.id))
      // A cursor of one search does not page another, nor another workspace's list.
      const elsewhere = await users('owner', `?count=3&search=team&cursor=${encodeURIComponent(pages[0].pagination.next)}`)
      expect(elsewhere.status).toBe(422)
      expect(errorOf(elsewhere).field).toBe('pagination.cursor')
      // With a search, pages still walk the matches only.
      const matched: string[] = []
      let cursor = ''
      for (let i = 0; i < 10; i++) {
        const res = await users('owner', `?count=2&search=team.example${cursor}`)
        matched.push(...res.body.data.users.map((u: any) => u.email))
        if (res.body.data.pagination.next === null) break
        cursor = `&cursor=${encodeURIComponent(res.body.data.pagination.next)}`
      }
      expect(matched.sort()).toEqual(
        PEOPLE.map((p) => p.email)
          .filter((e) => e.toLowerCase().includes('team.example'))
          .sort(),
      )
    })

    it('bounds count to 1..200 (default 50) and refuses unknown parameters', async () => {
      for (const bad of ['?count=0', '?count=201', '?count=x', '?limit=5', `?search=${'x'.repeat(101)}`])
        expect((await users('owner', bad)).status, bad).toBe(422)
      expect((await users('owner', '?count=200')).status).toBe(200)
    })
  })

  describe('POST /links/{token}/session', () => {
    async function signInLink(email: string, issuedAt = new Date(), lifetimeMs?: number): Promise<string> {
      return gh.server.store.write(async (q) => {
        const account = (await accountForEmail(q, email, 'always', issuedAt.toISOString())) as AccountRow
        return (await issueSignInLink(q, account, issuedAt, lifetimeMs)).secret
      })
    }

    it('signs in once, as POST /session does', async () => {
      const token = await signInLink('dee.dyer@team.example')
      const browser = new Browser(gh.url)
      const info = await browser.get(`/console/api/links/${token}`)
      expect(info.body.data.link).toMatchObject({ purpose: 'sign_in', email: 'dee.dyer@team.example', status: 'valid' })
      const res = await browser.post(`/console/api/links/${token}/session`)
      expect(res.status, res.text).toBe(200)
      expect(browser.lastSetCookie?.attributes.get('httponly')).toBe(true)
      expect(res.body.data).toMatchObject({
        account: { email: 'dee.dyer@team.example', instanceAdmin: false },
        workspaces: [{ id: ws.id, userId: userIds['dee.dyer@team.example'] }],
      })
      expect(typeof res.body.data.csrfToken).toBe('string')
      const session = await browser.get('/console/api/session')
      expect(session.status).toBe(200)
      expect(session.body.data.session.id).toBe(res.body.data.session.id)
      const log = await browser.get('/console/api/account/security-log')
      expect(log.body.data.events.map((e: any) => e.type).slice(0, 2)).toEqual(['sign_in', 'link_used'])
      expect(log.body.data.events[0].detail).toMatchObject({ via: 'sign_in_link' })

      const again = await new Browser(gh.url).post(`/console/api/links/${token}/session`)
      expect(again.status).toBe(409)
      expect(errorOf(again)).toMatchObject({ type: 'conflict', data: { status: 'used' } })
      expect((await browser.get(`/console/api/links/${token}`)).body.data.link.status).toBe('used')
    })

    it('refuses an expired link (409) and links for other purposes', async () => {
      const expired = await signInLink('dee.dyer@team.example', new Date(Date.now() - 2 * 3600_000), 3600_000)
      const res = await new Browser(gh.url).post(`/console/api/links/${expired}/session`)
      expect(res.status).toBe(409)
      expect(errorOf(res)).toMatchObject({ type: 'conflict', data: { status: 'expired' } })

      const email = 'cy.cooper@team.example'
      await new Browser(gh.url).post('/console/api/password-resets', { email })
      const setPassword = (await lastMail(gh, sql, email)).token as string
      const wrongUse = await new Browser(gh.url).post(`/console/api/links/${setPassword}/session`)
      expect(wrongUse.status).toBe(409)
      // Still unused: it sets the password as it should.
      expect((await new Browser(gh.url).post(`/console/api/links/${setPassword}/password`, { password: GOOD_PASSWORD })).status).toBe(200)

      const signIn = await signInLink(email)
      expect((await new Browser(gh.url).post(`/console/api/links/${signIn}/password`, { password: GOOD_PASSWORD })).status).toBe(409)
      expect((await new Browser(gh.url).post('/console/api/links/NoSuchLinkToken/session')).status).toBe(404)
    })

    it('ends the browser’s earlier session, and refuses cross-site requests', async () => {
      const browser = await signInAs('eve.evans@elsewhere.example')
      const before = (await browser.get('/console/api/session')).body.data.session.id
      const earlier = browser.cookie
      await browser.post(`/console/api/links/${await signInLink('eve.evans@elsewhere.example')}/session`)
      expect((await browser.get('/console/api/session')).body.data.session.id).not.toBe(before)
      const stale = new Browser(gh.url)
      stale.cookie = earlier
      expect((await stale.get('/console/api/session')).status).toBe(401)

      const token = await signInLink('eve.evans@elsewhere.example')
      const crossSite = await new Browser(gh.url).post(`/console/api/links/${token}/session`, undefined, { 'sec-fetch-site': 'cross-site' })
      expect(crossSite.status).toBe(403)
      const otherOrigin = await new Browser(gh.url).post(`/console/api/links/${token}/session`, undefined, {
        origin: 'https://evil.example',
      })
      expect(otherOrigin.status).toBe(403)
      expect((await new Browser(gh.url).post(`/console/api/links/${token}/session`, undefined, { origin: gh.url })).status).toBe(200)
    })
  })

  it('publishes the new routes in /openapi.json under the console tag, behind the session', async () => {
    const doc = (await (await fetch(`${gh.url}/openapi.json`)).json()) as any
    for (const [path, method, security] of [
      ['/console/api/workspaces/{workspaceId}/access', 'get', [{ session: [] }]],
      ['/console/api/workspaces/{workspaceId}/users', 'get', [{ session: [] }]],
      ['/console/api/links/{token}/session', 'post', []],
    ] as const) {
      const operation = doc.paths[path]?.[method]
      expect(operation, `${method} ${path}`).toBeDefined()
      expect(operation.tags).toEqual(['console'])
      expect(operation.security).toEqual(security)
    }
    const params = doc.paths['/console/api/workspaces/{workspaceId}/users'].get.parameters.map((p: any) => p.name).sort()
    expect(params).toEqual(['count', 'cursor', 'roleId', 'search', 'workspaceId'])
  })
})
