import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Gatehouse, type SeededWorkspace, startGatehouse } from '../helpers/gatehouse.js'
import { Browser, errorOf, GOOD_PASSWORD, lastMail, outbox, type StoreSql, storeSql } from './support.js'

const SOURCE_ADMIN = '2Gh0wIFcqhZ8T8NVOGE5k4dKcXr'
const FUNCTION_ADMIN = '2Gh0wLWZiJtfVcmZJYqYzUL8KBM'
const MEMBER = '2Gh0wGHMc2kfG3aTsGgpOYzbgCm'

describe('console API: User Groups', () => {
  let gh: Gatehouse
  let sql: StoreSql
  let ws: SeededWorkspace
  let other: SeededWorkspace
  let team: SeededWorkspace
  let otherGroup: string
  const browsers: Record<string, Browser> = {}

  async function signInAs(email: string): Promise<Browser> {
    const browser = new Browser(gh.url)
    expect((await browser.post('/console/api/password-resets', { email })).status).toBe(202)
    const mail = await lastMail(gh, sql, email.toLowerCase())
    const set = await browser.post(`/console/api/links/${mail.token}/password`, { password: GOOD_PASSWORD })
    expect(set.status, set.text).toBe(200)
    return browser
  }

  beforeAll(async () => {
    gh = await startGatehouse()
    sql = storeSql(gh)
    ws = await gh.workspace()
    other = await gh.workspace()
    team = await gh.workspace({ plan: 'team' })
    await gh.addUsers(ws, ['mia.member@groups.example', 'pat.plain@groups.example'])
    await gh.addUsers(other, ['oz.other@groups.example'])
    const invited = await ws.http.post('/invites', { invites: [{ email: 'ivy.invited@groups.example', permissions: [] }] })
    expect(invited.status, invited.text).toBeLessThan(300)
    const made = await other.http.post('/groups', { name: 'Theirs' })
    otherGroup = made.body.data.userGroup.id
    await other.http.post(`/groups/${otherGroup}/users`, { emails: ['oz.other@groups.example'] })
    browsers.owner = await signInAs(ws.owner.email)
    browsers.member = await signInAs('mia.member@groups.example')
    browsers.teamOwner = await signInAs(team.owner.email)
  })
  afterAll(async () => {
    sql?.close()
    await gh?.stop()
  })

  const base = (workspaceId = ws.id) => `/console/api/workspaces/${workspaceId}/groups`
  const owner = () => browsers.owner as Browser

  async function createGroup(name: string): Promise<string> {
    const res = await owner().post(base(), { name })
    expect(res.status, res.text).toBe(200)
    return res.body.data.group.id
  }

  it('creates groups, lists them with counts, and refuses a second group of the same name in any case', async () => {
    const res = await owner().post(base(), { name: '  Platform Ops ' })
    expect(res.status, res.text).toBe(200)
    expect(res.body.data.group).toEqual({ id: expect.any(String), name: 'Platform Ops', memberCount: 0, inviteCount: 0 })
    const again = await owner().post(base(), { name: 'platform ops' })
    expect(again.status).toBe(409)
    expect(errorOf(again)).toMatchObject({ type: 'conflict', field: 'name', message: 'A user group named platform ops already exists' })
    const list = await owner().get(base())
    expect(list.status, list.text).toBe(200)
    expect(list.body.data.groups).toContainEqual(res.body.data.group)
    const audit = await sql.all('select type, actor, actor_email from audit_events where workspace_id = ? and resource_id = ?', [
      ws.id,
      res.body.data.group.id,
    ])
    expect(audit).toContainEqual({ type: 'User Group Created', actor: ws.owner.id, actor_email: ws.owner.email })
  })

  it('searches names as substrings in any case (% and _ are literal) and pages with cursors', async () => {
    for (const name of ['Dev Ops', 'Sales', 'ops_100%', 'Opsec']) await createGroup(name)
    const names = async (query: string) => {
      const res = await owner().get(`${base()}${query}`)
      expect(res.status, res.text).toBe(200)
      return res.body.data
    }
    expect((await names('?search=OPS')).groups.map((g: any) => g.name).sort()).toEqual(['Dev Ops', 'Opsec', 'Platform Ops', 'ops_100%'])
    expect((await names('?search=_1')).groups.map((g: any) => g.name)).toEqual(['ops_100%'])
    expect((await names('?search=%25')).groups.map((g: any) => g.name)).toEqual(['ops_100%'])
    expect((await names('?search=%20%20')).pagination.totalEntries).toBe(5) // blank: no filter
    const first = await names('?search=ops&count=3')
    expect(first.groups).toHaveLength(3)
    expect(first.pagination.totalEntries).toBe(4)
    const second = await names(`?search=ops&count=3&cursor=${encodeURIComponent(first.pagination.next)}`)
    expect(second.groups).toHaveLength(1)
    expect(second.pagination.next).toBeNull()
    // A cursor is for the search it was issued for.
    const mixed = await owner().get(`${base()}?search=sales&cursor=${encodeURIComponent(first.pagination.next)}`)
    expect(mixed.status).toBe(422)
  })

  it('adds by email: a member joins, an invited email joins as its invite, an unknown email becomes a new, mailed invite', async () => {
    const id = await createGroup('Support')
    const res = await owner().post(`${base()}/${id}/members`, {
      emails: ['MIA.member@groups.example', 'ivy.invited@groups.example', 'new.person@groups.example'],
    })
    expect(res.status, res.text).toBe(200)
    expect(res.body.data.group).toEqual({ id, name: 'Support', memberCount: 1, inviteCount: 2 })
    const detail = await owner().get(`${base()}/${id}`)
    expect(detail.status, detail.text).toBe(200)
    expect(detail.body.data.members.users).toEqual([{ id: expect.any(String), name: 'mia.member', email: 'mia.member@groups.example' }])
    expect(detail.body.data.invites.invites.map((i: any) => i.email).sort()).toEqual([
      'ivy.invited@groups.example',
      'new.person@groups.example',
    ])
    const mails = await outbox(gh, sql, 'new.person@groups.example')
    expect(mails.map((m) => m.kind)).toEqual(['invitation'])
    // Ivy was invited before (through the Public API), and is not mailed twice by joining a group.
    expect((await outbox(gh, sql, 'ivy.invited@groups.example')).length).toBe(1)
    const pending = await ws.http.get('/invites')
    expect(pending.body.data.invites).toContain('new.person@groups.example')
  })

  it('pages members and pending invites apart', async () => {
    const id = await createGroup('Paged')
    const emails = Array.from({ length: 5 }, (_, i) => `paged.${i}@groups.example`)
    await gh.addUsers(ws, emails)
    await owner().post(`${base()}/${id}/members`, { emails: [...emails, 'paged.invite@groups.example'] })
    const first = await owner().get(`${base()}/${id}?count=2`)
    expect(first.body.data.members.users).toHaveLength(2)
    expect(first.body.data.members.pagination.totalEntries).toBe(5)
    expect(first.body.data.invites.invites).toHaveLength(1)
    const next = await owner().get(`${base()}/${id}?count=2&membersCursor=${encodeURIComponent(first.body.data.members.pagination.next)}`)
    expect(next.status, next.text).toBe(200)
    const seen = [...first.body.data.members.users, ...next.body.data.members.users].map((u: any) => u.email)
    expect(new Set(seen).size).toBe(4)
    const mixed = await owner().get(`${base()}/${id}?invitesCursor=${encodeURIComponent(first.body.data.members.pagination.next)}`)
    expect(mixed.status).toBe(422)
  })

  it('removes a member and a pending invite from the group; both stay in the workspace', async () => {
    const id = await createGroup('Leavers')
    await owner().post(`${base()}/${id}/members`, { emails: ['pat.plain@groups.example', 'leaving.invite@groups.example'] })
    const detail = (await owner().get(`${base()}/${id}`)).body.data
    const userId = detail.members.users[0].id
    const inviteId = detail.invites.invites[0].id
    const outUser = await owner().delete(`${base()}/${id}/members/${userId}`)
    expect(outUser.status, outUser.text).toBe(200)
    expect(outUser.body.data.group).toMatchObject({ memberCount: 0, inviteCount: 1 })
    const outInvite = await owner().delete(`${base()}/${id}/invites/${inviteId}`)
    expect(outInvite.body.data.group).toMatchObject({ memberCount: 0, inviteCount: 0 })
    expect((await ws.http.get(`/users/${userId}`)).status).toBe(200)
    expect((await ws.http.get('/invites')).body.data.invites).toContain('leaving.invite@groups.example')
    const audit = await sql.all('select type, actor_email from audit_events where workspace_id = ? and type = ?', [
      ws.id,
      'User Removed From User Group',
    ])
    expect(audit.length).toBeGreaterThanOrEqual(2)
    expect(audit.every((a: any) => a.actor_email === ws.owner.email)).toBe(true)
  })

  it("sets permissions with the Public API's checks and previews the access in words", async () => {
    const id = await createGroup('Sources')
    const label = await ws.http.post('/labels', { label: { key: 'team', value: 'web' } })
    expect(label.status, label.text).toBe(201)
    const permissions = [
      { roleId: SOURCE_ADMIN, resources: [{ id: ws.id, type: 'WORKSPACE', labels: [{ key: 'team', value: 'web' }] }] },
      { roleId: FUNCTION_ADMIN, resources: [{ id: 'fn_1', type: 'FUNCTION' }] },
      { roleId: MEMBER, resources: [{ id: ws.id, type: 'WORKSPACE' }] },
    ]
    const res = await owner().put(`${base()}/${id}/permissions`, { permissions })
    expect(res.status, res.text).toBe(200)
    expect(res.body.data.preview.map((p: any) => p.summary)).toEqual([
      'Source Admin on all current and future sources labelled team:web',
      'Function Admin on function fn_1',
      'Workspace Member on the whole workspace',
    ])
    const detail = await owner().get(`${base()}/${id}`)
    expect(detail.body.data.permissions.map((p: any) => p.roleId)).toEqual([SOURCE_ADMIN, FUNCTION_ADMIN, MEMBER])
    expect(detail.body.data.preview).toEqual(res.body.data.preview)
    const publicView = await ws.http.get(`/groups/${id}`)
    expect(publicView.body.data.userGroup.permissions).toHaveLength(3)

    const bad = [
      [{ roleId: 'nope', resources: [{ id: ws.id, type: 'WORKSPACE' }] }, 'permissions.0.roleId'],
      [{ roleId: SOURCE_ADMIN, resources: [{ id: other.id, type: 'WORKSPACE' }] }, 'permissions.0.resources.0.id'],
      [
        { roleId: SOURCE_ADMIN, resources: [{ id: ws.id, type: 'WORKSPACE', labels: [{ key: 'no', value: 'such' }] }] },
        'permissions.0.resources.0.labels.0',
      ],
      [{ roleId: MEMBER, resources: [] }, 'permissions.0.resources'],
    ] as const
    for (const [permission, field] of bad) {
      const refused = await owner().put(`${base()}/${id}/permissions`, { permissions: [permission] })
      expect(refused.status, refused.text).toBeGreaterThanOrEqual(400)
      expect(refused.status).toBeLessThan(500)
      expect(errorOf(refused).field ?? errorOf(refused).message).toContain(field)
    }
    // Nothing changed.
    expect((await owner().get(`${base()}/${id}`)).body.data.permissions).toHaveLength(3)
    const cleared = await owner().put(`${base()}/${id}/permissions`, { permissions: [] })
    expect(cleared.body.data).toEqual({ permissions: [], preview: [] })
  })

  it('renames (409 on a taken name) and deletes; members stay in the workspace', async () => {
    const id = await createGroup('Temporary')
    await owner().post(`${base()}/${id}/members`, { emails: ['pat.plain@groups.example'] })
    const renamed = await owner().request('PATCH', `${base()}/${id}`, { name: 'Permanent' })
    expect(renamed.status, renamed.text).toBe(200)
    expect(renamed.body.data.group).toMatchObject({ id, name: 'Permanent', memberCount: 1 })
    const taken = await owner().request('PATCH', `${base()}/${id}`, { name: 'SALES' })
    expect(taken.status).toBe(409)
    expect(errorOf(taken).field).toBe('name')
    const deleted = await owner().delete(`${base()}/${id}`)
    expect(deleted.status, deleted.text).toBe(200)
    expect((await owner().get(`${base()}/${id}`)).status).toBe(404)
    const pat = await owner().get(`/console/api/workspaces/${ws.id}/users?search=pat.plain`)
    expect(pat.body.data.users).toHaveLength(1)
  })

  it('rejects bad input with a 4xx naming the field', async () => {
    const cases: [string, string, unknown, string][] = [
      ['POST', base(), { name: '   ' }, 'name'],
      ['POST', base(), { name: 'x'.repeat(256) }, 'name'],
      ['POST', base(), { name: 'ok', extra: 1 }, 'extra'],
      ['GET', `${base()}?count=0`, undefined, 'count'],
      ['GET', `${base()}?count=201`, undefined, 'count'],
      ['GET', `${base()}?cursor=garbage`, undefined, 'cursor'],
    ]
    const id = await createGroup('Input')
    cases.push(['POST', `${base()}/${id}/members`, { emails: ['not-an-email'] }, 'emails'])
    cases.push(['POST', `${base()}/${id}/members`, { emails: [] }, 'emails'])
    cases.push(['PUT', `${base()}/${id}/permissions`, { permissions: 'all' }, 'permissions'])
    for (const [method, path, body, field] of cases) {
      const res = await owner().request(method, path, body)
      expect(res.status, `${method} ${path}: ${res.text}`).toBeGreaterThanOrEqual(400)
      expect(res.status).toBeLessThan(500)
      expect(JSON.stringify(errorOf(res))).toContain(field)
    }
  })

  it("answers 404 for another workspace's groups, users and invites, even with their real ids", async () => {
    const mine = await createGroup('Mine')
    const [ozUser] = await sql.all<{ id: string }>('select id from users where workspace_id = ? and email_key = ?', [
      other.id,
      'oz.other@groups.example',
    ])
    const attempts: [string, string, unknown?][] = [
      ['GET', `${base()}/${otherGroup}`],
      ['PATCH', `${base()}/${otherGroup}`, { name: 'Hijacked' }],
      ['DELETE', `${base()}/${otherGroup}`],
      ['POST', `${base()}/${otherGroup}/members`, { emails: ['mia.member@groups.example'] }],
      ['PUT', `${base()}/${otherGroup}/permissions`, { permissions: [] }],
      ['DELETE', `${base()}/${mine}/members/${ozUser?.id}`],
      ['DELETE', `${base()}/${otherGroup}/members/${ozUser?.id}`],
      ['GET', `${base()}/0NoSuchGroup00000000000000`],
      ['GET', base(other.id)],
      ['POST', base(other.id), { name: 'Intruders' }],
      ['GET', `${base(other.id)}/${otherGroup}`],
    ]
    for (const [method, path, body] of attempts) {
      const res = await owner().request(method, path, body)
      expect(res.status, `${method} ${path}: ${res.text}`).toBe(404)
      expect(res.text).not.toContain('Theirs')
    }
    const theirs = await other.http.get(`/groups/${otherGroup}`)
    expect(theirs.body.data.userGroup).toMatchObject({ name: 'Theirs', memberCount: 1, permissions: [] })
  })

  it('refuses members (403), changes without the CSRF token (403) and the signed out (401)', async () => {
    const id = await createGroup('Guarded')
    const member = browsers.member as Browser
    for (const [method, path, body] of [
      ['GET', base()],
      ['POST', base(), { name: 'Mine now' }],
      ['GET', `${base()}/${id}`],
      ['DELETE', `${base()}/${id}`],
    ] as const) {
      const res = await member.request(method, path, body)
      expect(res.status, `${method} ${path}`).toBe(403)
      expect(errorOf(res).type).toBe('forbidden')
    }
    const noCsrf = await owner().request('POST', base(), { name: 'Sneaky' }, { 'x-csrf-token': '' })
    expect(noCsrf.status).toBe(403)
    const noCsrfDelete = await owner().request('DELETE', `${base()}/${id}`, undefined, { 'x-csrf-token': 'wrong' })
    expect(noCsrfDelete.status).toBe(403)
    expect((await owner().get(`${base()}?search=sneaky`)).body.data.groups).toEqual([])
    expect((await owner().get(`${base()}/${id}`)).status).toBe(200)
    expect((await new Browser(gh.url).get(base())).status).toBe(401)
    expect((await ws.http.get(base())).status).toBe(401)
  })

  it("gives Team and Free workspaces the Public API's plan error", async () => {
    const free = await gh.workspace({ plan: 'free' })
    const freeOwner = await signInAs(free.owner.email)
    for (const [workspace, browser] of [
      [team, browsers.teamOwner as Browser],
      [free, freeOwner],
    ] as const) {
      for (const [method, body] of [['GET'], ['POST', { name: 'Not here' }]] as const) {
        const res = await browser.request(method, base(workspace.id), body)
        expect(res.status, res.text).toBe(400)
        expect(errorOf(res)).toMatchObject({
          type: 'bad-request',
          data: { feature: 'User Groups', plan: workspace.id === team.id ? 'team' : 'free' },
        })
      }
    }
    const publicApi = await team.http.get('/groups')
    expect(publicApi.status).toBe(400)
    expect(errorOf(publicApi).message).toBe(errorOf(await (browsers.teamOwner as Browser).get(base(team.id))).message)
  })
})
