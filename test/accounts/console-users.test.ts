import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Gatehouse, type SeededWorkspace, startGatehouse } from '../helpers/gatehouse.js'
import { Browser, errorOf, GOOD_PASSWORD, lastMail, type StoreSql, storeSql } from './support.js'

const OWNER = '1WDUuRLxv84rrfCNUwvkrRtkxnS'
const MEMBER = '2Gh0wGHMc2kfG3aTsGgpOYzbgCm'
const SOURCE_ADMIN = '2Gh0wIFcqhZ8T8NVOGE5k4dKcXr'

/** RFC 4180 lines, as a spreadsheet reads them. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = []
  let row: string[] = []
  let cell = ''
  let quoted = false
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"'
        i++
      } else if (c === '"') quoted = false
      else cell += c
    } else if (c === '"') quoted = true
    else if (c === ',') {
      row.push(cell)
      cell = ''
    } else if (c === '\r' && text[i + 1] === '\n') {
      row.push(cell)
      rows.push(row)
      row = []
      cell = ''
      i++
    } else cell += c
  }
  if (cell !== '' || row.length > 0) rows.push([...row, cell])
  return rows
}

async function signInAs(gh: Gatehouse, sql: StoreSql, email: string): Promise<Browser> {
  const browser = new Browser(gh.url)
  expect((await browser.post('/console/api/password-resets', { email })).status).toBe(202)
  const mail = await lastMail(gh, sql, email.toLowerCase())
  const set = await browser.post(`/console/api/links/${mail.token}/password`, { password: GOOD_PASSWORD })
  expect(set.status, set.text).toBe(200)
  return browser
}

/** Adds `count` users named user-00000… in batches of 1,000 (the operator API's limit). */
async function addMany(gh: Gatehouse, ws: SeededWorkspace, count: number, prefix: string) {
  for (let start = 0; start < count; start += 1000) {
    const users = Array.from({ length: Math.min(1000, count - start) }, (_, i) => {
      const n = String(start + i).padStart(5, '0')
      return { email: `${prefix}-${n}@bulk.example`, name: `${prefix} ${n}` }
    })
    const res = await gh.admin.post(`/admin/workspaces/${ws.id}/users`, { users })
    expect(res.status, res.text).toBe(201)
  }
}

const grant = (workspaceId: string, roleId: string) => ({ roleId, resources: [{ id: workspaceId, type: 'WORKSPACE' }] })

