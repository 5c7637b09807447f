import { unwrap } from '@segment/public-api-sdk-typescript'
import { beforeAll, describe, expect, it } from 'vitest'
import type { SeededWorkspace } from '../helpers/gatehouse.js'
import { rejectionOf, sdkFor } from '../helpers/sdk.js'
import { accountsServerForSuite, Browser, errorOf, GOOD_PASSWORD, lastMail } from './support.js'

const OWNER = '1WDUuRLxv84rrfCNUwvkrRtkxnS'
const MEMBER = '2Gh0wGHMc2kfG3aTsGgpOYzbgCm'

// The console's Tokens (with the emailed security code), Audit Trail (filters, CSV) and Settings → General.
describe('console API: tokens, audit trail and settings', () => {
  const { gh, sql } = accountsServerForSuite()
  let ws: SeededWorkspace
  let other: SeededWorkspace
  const as: Record<'owner' | 'coOwner' | 'member' | 'outsider', Browser> = {} as never

  async function signInAs(email: string): Promise<Browser> {
    const browser = new Browser(gh.url)
    expect((await browser.post('/console/api/password-resets', { email })).status).toBe(202)
    const mail = await lastMail(gh, sql, email)
    const set = await browser.post(`/console/api/links/${mail.token}/password`, { password: GOOD_PASSWORD })
    expect(set.status, set.text).toBe(200)
    return browser
  }
  const grant = (w: SeededWorkspace, userId: string, roleId: string) =>
    w.http.post(`/users/${userId}/permissions`, { permissions: [{ roleId, resources: [{ id: w.id, type: 'WORKSPACE' }] }] })

  beforeAll(async () => {
    ws = await gh.workspace()
    other = await gh.workspace()
    const [coOwner, member] = await gh.addUsers(ws, ['co.owner@team.example', 'member@team.example'])
    expect((await grant(ws, String(coOwner?.id), OWNER)).status).toBe(200)
    expect((await grant(ws, String(member?.id), MEMBER)).status).toBe(200)
    // The owner of ws owns `other` too: a code sent for one workspace must not make a token in the other.
    const [inOther] = await gh.addUsers(other, [ws.owner.email, 'outsider@else.example'])
    expect((await grant(other, String(inOther?.id), OWNER)).status).toBe(200)
    as.owner = await signInAs(ws.owner.email)
    as.coOwner = await signInAs('co.owner@team.example')
    as.member = await signInAs('member@team.example')
    as.outsider = await signInAs('outsider@else.example')
  })

  const base = (w: SeededWorkspace = ws) => `/console/api/workspaces/${w.id}`
  /** Asks for a code as `who` and reads it from the mail. */
  async function mailedCode(who: Browser, email: string, w: SeededWorkspace = ws): Promise<{ codeId: string; code: string }> {
    const asked = await who.post(`${base(w)}/tokens/security-codes`)
    expect(asked.status, asked.text).toBe(201)
    const mail = await lastMail(gh, sql, email)
    expect(mail.kind).toBe('security_code')
    const code = /^(\d{6})$/m.exec(mail.text)?.[1]
    expect(code, mail.text).toBeDefined()
    return { codeId: asked.body.data.codeId, code: code as string }
  }
  const create = (who: Browser, body: Record<string, unknown>, w: SeededWorkspace = ws) =>
    who.post(`${base(w)}/tokens`, { description: 'CI token', access: 'MEMBER', ...body })

  describe('tokens', () => {
    it('mails a code to the signed-in owner, which makes a token the official SDK can use, until it is revoked', async () => {
      const asked = await as.owner.post(`${base()}/tokens/security-codes`)
      expect(asked.status, asked.text).toBe(201)
      expect(asked.body.data.sentTo).toMatch(/^o\*+@ws-.*\.example$/)
      expect(Date.parse(asked.body.data.expiresAt) - Date.now()).toBeGreaterThan(9 * 60_000)
      const mail = await lastMail(gh, sql, ws.owner.email)
      expect(mail.subject).toBe('Your Gatehouse security code')
      const code = /^(\d{6})$/m.exec(mail.text)?.[1] as string
      // The store keeps only an HMAC of it.
      const [row] = await sql.all('select code_hash from account_codes where id = ?', [asked.body.data.codeId])
      expect(row.code_hash).not.toContain(code)

      const wrong = await create(as.owner, { codeId: asked.body.data.codeId, code: code === '000000' ? '111111' : '000000' })
      expect(wrong.status).toBe(422)
      expect(errorOf(wrong)).toMatchObject({ field: 'code', message: expect.stringMatching(/not right; 4 attempts left/) })

      const made = await create(as.owner, { codeId: asked.body.data.codeId, code, description: 'Deploy bot', access: 'OWNER' })
      expect(made.status, made.text).toBe(201)
      const { token, secret } = made.body.data
      expect(token).toMatchObject({ description: 'Deploy bot', access: 'OWNER', createdBy: ws.owner.email, lastUsedAt: null })
      const sdk = sdkFor(gh.url, secret)
      expect((await unwrap(sdk.workspaces.getWorkspace())).workspace.id).toBe(ws.id)

      const listed = await as.owner.get(`${base()}/tokens`)
      expect(listed.status).toBe(200)
      expect(listed.body.data.tokens[0]).toMatchObject({ id: token.id, description: 'Deploy bot', createdBy: ws.owner.email })
      expect(listed.body.data.tokens.some((t: { createdBy: string | null }) => t.createdBy === null)).toBe(true) // the workspace's first
      expect(JSON.stringify(listed.body)).not.toContain(secret)

      const again = await create(as.owner, { codeId: asked.body.data.codeId, code })
      expect(errorOf(again)).toMatchObject({ status: 422, field: 'code', message: expect.stringMatching(/already used/) })

      const trail = await as.owner.get(`${base()}/audit?type=Token%20Created`)
      expect(trail.body.data.events[0]).toMatchObject({ resourceId: token.id, actorEmail: ws.owner.email, resourceName: 'Deploy bot' })
      const log = await as.owner.get('/console/api/account/security-log')
      expect(log.body.data.events.map((e: { type: string }) => e.type)).toEqual(
        expect.arrayContaining(['security_code_sent', 'token_created']),
      )

      expect((await as.owner.delete(`${base()}/tokens/${token.id}`)).status).toBe(200)
      expect(await rejectionOf(unwrap(sdk.workspaces.getWorkspace()))).toMatchObject({ status: 401 })
      expect((await as.owner.delete(`${base()}/tokens/${token.id}`)).status).toBe(404)
      const after = await as.owner.get(`${base()}/tokens`)
      expect(after.body.data.tokens.map((t: { id: string }) => t.id)).not.toContain(token.id)
      const revoked = await as.owner.get(`${base()}/audit?type=Token%20Revoked`)
      expect(revoked.body.data.events[0]).toMatchObject({ resourceId: token.id, actorEmail: ws.owner.email })
    })

    it('refuses a creation without a code it sent', async () => {
      const res = await create(as.owner, { codeId: 'no-such-code', code: '123456' })
      expect(errorOf(res)).toMatchObject({ status: 422, field: 'code', message: expect.stringMatching(/not sent to you/) })
      const missing = await as.owner.post(`${base()}/tokens`, { description: 'x', access: 'MEMBER' })
      expect(missing.status).toBe(422)
    })

    it('gives a code five attempts, then refuses even the right one', async () => {
      const { codeId, code } = await mailedCode(as.owner, ws.owner.email)
      const wrong = code === '999999' ? '888888' : '999999'
      for (let left = 4; left >= 0; left--) {
        const res = await create(as.owner, { codeId, code: wrong })
        expect(errorOf(res)).toMatchObject({
          field: 'code',
          message: left > 0 ? expect.stringContaining(`${left} attempt`) : expect.stringMatching(/no attempts left/),
        })
      }
      const right = await create(as.owner, { codeId, code })
      expect(errorOf(right)).toMatchObject({ status: 422, field: 'code', message: expect.stringMatching(/too many times/) })
    })

    it("refuses a code in another workspace, and another person's code", async () => {
      const { codeId, code } = await mailedCode(as.owner, ws.owner.email)
      const elsewhere = await create(as.owner, { codeId, code }, other)
      expect(errorOf(elsewhere)).toMatchObject({
        status: 422,
        field: 'code',
        message: expect.stringMatching(/not sent to you for this workspace/),
      })
      const stolen = await create(as.coOwner, { codeId, code })
      expect(errorOf(stolen)).toMatchObject({ status: 422, field: 'code' })
      // Still good for the person and workspace it was sent for.
      expect((await create(as.owner, { codeId, code })).status).toBe(201)
    })

    it('refuses an expired code', async () => {
      const { codeId, code } = await mailedCode(as.owner, ws.owner.email)
      await sql.run('update account_codes set expires_at = ? where id = ?', [new Date(Date.now() - 1000).toISOString(), codeId])
      const res = await create(as.owner, { codeId, code })
      expect(errorOf(res)).toMatchObject({ status: 422, field: 'code', message: expect.stringMatching(/expired/) })
    })

    it('notes "last used" once a minute at most, not on every request', async () => {
      const { codeId, code } = await mailedCode(as.coOwner, 'co.owner@team.example')
      const made = await create(as.coOwner, { codeId, code })
      expect(made.status, made.text).toBe(201)
      const { token, secret } = made.body.data
      const lastUsed = async () => (await sql.all('select last_used_at from api_tokens where id = ?', [token.id]))[0].last_used_at
      const sdk = sdkFor(gh.url, secret)
      await unwrap(sdk.workspaces.getWorkspace())
      await expect.poll(lastUsed).not.toBeNull()
      const first = await lastUsed()
      for (let i = 0; i < 5; i++) await unwrap(sdk.workspaces.getWorkspace())
      await new Promise((resolve) => setTimeout(resolve, 200))
      expect(await lastUsed()).toBe(first)
      // A minute later (moved back in the store rather than waited for), the next request notes it again.
      const minuteAgo = new Date(Date.now() - 61_000).toISOString()
      await sql.run('update api_tokens set last_used_at = ? where id = ?', [minuteAgo, token.id])
      await unwrap(sdk.workspaces.getWorkspace())
      await expect.poll(lastUsed).not.toBe(minuteAgo)
      expect(Date.parse(await lastUsed())).toBeGreaterThan(Date.parse(first) - 1)
      const listed = await as.coOwner.get(`${base()}/tokens`)
      expect(listed.body.data.tokens.find((t: { id: string }) => t.id === token.id).lastUsedAt).toBe(await lastUsed())
    })

    it('throttles asking for codes per account', async () => {
      // The owner asked for four codes above: the fifth is the last of the budget (5 per quarter hour).
      expect((await as.owner.post(`${base()}/tokens/security-codes`)).status).toBe(201)
      const res = await as.owner.post(`${base()}/tokens/security-codes`)
      expect(errorOf(res)).toMatchObject({ status: 429, type: 'too-many-attempts' })
      expect(res.headers.get('retry-after')).toMatch(/^\d+$/)
    })

    it('is for owners only: a member gets 403, anyone else 404', async () => {
      for (const [method, path] of [
        ['GET', '/tokens'],
        ['POST', '/tokens/security-codes'],
        ['DELETE', `/tokens/x`],
      ] as const) {
        expect((await as.member.request(method, `${base()}${path}`)).status, `${method} ${path}`).toBe(403)
        expect((await as.outsider.request(method, `${base()}${path}`)).status, `${method} ${path}`).toBe(404)
      }
      const made = await create(as.member, { codeId: 'x', code: '123456' })
      expect(made.status).toBe(403)
      // A token of another workspace cannot be revoked from this one.
      const theirs = (await sql.all('select id from api_tokens where workspace_id = ?', [other.id]))[0].id
      expect((await as.owner.delete(`${base()}/tokens/${theirs}`)).status).toBe(404)
    })
  })

  describe('audit trail', () => {
    let trail: SeededWorkspace
    const T0 = Date.parse('2026-01-01T00:00:00.000Z')
    const at = (minutes: number) => new Date(T0 + minutes * 60_000).toISOString()

    beforeAll(async () => {
      trail = await gh.workspace()
      const [inTrail] = await gh.addUsers(trail, [ws.owner.email])
      expect((await grant(trail, String(inTrail?.id), OWNER)).status).toBe(200)
      // 300 events over 300 minutes: three types, two actors, resources with awkward names.
      const types = ['User Deleted', 'Policy Created', 'Label Created']
      for (let i = 0; i < 300; i += 100) {
        const rows = Array.from({ length: 100 }, (_, k) => {
          const n = i + k
          return [
            `evt-${String(n).padStart(4, '0')}`,
            trail.id,
            at(n),
            types[n % 3],
            n % 2 === 0 ? 'actor-even' : 'actor-odd',
            n % 2 === 0 ? 'Even.Actor@Team.example' : null,
            `res-${n % 10}`,
            'user',
            n === 7 ? '=HYPERLINK("http://evil.example","x"), "quoted"' : `Resource ${n % 10} name`,
          ]
        })
        const placeholders = rows.map(() => '(?, ?, ?, ?, ?, ?, ?, ?, ?)').join(', ')
        await sql.run(
          `insert into audit_events (id, workspace_id, timestamp, type, actor, actor_email, resource_id, resource_type, resource_name) values ${placeholders}`,
          rows.flat(),
        )
      }
    })

    const page = (query: string) => as.owner.get(`/console/api/workspaces/${trail.id}/audit${query}`)
    const ids = (res: { body: any }) => res.body.data.events.map((e: { id: string }) => e.id)
    const all = async (query: string) => {
      const seen: string[] = []
      let res = await page(`${query}${query ? '&' : '?'}count=37`)
      for (;;) {
        expect(res.status, res.text).toBe(200)
        seen.push(...ids(res))
        const next = res.body.data.pagination.next
        if (!next) return seen
        res = await page(`${query}${query ? '&' : '?'}count=37&cursor=${encodeURIComponent(next)}`)
      }
    }
    const expected = (keep: (n: number) => boolean) =>
      Array.from({ length: 300 }, (_, n) => n)
        .filter(keep)
        .reverse()
        .map((n) => `evt-${String(n).padStart(4, '0')}`)

    it('lists newest first in keyset pages, and filters by type, actor, resource and time', async () => {
      expect(await all('')).toEqual((await workspaceEvents()).concat(expected(() => true)))
      expect(await all('?type=User%20Deleted')).toEqual(expected((n) => n % 3 === 0))
      expect(await all('?type=User%20Deleted&type=Label%20Created')).toEqual(expected((n) => n % 3 !== 1))
      expect(await all('?actor=actor-odd')).toEqual(expected((n) => n % 2 === 1))
      expect(await all('?actor=even.actor%40team.EXAMPLE')).toEqual(expected((n) => n % 2 === 0))
      expect(await all('?resource=res-3')).toEqual(expected((n) => n % 10 === 3))
      expect(await all('?resource=SOURCE%204%20NAME')).toEqual(expected((n) => n % 10 === 4))
      expect(await all(`?from=${at(100)}&to=${at(150)}`)).toEqual(expected((n) => n >= 100 && n < 150))
      expect(await all(`?type=Policy%20Created&actor=actor-even&from=${at(0)}&to=${at(60)}`)).toEqual(
        expected((n) => n % 3 === 1 && n % 2 === 0 && n < 60),
      )
      const first = await page('?count=5')
      expect(first.body.data.included).toBe(true)
      expect(Object.keys(first.body.data.events[0]).sort()).toEqual(
        ['actor', 'actorEmail', 'id', 'resourceId', 'resourceName', 'resourceType', 'timestamp', 'type'].sort(),
      )
    })

    async function workspaceEvents(): Promise<string[]> {
      // What the operator API recorded when the workspace was made: today, so newer than the seeded events.
      const rows = await sql.all(
        'select id, timestamp from audit_events where workspace_id = ? and id not like ? order by timestamp desc, id desc',
        [trail.id, 'evt-%'],
      )
      return rows.map((r: { id: string }) => r.id)
    }

    it('refuses a cursor of another filter, bad times and an empty range', async () => {
      const first = await page('?type=User%20Deleted&count=5')
      const next = first.body.data.pagination.next
      expect(errorOf(await page(`?type=Label%20Created&cursor=${encodeURIComponent(next)}`))).toMatchObject({ status: 422 })
      expect(errorOf(await page('?from=yesterday'))).toMatchObject({ status: 422, field: 'from' })
      expect(errorOf(await page(`?from=${at(10)}&to=${at(5)}`))).toMatchObject({ status: 422, field: 'to' })
      expect((await page('?count=500')).status).toBe(422)
    })

    it('exports the filtered range as CSV, safe to open in a spreadsheet', async () => {
      const res = await as.owner.get(`/console/api/workspaces/${trail.id}/audit.csv?resource=res-7&actor=actor-odd`)
      expect(res.status, res.text).toBe(200)
      expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8')
      expect(res.headers.get('content-disposition')).toMatch(/^attachment; filename="audit-ws-[a-z0-9-]+-\d{4}-\d{2}-\d{2}\.csv"$/)
      const lines = res.text.split('\r\n')
      expect(lines[0]).toBe('timestamp,type,actor,actor_email,resource_type,resource_id,resource_name,id')
      expect(lines.at(-1)).toBe('')
      const rows = lines.slice(1, -1)
      expect(rows.map((l) => l.split(',').at(-1))).toEqual(expected((n) => n % 10 === 7))
      // evt-0007's name starts with '=': a leading ' keeps it text; its quotes and comma are quoted.
      expect(rows.at(-1)).toBe(
        `${at(7)},Policy Created,actor-odd,,user,res-7,"'=HYPERLINK(""http://evil.example"",""x""), ""quoted""",evt-0007`,
      )
    })

    it('streams a range larger than one batch whole, in order', async () => {
      const res = await as.owner.get(`/console/api/workspaces/${trail.id}/audit.csv?to=${at(300)}`)
      const ids = res.text
        .split('\r\n')
        .slice(1, -1)
        .map((l) => l.split(',').at(-1))
      expect(ids).toEqual(expected(() => true))
    })

    it('lists the event types for the filter', async () => {
      const res = await as.owner.get(`/console/api/workspaces/${trail.id}/audit/event-types`)
      expect(res.body.data.types).toEqual(expect.arrayContaining(['Label Created', 'Policy Created', 'User Deleted']))
    })

    it('is for owners only', async () => {
      for (const path of ['/audit', '/audit.csv', '/audit/event-types']) {
        expect((await as.member.get(`${base()}${path}`)).status, path).toBe(403)
        expect((await as.outsider.get(`${base()}${path}`)).status, path).toBe(404)
      }
    })

    it('says on other plans that Segment keeps Audit Trail for Business, and still serves it as the Public API does', async () => {
      const team = await gh.workspace({ plan: 'team' })
      const [owner] = await gh.addUsers(team, [ws.owner.email])
      expect((await grant(team, String(owner?.id), OWNER)).status).toBe(200)
      const res = await as.owner.get(`/console/api/workspaces/${team.id}/audit`)
      expect(res.status).toBe(200)
      expect(res.body.data.included).toBe(false)
      expect(res.body.data.events.length).toBeGreaterThan(0)
    })
  })

  describe('settings', () => {
    const settings = (who: Browser = as.owner) => who.get(`${base()}/settings`)
    const patch = (body: unknown, who: Browser = as.owner) => who.request('PATCH', `${base()}/settings`, body)

    it('shows name, slug, contacts and the plan with its limits', async () => {
      const res = await settings()
      expect(res.status, res.text).toBe(200)
      expect(res.body.data).toMatchObject({
        workspace: { id: ws.id, name: ws.name, slug: ws.slug },
        billingContacts: [],
        incidentContacts: [],
        plan: { name: 'business' },
      })
      expect(res.body.data.plan.limits.every((l: { included: boolean }) => l.included)).toBe(true)
    })

    it('renames, changes the slug and the contacts in one audited change the Public API sees', async () => {
      const res = await patch({
        name: 'Renamed Workspace',
        slug: `${ws.slug}-new`,
        billingContacts: ['Billing@Team.example', 'billing@team.example', 'ap@team.example'],
        incidentContacts: ['oncall@team.example'],
      })
      expect(res.status, res.text).toBe(200)
      expect(res.body.data).toMatchObject({
        workspace: { name: 'Renamed Workspace', slug: `${ws.slug}-new` },
        billingContacts: ['Billing@Team.example', 'ap@team.example'],
        incidentContacts: ['oncall@team.example'],
      })
      const publicApi = await ws.http.get('/')
      expect(publicApi.body.data.workspace).toEqual({ id: ws.id, name: 'Renamed Workspace', slug: `${ws.slug}-new` })
      expect((await settings()).body.data).toEqual(res.body.data)
      const trail = await as.owner.get(`${base()}/audit?resource=${ws.id}&count=10`)
      const types = trail.body.data.events.map((e: { type: string; actorEmail: string }) => `${e.type} by ${e.actorEmail}`)
      expect(types).toEqual(
        expect.arrayContaining([
          `Workspace Name Updated by ${ws.owner.email}`,
          `Workspace Slug Updated by ${ws.owner.email}`,
          `Workspace Billing Contacts Updated by ${ws.owner.email}`,
          `Workspace Incident Contacts Updated by ${ws.owner.email}`,
        ]),
      )
      // The same values again change nothing and record nothing.
      expect((await patch({ name: 'Renamed Workspace', incidentContacts: ['oncall@team.example'] })).status).toBe(200)
      const again = await as.owner.get(`${base()}/audit?resource=${ws.id}&count=10`)
      expect(again.body.data.events.length).toBe(trail.body.data.events.length)
    })

    it("refuses another workspace's slug with a 409 naming the slug, and bad values with a 422 naming the field", async () => {
      const taken = await patch({ slug: other.slug })
      expect(errorOf(taken)).toMatchObject({
        status: 409,
        field: 'slug',
        message: expect.stringContaining(`The slug ${other.slug} is already used`),
      })
      expect(errorOf(await patch({ slug: 'Not A Slug' }))).toMatchObject({ status: 422, field: 'slug' })
      expect(errorOf(await patch({ name: '   ' }))).toMatchObject({ status: 422, field: 'name' })
      expect(errorOf(await patch({ billingContacts: ['not-an-email'] }))).toMatchObject({ status: 422, field: 'billingContacts.0' })
      const many = Array.from({ length: 21 }, (_, i) => `c${i}@team.example`)
      expect(errorOf(await patch({ incidentContacts: many }))).toMatchObject({ status: 422 })
      expect(errorOf(await patch({ plan: 'free' }))).toMatchObject({ status: 422 })
      expect(errorOf(await patch({}))).toMatchObject({ status: 422 })
      expect((await settings()).body.data.workspace.slug).toBe(`${ws.slug}-new`)
    })

    it('explains the limits of a Team workspace', async () => {
      const team = await gh.workspace({ plan: 'free' })
      const [owner] = await gh.addUsers(team, [ws.owner.email])
      expect((await grant(team, String(owner?.id), OWNER)).status).toBe(200)
      const res = await as.owner.get(`/console/api/workspaces/${team.id}/settings`)
      const limits = Object.fromEntries(
        res.body.data.plan.limits.map((l: { feature: string; included: boolean }) => [l.feature, l.included]),
      )
      expect(limits).toEqual({ 'User Groups': false, 'Fine-grained roles': false, 'Custom labels': true, 'Audit Trail': false })
      expect(res.body.data.plan.limits.find((l: { feature: string }) => l.feature === 'Custom labels').detail).toMatch(/Up to 5 labels/)
    })

    it('is for owners only, and needs the CSRF token to change', async () => {
      expect((await settings(as.member)).status).toBe(403)
      expect((await patch({ name: 'x' }, as.member)).status).toBe(403)
      expect((await settings(as.outsider)).status).toBe(404)
      const noCsrf = await as.owner.request('PATCH', `${base()}/settings`, { name: 'x' }, { 'x-csrf-token': '' })
      expect(noCsrf.status).toBe(403)
    })
  })
})
