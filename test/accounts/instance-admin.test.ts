import { Secret, TOTP } from 'otpauth'
import { beforeAll, describe, expect, it } from 'vitest'
import { accountsServerForSuite, Browser, errorOf, GOOD_PASSWORD, lastMail, memberWithPassword } from './support.js'

/*
 * Instance admins in the console API on a real server (SQLite and PostgreSQL): the outbox and every account,
 * refused to everyone else; an MFA reset that ends the person's sessions and mails them; the admin flag; all of
 * it in the person's security log naming the admin.
 */

const API = '/console/api/instance'

function codeOf(secret: string): string {
  return new TOTP({ algorithm: 'SHA1', digits: 6, period: 30, secret: Secret.fromBase32(secret) }).generate()
}

describe('instance admins in the console', { timeout: 60_000 }, () => {
  const { gh, sql } = accountsServerForSuite()
  let admin: Browser
  let adminId: string
  let member: Browser
  let memberId: string
  const run = Math.random().toString(36).slice(2, 8)
  const adminEmail = `root.${run}@instance.example`
  const memberEmail = `mia.${run}@instance.example`

  beforeAll(async () => {
    admin = (await memberWithPassword(gh, sql, adminEmail)).browser
    expect((await gh.admin.post('/admin/instance-admins', { email: adminEmail })).status).toBe(201)
    adminId = (await admin.get('/console/api/session')).body.data.account.id
    member = (await memberWithPassword(gh, sql, memberEmail)).browser
    memberId = (await member.get('/console/api/session')).body.data.account.id
  })

  /** The types of someone's security log, newest first, with their details. */
  async function securityLog(accountId: string) {
    const res = await admin.get(`${API}/accounts/${accountId}`)
    expect(res.status, res.text).toBe(200)
    return res.body.data.account.recentEvents as { type: string; detail: Record<string, unknown> }[]
  }

  it('answers 401 signed out and 403 to anyone not an instance admin, changing nothing', async () => {
    const message = await lastMail(gh, sql, memberEmail)
    const routes: [string, string, unknown?][] = [
      ['GET', `${API}/outbox`],
      ['GET', `${API}/outbox/${message.id}`],
      ['POST', `${API}/outbox/${message.id}/retry`],
      ['GET', `${API}/accounts`],
      ['GET', `${API}/accounts/${adminId}`],
      ['POST', `${API}/accounts/${adminId}/mfa-reset`],
      ['PUT', `${API}/accounts/${memberId}/instance-admin`, { instanceAdmin: true }],
    ]
    for (const [method, path, body] of routes) {
      const signedOut = await new Browser(gh.url).request(method, path, body)
      expect(signedOut.status, `${method} ${path}`).toBe(401)
      const refused = await member.request(method, path, body)
      expect(refused.status, `${method} ${path}`).toBe(403)
      expect(errorOf(refused).type).toBe('forbidden')
    }
    expect((await member.get('/console/api/session')).body.data.account.instanceAdmin).toBe(false)
    const events = await securityLog(memberId)
    expect(events.some((e) => e.type === 'outbox_message_read')).toBe(false)
  })

  it('needs the CSRF token for changes, even from an instance admin', async () => {
    const noToken = await admin.put(`${API}/accounts/${memberId}/instance-admin`, { instanceAdmin: true }, { 'x-csrf-token': '' })
    expect(noToken.status).toBe(403)
    const reset = await admin.post(`${API}/accounts/${memberId}/mfa-reset`, undefined, { 'x-csrf-token': 'forged' })
    expect(reset.status).toBe(403)
    expect((await member.get('/console/api/session')).status).toBe(200)
    expect((await admin.get(`${API}/accounts/${memberId}`)).body.data.account.instanceAdmin).toBe(false)
  })

  it('lists the outbox newest first by status in keyset pages, reads a message with its link, retries a failed one', async () => {
    for (let i = 0; i < 3; i++)
      expect((await new Browser(gh.url).post('/console/api/password-resets', { email: memberEmail })).status).toBe(202)
    const total = (await sql.all<{ n: number }>('select count(*) as n from outbox'))[0]?.n
    const first = await admin.get(`${API}/outbox?count=2`)
    expect(first.status, first.text).toBe(200)
    const { messages, pagination } = first.body.data
    expect(pagination.totalEntries).toBe(Number(total))
    expect(messages).toHaveLength(2)
    expect(messages[0].id > messages[1].id).toBe(true)
    expect(messages[0]).not.toHaveProperty('text')
    const second = await admin.get(`${API}/outbox?count=2&cursor=${encodeURIComponent(pagination.next)}`)
    expect(second.status, second.text).toBe(200)
    expect(second.body.data.messages[0].id < messages[1].id).toBe(true)
    const back = await admin.get(`${API}/outbox?count=2&cursor=${encodeURIComponent(second.body.data.pagination.previous)}`)
    expect(back.body.data.messages.map((m: { id: string }) => m.id)).toEqual(messages.map((m: { id: string }) => m.id))

    const mail = await lastMail(gh, sql, memberEmail)
    const read = await admin.get(`${API}/outbox/${mail.id}`)
    expect(read.status, read.text).toBe(200)
    expect(read.body.data.message).toMatchObject({ id: mail.id, to: memberEmail, kind: mail.kind, text: mail.text, status: 'pending' })
    expect(read.body.data.message.text).toContain('/console/link/')
    const looked = (await securityLog(memberId)).find((e) => e.type === 'outbox_message_read')
    expect(looked?.detail).toMatchObject({ by: adminEmail, byAccountId: adminId, messageId: mail.id })

    expect(errorOf(await admin.post(`${API}/outbox/${mail.id}/retry`)).type).toBe('conflict')
    await sql.run("update outbox set status = 'failed', last_error = ? where id = ?", ['550 mailbox unavailable', mail.id])
    const failed = await admin.get(`${API}/outbox?status=failed`)
    expect(failed.body.data.messages).toEqual([expect.objectContaining({ id: mail.id, last_error: '550 mailbox unavailable' })])
    expect(failed.body.data.pagination.totalEntries).toBe(1)
    const retried = await admin.post(`${API}/outbox/${mail.id}/retry`)
    expect(retried.status, retried.text).toBe(200)
    expect(retried.body.data.message).toMatchObject({ id: mail.id, status: 'pending', attempts: 0 })
    expect((await admin.get(`${API}/outbox?status=failed`)).body.data.messages).toEqual([])
    expect((await securityLog(memberId)).map((e) => e.type)).toContain('outbox_message_retried')

    expect((await admin.get(`${API}/outbox/no-such-message`)).status).toBe(404)
  })

  it('searches the accounts by email or name in any case, in keyset pages, with a detail', async () => {
    const ws = await gh.workspace()
    const emails = ['alpha', 'bravo', 'charlie'].map((n) => `${n}.${run}@search.example`)
    await gh.addUsers(ws, emails)
    for (const email of emails) expect((await new Browser(gh.url).post('/console/api/password-resets', { email })).status).toBe(202)

    const found = await admin.get(`${API}/accounts?search=${run.toUpperCase()}%40SEARCH&count=2`)
    expect(found.status, found.text).toBe(200)
    expect(found.body.data.pagination.totalEntries).toBe(3)
    expect(found.body.data.accounts.map((a: { email: string }) => a.email)).toEqual(emails.slice(0, 2))
    expect(found.body.data.accounts[0]).toMatchObject({
      email: emails[0],
      name: `alpha.${run}`,
      hasPassword: false,
      mfaEnabled: false,
      instanceAdmin: false,
      workspaces: 1,
    })
    const next = await admin.get(`${API}/accounts?search=${run.toUpperCase()}%40SEARCH&count=2&cursor=${found.body.data.pagination.next}`)
    expect(next.body.data.accounts.map((a: { email: string }) => a.email)).toEqual([emails[2]])
    expect(next.body.data.pagination.next).toBeNull()
    // A cursor belongs to its search.
    expect((await admin.get(`${API}/accounts?search=other&cursor=${found.body.data.pagination.next}`)).status).toBe(422)

    const byName = await admin.get(`${API}/accounts?search=${encodeURIComponent(`BRAVO.${run}`)}`)
    expect(byName.body.data.accounts.map((a: { email: string }) => a.email)).toEqual([emails[1]])
    const me = (await admin.get(`${API}/accounts?search=${encodeURIComponent(adminEmail)}`)).body.data.accounts[0]
    expect(me).toMatchObject({ id: adminId, hasPassword: true, instanceAdmin: true, workspaces: 1 })

    const detail = await admin.get(`${API}/accounts/${memberId}`)
    expect(detail.status, detail.text).toBe(200)
    const account = detail.body.data.account
    expect(account).toMatchObject({ email: memberEmail, hasPassword: true, liveSessions: 1, mfa: { enabled: false } })
    expect(account.memberships).toHaveLength(1)
    expect(account.recentEvents.map((e: { type: string }) => e.type)).toContain('link_used')
    expect(errorOf(await admin.get(`${API}/accounts/no-such-account`))).toMatchObject({ status: 404, field: 'accountId' })
  })

  it("resets someone's MFA: their sessions end, they are mailed, their log names the admin; not one's own", async () => {
    const enrolled = await member.post('/console/api/account/mfa/totp')
    const confirmed = await member.post('/console/api/account/mfa/totp/confirm', { code: codeOf(enrolled.body.data.totp.secret) })
    expect(confirmed.status, confirmed.text).toBe(200)
    const phone = new Browser(gh.url)
    expect(
      (
        await phone.post('/console/api/session', {
          email: memberEmail,
          password: GOOD_PASSWORD,
          recoveryCode: confirmed.body.data.recoveryCodes[0],
        })
      ).status,
    ).toBe(200)
    expect((await admin.get(`${API}/accounts/${memberId}`)).body.data.account).toMatchObject({ mfaEnabled: true, liveSessions: 2 })

    const reset = await admin.post(`${API}/accounts/${memberId}/mfa-reset`)
    expect(reset.status, reset.text).toBe(200)
    expect(reset.body.data).toMatchObject({ hadMfa: true, endedSessions: 2 })
    expect((await member.get('/console/api/session')).status).toBe(401)
    expect((await phone.get('/console/api/session')).status).toBe(401)
    const notice = await lastMail(gh, sql, memberEmail)
    expect(notice.id).toBe(reset.body.data.messageId)
    expect(notice.kind).toBe('mfa_reset')
    const account = (await admin.get(`${API}/accounts/${memberId}`)).body.data.account
    expect(account).toMatchObject({ mfaEnabled: false, liveSessions: 0, mfa: { enabled: false, recoveryCodesLeft: 0 } })
    expect(account.recentEvents[0]).toMatchObject({ type: 'mfa_reset', detail: { by: adminEmail, byAccountId: adminId, hadMfa: true } })

    const own = await admin.post(`${API}/accounts/${adminId}/mfa-reset`)
    expect(errorOf(own)).toMatchObject({ status: 409, field: 'accountId' })
    expect(errorOf(await admin.post(`${API}/accounts/no-such-account/mfa-reset`)).status).toBe(404)
    member = new Browser(gh.url)
    expect((await member.signIn(memberEmail, GOOD_PASSWORD)).status).toBe(200)
  })

  it('makes someone an instance admin and takes it away, logged with the admin; never takes away one’s own', async () => {
    const made = await admin.put(`${API}/accounts/${memberId}/instance-admin`, { instanceAdmin: true })
    expect(made.status, made.text).toBe(200)
    expect(made.body.data).toEqual({ account: { id: memberId, instanceAdmin: true }, linkQueued: false })
    expect((await member.get('/console/api/session')).body.data.account.instanceAdmin).toBe(true)
    expect((await member.get(`${API}/accounts`)).status).toBe(200)
    const added = (await securityLog(memberId))[0]
    expect(added).toMatchObject({ type: 'instance_admin_added', detail: { by: adminEmail, byAccountId: adminId } })

    const taken = await admin.put(`${API}/accounts/${memberId}/instance-admin`, { instanceAdmin: false })
    expect(taken.body.data.account.instanceAdmin).toBe(false)
    expect((await member.get(`${API}/accounts`)).status).toBe(403)
    expect((await securityLog(memberId))[0]).toMatchObject({ type: 'instance_admin_removed', detail: { by: adminEmail } })

    const own = await admin.put(`${API}/accounts/${adminId}/instance-admin`, { instanceAdmin: false })
    expect(errorOf(own)).toMatchObject({ status: 409, field: 'instanceAdmin' })
    expect((await admin.get('/console/api/session')).body.data.account.instanceAdmin).toBe(true)
  })

  it('refuses bad input naming the field', async () => {
    const cases: [string, string, unknown, string][] = [
      ['GET', `${API}/outbox?status=lost`, undefined, 'status'],
      ['GET', `${API}/outbox?count=0`, undefined, 'count'],
      ['GET', `${API}/outbox?cursor=not-a-cursor`, undefined, 'cursor'],
      ['GET', `${API}/accounts?count=500`, undefined, 'count'],
      ['GET', `${API}/accounts?search=${'x'.repeat(101)}`, undefined, 'search'],
      ['PUT', `${API}/accounts/${memberId}/instance-admin`, { instanceAdmin: 'yes' }, 'instanceAdmin'],
      ['PUT', `${API}/accounts/${memberId}/instance-admin`, {}, 'instanceAdmin'],
    ]
    for (const [method, path, body, field] of cases) {
      const res = await admin.request(method, path, body)
      expect([400, 422], `${method} ${path}`).toContain(res.status)
      expect(errorOf(res).field ?? errorOf(res).message, `${method} ${path}`).toContain(field)
    }
  })
})