describe('console API: a member of Access Management → Users', () => {
  let gh: Gatehouse
  let sql: StoreSql
  let ws: SeededWorkspace
  let other: SeededWorkspace
  let owner: Browser
  let member: Browser
  const ids: Record<string, string> = {}
  let opsGroup: string

  beforeAll(async () => {
    gh = await startGatehouse()
    sql = storeSql(gh)
    ws = await gh.workspace()
    other = await gh.workspace()
    const added = await gh.addUsers(ws, ['bob.baker@users.example', 'mia.member@users.example', 'rob.removed@users.example'])
    for (const u of added) ids[u.email] = u.id
    await gh.addUsers(other, ['rob.removed@users.example', 'oz.other@users.example'])
    const [oz] = await sql.all<{ id: string }>('select id from users where workspace_id = ? and email_key = ?', [
      other.id,
      'oz.other@users.example',
    ])
    ids['oz.other@users.example'] = oz?.id ?? ''
    await ws.http.post(`/users/${ids['bob.baker@users.example']}/permissions`, { permissions: [grant(ws.id, MEMBER)] })
    opsGroup = (await ws.http.post('/groups', { name: 'Ops' })).body.data.userGroup.id
    await ws.http.post(`/groups/${opsGroup}/users`, { emails: ['bob.baker@users.example'] })
    await ws.http.post(`/groups/${opsGroup}/permissions`, { permissions: [grant(ws.id, SOURCE_ADMIN)] })
    owner = await signInAs(gh, sql, ws.owner.email)
    member = await signInAs(gh, sql, 'mia.member@users.example')
  })
  afterAll(async () => {
    sql?.close()
    await gh?.stop()
  })

  const userPath = (userId: string, workspaceId = ws.id) => `/console/api/workspaces/${workspaceId}/users/${userId}`

  it("shows a member's own permissions, groups, and every grant in words marked with its group", async () => {
    const res = await owner.get(userPath(ids['bob.baker@users.example'] as string))
    expect(res.status, res.text).toBe(200)
    expect(res.body.data.user).toMatchObject({
      id: ids['bob.baker@users.example'],
      email: 'bob.baker@users.example',
      permissions: [{ roleId: MEMBER, roleName: 'Workspace Member', resources: [{ id: ws.id, type: 'WORKSPACE' }] }],
      groups: [{ id: opsGroup, name: 'Ops' }],
    })
    expect(res.body.data.user.access.map((a: any) => [a.summary, a.group])).toEqual([
      ['Workspace Member on the whole workspace', null],
      ['Source Admin on all current and future sources (through the group Ops)', { id: opsGroup, name: 'Ops' }],
    ])
  })

  it('My access lists what groups grant, each with its group', async () => {
    const bob = await signInAs(gh, sql, 'bob.baker@users.example')
    const res = await bob.get(`/console/api/workspaces/${ws.id}/access`)
    expect(res.body.data.groupPermissions).toEqual([
      {
        roleId: SOURCE_ADMIN,
        roleName: 'Source Admin',
        resources: [{ id: ws.id, type: 'WORKSPACE' }],
        group: { id: opsGroup, name: 'Ops' },
      },
    ])
  })

  it('edits roles with the Public API checks, and never leaves the workspace without an owner', async () => {
    const bob = ids['bob.baker@users.example'] as string
    const res = await owner.put(`${userPath(bob)}/permissions`, { permissions: [grant(ws.id, SOURCE_ADMIN), grant(ws.id, MEMBER)] })
    expect(res.status, res.text).toBe(200)
    expect(res.body.data.user.permissions.map((p: any) => p.roleId).sort()).toEqual([SOURCE_ADMIN, MEMBER].sort())
    const publicView = await ws.http.get(`/users/${bob}`)
    expect(publicView.body.data.user.permissions.map((p: any) => p.roleId).sort()).toEqual([SOURCE_ADMIN, MEMBER].sort())
    const audit = await sql.all('select actor, actor_email from audit_events where workspace_id = ? and resource_name = ? and type = ?', [
      ws.id,
      'bob.baker@users.example',
      'Policy Created',
    ])
    expect(audit).toContainEqual({ actor: ws.owner.id, actor_email: ws.owner.email })

    const bad = await owner.put(`${userPath(bob)}/permissions`, {
      permissions: [{ roleId: 'nope', resources: [{ id: ws.id, type: 'WORKSPACE' }] }],
    })
    expect(bad.status).toBe(422)
    expect(errorOf(bad).field).toBe('permissions.0.roleId')

    const selfDemotion = await owner.put(`${userPath(ws.owner.id)}/permissions`, { permissions: [grant(ws.id, MEMBER)] })
    expect(selfDemotion.status).toBe(409)
    expect(errorOf(selfDemotion).message).toBe('This change would leave the workspace without a Workspace Owner')
    expect((await owner.get(userPath(ws.owner.id))).body.data.user.permissions.map((p: any) => p.roleId)).toEqual([OWNER])
  })

  it('removes a member from the workspace, not their account; the last owner cannot be removed', async () => {
    const rob = await signInAs(gh, sql, 'rob.removed@users.example')
    const res = await owner.delete(userPath(ids['rob.removed@users.example'] as string))
    expect(res.status, res.text).toBe(200)
    expect((await owner.get(userPath(ids['rob.removed@users.example'] as string))).status).toBe(404)
    expect((await ws.http.get(`/users/${ids['rob.removed@users.example']}`)).status).toBe(404)
    // Rob's account and his other workspace stay, and so does his session.
    const session = await rob.get('/console/api/session')
    expect(session.status).toBe(200)
    expect(session.body.data.workspaces.map((w: any) => w.id)).toEqual([other.id])
    expect((await rob.get(`/console/api/workspaces/${ws.id}/access`)).status).toBe(404)
    const audit = await sql.all('select actor_email from audit_events where workspace_id = ? and type = ? and resource_name = ?', [
      ws.id,
      'User Deleted',
      'rob.removed@users.example',
    ])
    expect(audit).toEqual([{ actor_email: ws.owner.email }])

    const last = await owner.delete(userPath(ws.owner.id))
    expect(last.status).toBe(409)
    expect((await owner.get(userPath(ws.owner.id))).status).toBe(200)
  })

  it("answers 404 for another workspace's users, 403 to members, 403 without CSRF, 401 signed out", async () => {
    const oz = ids['oz.other@users.example'] as string
    for (const [method, path, body] of [
      ['GET', userPath(oz)],
      ['PUT', `${userPath(oz)}/permissions`, { permissions: [] }],
      ['DELETE', userPath(oz)],
      ['GET', userPath(oz, other.id)],
      ['GET', `/console/api/workspaces/${other.id}/users.csv`],
    ] as const) {
      const res = await owner.request(method, path, body)
      expect(res.status, `${method} ${path}`).toBe(404)
    }
    expect((await other.http.get(`/users/${oz}`)).status).toBe(200)
    const bob = ids['bob.baker@users.example'] as string
    for (const [method, path] of [
      ['GET', userPath(bob)],
      ['DELETE', userPath(bob)],
      ['GET', `/console/api/workspaces/${ws.id}/users.csv`],
    ] as const) {
      const res = await member.request(method, path)
      expect(res.status, `${method} ${path}`).toBe(403)
    }
    expect((await owner.request('DELETE', userPath(bob), undefined, { 'x-csrf-token': '' })).status).toBe(403)
    expect((await owner.get(userPath(bob))).status).toBe(200)
    expect((await new Browser(gh.url).get(`/console/api/workspaces/${ws.id}/users.csv`)).status).toBe(401)
    const badRole = await owner.get(`/console/api/workspaces/${ws.id}/users.csv?roleId=nope`)
    expect(badRole.status).toBe(422)
    expect(errorOf(badRole).field).toBe('roleId')
  })

  describe('the CSV export', () => {
    let big: SeededWorkspace
    let bigOwner: Browser

    beforeAll(async () => {
      big = await gh.workspace()
      await addMany(gh, big, 1200, 'person')
      await gh.addUsers(big, ['formula@users.example'])
      const [formula] = await sql.all<{ id: string }>('select id from users where workspace_id = ? and email_key = ?', [
        big.id,
        'formula@users.example',
      ])
      await sql.run('update users set name = ? where id = ?', ['=HYPERLINK("http://evil.example","x, y")', formula?.id])
      const group = (await big.http.post('/groups', { name: 'Reviewers, "core"' })).body.data.userGroup.id
      await big.http.post(`/groups/${group}/users`, { emails: ['person-00007@bulk.example', 'formula@users.example'] })
      const [p7] = await sql.all<{ id: string }>('select id from users where workspace_id = ? and email_key = ?', [
        big.id,
        'person-00007@bulk.example',
      ])
      await big.http.post(`/users/${p7?.id}/permissions`, { permissions: [grant(big.id, SOURCE_ADMIN), grant(big.id, MEMBER)] })
      bigOwner = await signInAs(gh, sql, big.owner.email)
    }, 120_000)

    /** Every user the console's list gives, page by page, as the CSV should have them. */
    async function listed(query: string): Promise<string[][]> {
      const rows: string[][] = []
      let cursor: string | null = null
      do {
        const page: any = await bigOwner.get(
          `/console/api/workspaces/${big.id}/users?count=200${query}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
        )
        expect(page.status, page.text).toBe(200)
        for (const u of page.body.data.users)
          rows.push([
            u.id,
            u.name,
            u.email,
            u.permissions.map((p: any) => p.roleName).join('; '),
            u.groups.map((g: any) => g.name).join('; '),
          ])
        cursor = page.body.data.pagination.next
      } while (cursor)
      return rows
    }

    it('has every user of the listing with their roles and groups, as an attachment', async () => {
      const res = await bigOwner.get(`/console/api/workspaces/${big.id}/users.csv`)
      expect(res.status).toBe(200)
      expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8')
      expect(res.headers.get('content-disposition')).toBe(`attachment; filename="${big.slug}-users.csv"`)
      const [header, ...rows] = parseCsv(res.text)
      expect(header).toEqual(['id', 'name', 'email', 'roles', 'access', 'groups'])
      expect(rows).toHaveLength(1202)
      const fromApi = await listed('')
      // The formula cell is the one cell that differs: it is defused.
      const defused = (cells: string[]) => cells.map((c) => (c.startsWith('=') ? `'${c}` : c))
      expect(rows.map((r) => [r[0], r[1], r[2], r[3], r[5]])).toEqual(fromApi.map(defused))
      const p7 = rows.find((r) => r[2] === 'person-00007@bulk.example')
      const sorted = (cell: string | undefined) => cell?.split('; ').sort()
      expect(sorted(p7?.[3])).toEqual(['Source Admin', 'Workspace Member'])
      expect(sorted(p7?.[4])).toEqual(['Source Admin on all current and future sources', 'Workspace Member on the whole workspace'])
      expect(p7?.[5]).toBe('Reviewers, "core"')
      const formula = rows.find((r) => r[2] === 'formula@users.example')
      expect(formula?.[1]).toBe('\'=HYPERLINK("http://evil.example","x, y")')
      expect(res.text).toContain('"\'=HYPERLINK(""http://evil.example"",""x, y"")"')
    })

    it('keeps the filters of the list', async () => {
      const res = await bigOwner.get(`/console/api/workspaces/${big.id}/users.csv?search=PERSON-0001&roleId=`)
      const rows = parseCsv(res.text).slice(1)
      expect(rows.map((r) => r[2])).toEqual(Array.from({ length: 10 }, (_, i) => `person-0001${i}@bulk.example`))
      const owners = parseCsv((await bigOwner.get(`/console/api/workspaces/${big.id}/users.csv?roleId=${OWNER}`)).text).slice(1)
      expect(owners.map((r) => r[2])).toEqual([big.owner.email])
      expect((await listed(`&roleId=${SOURCE_ADMIN}`)).map((r) => r[0])).toEqual(
        parseCsv((await bigOwner.get(`/console/api/workspaces/${big.id}/users.csv?roleId=${SOURCE_ADMIN}`)).text)
          .slice(1)
          .map((r) => r[0]),
      )
    })
  })

  it('streams 20,000 users: the first bytes arrive long before the last', { timeout: 180_000 }, async () => {
    const huge = await gh.workspace()
    await addMany(gh, huge, 20_000, 'many')
    const hugeOwner = await signInAs(gh, sql, huge.owner.email)
    const started = performance.now()
    const res = await fetch(`${gh.url}/console/api/workspaces/${huge.id}/users.csv`, {
      headers: { cookie: `gatehouse_session=${hugeOwner.cookie}` },
    })
    expect(res.status).toBe(200)
    const reader = (res.body as ReadableStream<Uint8Array>).getReader()
    let firstAt = 0
    let bytes = 0
    let text = ''
    const decoder = new TextDecoder()
    for (;;) {
      const { done, value } = await reader.read()
      if (done) break
      if (firstAt === 0) firstAt = performance.now() - started
      bytes += value.byteLength
      text += decoder.decode(value, { stream: true })
    }
    const total = performance.now() - started
    const lines = text.split('\r\n').filter((l) => l !== '')
    expect(lines).toHaveLength(20_002)
    console.log(`users.csv: 20,001 users, ${bytes} bytes, first bytes after ${firstAt.toFixed(0)} ms, all after ${total.toFixed(0)} ms`)
    // A buffered export would send its first byte only once every row was read.
    expect(firstAt).toBeLessThan(total / 4)
  })
})
