import { readFileSync } from 'node:fs'
import { Secret, TOTP } from 'otpauth'
import { describe, expect, it } from 'vitest'
import type { SeededWorkspace } from '../helpers/gatehouse.js'
import { accountsServerForSuite, Browser, errorOf, GOOD_PASSWORD, lastMail } from './support.js'

/*
 * MFA through the console API on a real server (SQLite and PostgreSQL): TOTP set-up and the second step at
 * sign-in (codes from the same TOTP library an authenticator uses), single-use codes, the throttle, turning it
 * off, a workspace's Require MFA met per workspace, step-up, the operator's reset, and nothing in clear at rest.
 */

/** A code of the authenticator `secret`, `ahead` 30-second steps from now (the server accepts one step either side). */
function codeOf(secret: string, ahead = 0): string {
  const totp = new TOTP({ algorithm: 'SHA1', digits: 6, period: 30, secret: Secret.fromBase32(secret) })
  return totp.generate({ timestamp: Date.now() + ahead * 30_000 })
}

describe('MFA', { timeout: 60_000 }, () => {
  const { gh, sql } = accountsServerForSuite()
  let counter = 0
  const nextEmail = (who: string) => `${who}.${++counter}@mfa.example`

  /** A browser signed in as `email` (a member of `ws`, given a password through a set-password link). */
  async function signedIn(ws: SeededWorkspace, email: string): Promise<Browser> {
    if (!(await sql.all('select 1 from users where workspace_id = ? and email = ?', [ws.id, email])).length) await gh.addUsers(ws, [email])
    const browser = new Browser(gh.url)
    expect((await browser.post('/console/api/password-resets', { email })).status).toBe(202)
    const set = await browser.post(`/console/api/links/${(await lastMail(gh, sql, email)).token}/password`, { password: GOOD_PASSWORD })
    expect(set.status, set.text).toBe(200)
    return browser
  }

  /** Sets up TOTP for the signed-in browser with a code of the current step; the secret and the recovery codes. */
  async function enrol(browser: Browser): Promise<{ secret: string; recoveryCodes: string[] }> {
    const started = await browser.post('/console/api/account/mfa/totp')
    expect(started.status, started.text).toBe(200)
    const { secret } = started.body.data.totp
    const confirmed = await browser.post('/console/api/account/mfa/totp/confirm', { code: codeOf(secret) })
    expect(confirmed.status, confirmed.text).toBe(200)
    return { secret, recoveryCodes: confirmed.body.data.recoveryCodes }
  }

  it('sets up TOTP: a secret, its URI and QR, a first code turns it on, 10 recovery codes once, other sessions end', async () => {
    const ws = await gh.workspace()
    const email = nextEmail('ada')
    const browser = await signedIn(ws, email)
    const laptop = new Browser(gh.url)
    expect((await laptop.signIn(email, GOOD_PASSWORD)).status).toBe(200)
    expect((await browser.get('/console/api/session')).body.data.mfa).toEqual({ enabled: false, passedAt: null })

    const started = await browser.post('/console/api/account/mfa/totp')
    expect(started.status, started.text).toBe(200)
    const { secret, uri, qr } = started.body.data.totp
    expect(secret).toMatch(/^[A-Z2-7]{32}$/)
    expect(uri).toBe(
      `otpauth://totp/Gatehouse:${encodeURIComponent(email)}?issuer=Gatehouse&secret=${secret}&algorithm=SHA1&digits=6&period=30`,
    )
    expect(qr.length).toBeGreaterThanOrEqual(21)
    for (const row of qr) expect(row).toMatch(new RegExp(`^[01]{${qr.length}}$`))
    expect(qr[0].slice(0, 7)).toBe('1111111') // a finder pattern

    const wrong = await browser.post('/console/api/account/mfa/totp/confirm', { code: codeOf(secret, 5) })
    expect(wrong.status).toBe(422)
    expect(errorOf(wrong).field).toBe('code')
    expect((await browser.get('/console/api/account/mfa')).body.data.mfa).toEqual({ enabled: false, enabledAt: null, recoveryCodesLeft: 0 })

    const confirmed = await browser.post('/console/api/account/mfa/totp/confirm', { code: codeOf(secret) })
    expect(confirmed.status, confirmed.text).toBe(200)
    const { recoveryCodes, endedSessions } = confirmed.body.data
    expect(recoveryCodes).toHaveLength(10)
    expect(new Set(recoveryCodes).size).toBe(10)
    for (const code of recoveryCodes) expect(code).toMatch(/^[a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4}$/)
    expect(endedSessions).toBe(1)
    expect((await laptop.get('/console/api/session')).status).toBe(401)

    const session = (await browser.get('/console/api/session')).body.data
    expect(session.mfa.enabled).toBe(true)
    expect(Date.parse(session.mfa.passedAt)).toBeGreaterThan(Date.now() - 60_000)
    expect((await browser.get('/console/api/account/mfa')).body.data.mfa).toMatchObject({ enabled: true, recoveryCodesLeft: 10 })
    expect((await browser.post('/console/api/account/mfa/totp')).status).toBe(409)
    const log = (await browser.get('/console/api/account/security-log')).body.data.events.map((e: { type: string }) => e.type)
    expect(log).toContain('mfa_enabled')
  })

  it('asks for the code at sign-in, and takes a TOTP code only once', async () => {
    const email = nextEmail('grace')
    const { secret } = await enrol(await signedIn(await gh.workspace(), email))
    const browser = new Browser(gh.url)

    const first = await browser.signIn(email, GOOD_PASSWORD)
    expect(first.status).toBe(401)
    expect(errorOf(first)).toMatchObject({ type: 'mfa-required', status: 401 })
    expect(browser.cookie).toBeUndefined()
    const wrongPassword = await browser.post('/console/api/session', {
      email,
      password: 'not the password at all',
      totpCode: codeOf(secret, 1),
    })
    expect(errorOf(wrongPassword).type).toBe('unauthorized')

    const wrong = await browser.post('/console/api/session', { email, password: GOOD_PASSWORD, totpCode: '000000' })
    expect(wrong.status).toBe(422)
    expect(errorOf(wrong).field).toBe('totpCode')

    const code = codeOf(secret, 1)
    const good = await browser.post('/console/api/session', {
      email,
      password: GOOD_PASSWORD,
      totpCode: `${code.slice(0, 3)} ${code.slice(3)}`,
    })
    expect(good.status, good.text).toBe(200)
    expect(good.body.data.mfa.enabled).toBe(true)
    expect(good.body.data.mfa.passedAt).not.toBeNull()

    const replayed = await new Browser(gh.url).post('/console/api/session', { email, password: GOOD_PASSWORD, totpCode: code })
    expect(replayed.status).toBe(422)
    expect(errorOf(replayed).field).toBe('totpCode')
    const both = await new Browser(gh.url).post('/console/api/session', {
      email,
      password: GOOD_PASSWORD,
      totpCode: code,
      recoveryCode: 'aaaa-bbbb-cccc',
    })
    expect(both.status).toBe(422)
  })

  it('takes each recovery code once, in any case and with or without its hyphens', async () => {
    const email = nextEmail('hedy')
    const owner = await signedIn(await gh.workspace(), email)
    const { recoveryCodes } = await enrol(owner)
    const [one, two] = recoveryCodes as [string, string]

    const used = await new Browser(gh.url).post('/console/api/session', { email, password: GOOD_PASSWORD, recoveryCode: one })
    expect(used.status, used.text).toBe(200)
    expect(used.body.data.mfa.passedAt).not.toBeNull()
    const again = await new Browser(gh.url).post('/console/api/session', { email, password: GOOD_PASSWORD, recoveryCode: one })
    expect(again.status).toBe(422)
    expect(errorOf(again).field).toBe('recoveryCode')
    const typed = await new Browser(gh.url).post('/console/api/session', {
      email,
      password: GOOD_PASSWORD,
      recoveryCode: two.replace(/-/g, '').toUpperCase(),
    })
    expect(typed.status, typed.text).toBe(200)
    expect((await owner.get('/console/api/account/mfa')).body.data.mfa.recoveryCodesLeft).toBe(8)
    const log = await sql.all<{ detail: string }>(
      "select e.detail from account_events e join accounts a on a.id = e.account_id where a.email = ? and e.type = 'sign_in_failed'",
      [email],
    )
    expect(log.map((e) => JSON.parse(e.detail).reason)).toEqual(['wrong_recovery_code'])
  })

  it('counts wrong codes as failed sign-ins: after 10 the email is locked, even for the right code', async () => {
    const email = nextEmail('joan')
    const { secret } = await enrol(await signedIn(await gh.workspace(), email))
    const browser = new Browser(gh.url)
    expect((await browser.signIn(email, GOOD_PASSWORD)).status).toBe(401) // the first step is not a failure
    for (let i = 0; i < 10; i++) {
      const wrong = await browser.post('/console/api/session', { email, password: GOOD_PASSWORD, totpCode: String(100000 + i) })
      expect(wrong.status, `attempt ${i + 1}`).toBe(422)
    }
    const locked = await browser.post('/console/api/session', { email, password: GOOD_PASSWORD, totpCode: codeOf(secret, 1) })
    expect(locked.status).toBe(429)
    expect(errorOf(locked).message).toMatch(/^Too many failed sign-ins; try again in \d+ minutes?$/)
  })

  it('turns MFA off only with the current password', async () => {
    const email = nextEmail('barbara')
    const browser = await signedIn(await gh.workspace(), email)
    await enrol(browser)
    const wrong = await browser.request('DELETE', '/console/api/account/mfa/totp', { currentPassword: 'not my password, sorry' })
    expect(wrong.status).toBe(422)
    expect(errorOf(wrong).field).toBe('currentPassword')
    const missing = await browser.request('DELETE', '/console/api/account/mfa/totp', {})
    expect(missing.status).toBe(422)
    const off = await browser.request('DELETE', '/console/api/account/mfa/totp', { currentPassword: GOOD_PASSWORD })
    expect(off.status, off.text).toBe(200)
    expect((await browser.get('/console/api/account/mfa')).body.data.mfa).toEqual({ enabled: false, enabledAt: null, recoveryCodesLeft: 0 })
    expect((await new Browser(gh.url).signIn(email, GOOD_PASSWORD)).status).toBe(200)
    expect(
      (await sql.all('select * from account_recovery_codes r join accounts a on a.id = r.account_id where a.email = ?', [email])).length,
    ).toBe(0)
  })

  it('makes new recovery codes for a TOTP code; the old ones stop working', async () => {
    const email = nextEmail('radia')
    const browser = await signedIn(await gh.workspace(), email)
    const { secret, recoveryCodes } = await enrol(browser)
    const wrong = await browser.post('/console/api/account/mfa/recovery-codes', {
      totpCode: '123456' === codeOf(secret, 1) ? '654321' : '123456',
    })
    expect(wrong.status).toBe(422)
    expect(errorOf(wrong).field).toBe('totpCode')
    const fresh = await browser.post('/console/api/account/mfa/recovery-codes', { totpCode: codeOf(secret, 1) })
    expect(fresh.status, fresh.text).toBe(200)
    expect(fresh.body.data.recoveryCodes).toHaveLength(10)
    expect(fresh.body.data.recoveryCodes).not.toContain(recoveryCodes[0])
    const old = await new Browser(gh.url).post('/console/api/session', { email, password: GOOD_PASSWORD, recoveryCode: recoveryCodes[0] })
    expect(old.status).toBe(422)
    const next = await new Browser(gh.url).post('/console/api/session', {
      email,
      password: GOOD_PASSWORD,
      recoveryCode: fresh.body.data.recoveryCodes[0],
    })
    expect(next.status).toBe(200)
  })

  it("meets a workspace's Require MFA when a session enters it, leaves other workspaces open, and lets a session step up", async () => {
    const strict = await gh.workspace()
    const relaxed = await gh.workspace()
    const member = nextEmail('katherine')
    await gh.addUsers(relaxed, [member])
    const ownerBrowser = await signedIn(strict, strict.owner.email)
    const memberBrowser = await signedIn(strict, member)
    const settings = `/console/api/workspaces/${strict.id}/settings/authentication`

    expect((await ownerBrowser.get(settings)).body.data).toEqual({
      authentication: { requireMfa: false },
      you: { mfaEnabled: false, sessionPassed: false },
    })
    const tooSoon = await ownerBrowser.put(settings, { requireMfa: true })
    expect(tooSoon.status).toBe(422)
    expect(errorOf(tooSoon).field).toBe('requireMfa')
    expect((await memberBrowser.get(settings)).status).toBe(403) // members do not manage it
    await enrol(ownerBrowser)
    const on = await ownerBrowser.put(settings, { requireMfa: true })
    expect(on.status, on.text).toBe(200)
    expect(on.body.data).toEqual({ authentication: { requireMfa: true }, you: { mfaEnabled: true, sessionPassed: true } })
    const audit = await sql.all<{ type: string; actor_email: string }>(
      'select type, actor_email from audit_events where workspace_id = ? and type like ?',
      [strict.id, '%Require MFA%'],
    )
    expect(audit).toEqual([{ type: 'Workspace Require MFA Enabled', actor_email: strict.owner.email }])

    // A member without MFA: this workspace asks them to set it up; the other one stays open.
    const refused = await memberBrowser.get(`/console/api/workspaces/${strict.id}/access`)
    expect(refused.status).toBe(403)
    expect(errorOf(refused).type).toBe('mfa-enrollment-required')
    expect(errorOf(await memberBrowser.get(`/console/api/workspaces/${strict.id}/users`)).type).toBe('mfa-enrollment-required')
    expect((await memberBrowser.get(`/console/api/workspaces/${relaxed.id}/access`)).status).toBe(200)
    // The Public API is the tokens' business: untouched.
    expect((await strict.http.get('/users')).status).toBe(200)

    const { recoveryCodes } = await enrol(memberBrowser)
    expect((await memberBrowser.get(`/console/api/workspaces/${strict.id}/access`)).status).toBe(200)

    // A session that has not passed MFA (none can begin so today: a reset link asks for a code too; an SSO
    // sign-in will, as Segment's MFA does not apply to SSO) is asked for a code here only, then steps up.
    const phone = new Browser(gh.url)
    const signedInPhone = await phone.post('/console/api/session', {
      email: member,
      password: GOOD_PASSWORD,
      recoveryCode: recoveryCodes[2],
    })
    expect(signedInPhone.status, signedInPhone.text).toBe(200)
    await sql.run('update account_sessions set mfa_at = null where id = ?', [signedInPhone.body.data.session.id])
    expect((await phone.get('/console/api/session')).body.data.mfa).toEqual({ enabled: true, passedAt: null })
    const unverified = await phone.get(`/console/api/workspaces/${strict.id}/access`)
    expect(unverified.status).toBe(403)
    expect(errorOf(unverified).type).toBe('mfa-verification-required')
    expect((await phone.get(`/console/api/workspaces/${relaxed.id}/access`)).status).toBe(200)
    const badStep = await phone.post('/console/api/session/mfa', { recoveryCode: 'zzzz-zzzz-zzzz' })
    expect(badStep.status).toBe(422)
    const stepUp = await phone.post('/console/api/session/mfa', { recoveryCode: recoveryCodes[3] })
    expect(stepUp.status, stepUp.text).toBe(200)
    expect((await phone.get(`/console/api/workspaces/${strict.id}/access`)).status).toBe(200)
    expect((await phone.get('/console/api/session')).body.data.mfa.passedAt).toBe(stepUp.body.data.mfa.passedAt)

    const off = await ownerBrowser.put(settings, { requireMfa: false })
    expect(off.status).toBe(200)
  })

  it('lets the operator reset MFA: codes gone, sessions ended, the person mailed', async () => {
    const email = nextEmail('frances')
    const browser = await signedIn(await gh.workspace(), email)
    await enrol(browser)
    expect((await gh.admin.post(`/admin/accounts/${encodeURIComponent('nobody@mfa.example')}/mfa-reset`)).status).toBe(404)
    const reset = await gh.admin.post(`/admin/accounts/${encodeURIComponent(email)}/mfa-reset`)
    expect(reset.status, reset.text).toBe(200)
    expect(reset.body.data).toMatchObject({ hadMfa: true, endedSessions: 1 })
    expect((await browser.get('/console/api/session')).status).toBe(401)
    const mail = await lastMail(gh, sql, email)
    expect(mail.kind).toBe('mfa_reset')
    expect(mail.text).toContain('reset the multi-factor authentication of your account')
    expect(mail.text).toContain(`${gh.url}/console/sign-in`)
    const again = new Browser(gh.url)
    expect((await again.signIn(email, GOOD_PASSWORD)).status).toBe(200)
    expect((await again.get('/console/api/account/security-log')).body.data.events.map((e: { type: string }) => e.type)).toContain(
      'mfa_reset',
    )
    // Only with the admin key.
    const res = await fetch(`${gh.url}/admin/accounts/${encodeURIComponent(email)}/mfa-reset`, { method: 'POST' })
    expect(res.status).toBe(401)
  })

  it('asks a reset link of an account with MFA for a code too: the mailbox alone is one factor', async () => {
    const email = nextEmail('reset')
    const browser = await signedIn(await gh.workspace(), email)
    const { secret, recoveryCodes } = await enrol(browser)
    const newPassword = `${GOOD_PASSWORD} anew`
    const resetLink = async () => {
      expect((await new Browser(gh.url).post('/console/api/password-resets', { email })).status).toBe(202)
      return (await lastMail(gh, sql, email)).token as string
    }
    const stranger = new Browser(gh.url)
    const token = await resetLink()
    expect((await stranger.get(`/console/api/links/${token}`)).body.data.link).toMatchObject({
      purpose: 'reset_password',
      mfaRequired: true,
    })

    const noCode = await stranger.post(`/console/api/links/${token}/password`, { password: newPassword })
    expect(noCode.status).toBe(401)
    expect(errorOf(noCode).type).toBe('mfa-required')
    const wrongCode = await stranger.post(`/console/api/links/${token}/password`, { password: newPassword, totpCode: codeOf(secret, 9) })
    expect(wrongCode.status).toBe(422)
    expect(errorOf(wrongCode).field).toBe('totpCode')
    // Neither attempt changed the password or used the link.
    const oldPassword = await new Browser(gh.url).signIn(email, GOOD_PASSWORD)
    expect(errorOf(oldPassword).type).toBe('mfa-required') // the old password is still the right one
    const withRecovery = await stranger.post(`/console/api/links/${token}/password`, {
      password: newPassword,
      recoveryCode: recoveryCodes[0],
    })
    expect(withRecovery.status, withRecovery.text).toBe(200)
    expect(withRecovery.body.data.mfa.passedAt).not.toBeNull()
    expect(errorOf(await new Browser(gh.url).signIn(email, newPassword)).type).toBe('mfa-required')
  })

  it('keeps neither the TOTP secret nor a recovery code in the store in clear', async () => {
    const email = nextEmail('ida')
    const browser = await signedIn(await gh.workspace(), email)
    const { secret, recoveryCodes } = await enrol(browser)
    const [row] = await sql.all<{ totp_secret_sealed: string }>('select totp_secret_sealed from accounts where email = ?', [email])
    expect(row?.totp_secret_sealed).toMatch(/^v1\./)
    expect(gh.server.directory.cipher.open(row?.totp_secret_sealed as string)).toBe(secret)
    let dump = ''
    for (const table of ['accounts', 'account_recovery_codes', 'account_events', 'account_sessions', 'outbox'])
      dump += JSON.stringify(await sql.all(`select * from ${table}`))
    if (!gh.server.store.pgPool) dump += readFileSync(gh.dbFile, 'latin1') + readFileSync(`${gh.dbFile}-wal`, 'latin1')
    const forms = [secret, secret.toLowerCase(), ...recoveryCodes, ...recoveryCodes.map((c) => c.replace(/-/g, ''))]
    for (const form of forms) expect(dump.includes(form), `${form} at rest`).toBe(false)
  })
})
