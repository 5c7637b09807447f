import { readFileSync } from 'node:fs'
import { Secret, TOTP } from 'otpauth'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { hashSecret } from '../../src/auth/secrets.js'
import { type Gatehouse, startGatehouse } from '../helpers/gatehouse.js'
import { Browser, GOOD_PASSWORD, lastMail, type StoreSql, storeSql } from './support.js'

/*
 * Passwords, session secrets and link secrets: never in a log line (trace level), nowhere in the store in
 * clear (SHA-256 of session and link secrets, scrypt of passwords, links sealed in queued mail).
 */
describe('account secrets', () => {
  let gh: Gatehouse
  let sql: StoreSql
  const logLines: string[] = []
  const secrets: Record<string, string> = {}

  beforeAll(async () => {
    gh = await startGatehouse({ logLevel: 'trace', logStream: { write: (line) => void logLines.push(line) } })
    sql = storeSql(gh)
    const email = 'secretive@people.example'
    const ws = await gh.workspace()
    await gh.addUsers(ws, [email])

    const browser = new Browser(gh.url)
    await browser.post('/console/api/password-resets', { email })
    const setLink = (await lastMail(gh, sql, email)).token as string
    secrets['set-password link'] = setLink
    await browser.get(`/console/api/links/${setLink}`)
    secrets['first password'] = 'first secret passphrase 1'
    await browser.post(`/console/api/links/${setLink}/password`, { password: secrets['first password'] })
    secrets['first session'] = browser.cookie as string

    secrets['guessed password'] = 'guessed secret passphrase 2'
    await new Browser(gh.url).signIn(email, secrets['guessed password'])
    const laptop = new Browser(gh.url)
    await laptop.signIn(email, secrets['first password'])
    secrets['laptop session'] = laptop.cookie as string
    secrets['second password'] = 'second secret passphrase 3'
    await laptop.put('/console/api/account/password', {
      currentPassword: secrets['first password'],
      newPassword: secrets['second password'],
    })

    await new Browser(gh.url).post('/console/api/password-resets', { email })
    const resetLink = (await lastMail(gh, sql, email)).token as string
    secrets['reset link'] = resetLink
    secrets['third password'] = 'third secret passphrase 4'
    const phone = new Browser(gh.url)
    await phone.post(`/console/api/links/${resetLink}/password`, { password: secrets['third password'] })
    secrets['phone session'] = phone.cookie as string
    await phone.get('/console/api/account/security-log')
    await phone.delete('/console/api/session')

    await gh.admin.post('/admin/instance-admins', { email: 'admin.secret@ops.example' })
    secrets['admin link'] = (await lastMail(gh, sql, 'admin.secret@ops.example')).token as string

    // MFA: the TOTP secret (sealed at rest) and the recovery codes (hashed), used at sign-in.
    const mfa = new Browser(gh.url)
    await mfa.post(`/console/api/links/${secrets['admin link']}/password`, { password: GOOD_PASSWORD })
    const totp = (await mfa.post('/console/api/account/mfa/totp')).body.data.totp
    secrets['totp secret'] = totp.secret
    const code = new TOTP({ secret: Secret.fromBase32(totp.secret) }).generate()
    const recoveryCodes: string[] = (await mfa.post('/console/api/account/mfa/totp/confirm', { code })).body.data.recoveryCodes
    for (const [i, recoveryCode] of recoveryCodes.entries()) secrets[`recovery code ${i + 1}`] = recoveryCode
    await new Browser(gh.url).post('/console/api/session', {
      email: 'admin.secret@ops.example',
      password: GOOD_PASSWORD,
      recoveryCode: recoveryCodes[0],
    })
  })
  afterAll(async () => {
    sql?.close()
    await gh?.stop()
  })

  it('writes none of them to the log, not even at trace level', () => {
    expect(logLines.length).toBeGreaterThan(20)
    const log = logLines.join('\n')
    expect(log).toContain('/console/api/links/[redacted]')
    for (const [name, secret] of Object.entries(secrets)) expect(log.includes(secret), `${name} in the log`).toBe(false)
    expect(log).not.toMatch(/gatehouse_session=/)
  })

  it('redacts cookies from any log line that carries headers', () => {
    const cookie = `gatehouse_session=${secrets['phone session']}`
    gh.server.app.log.info({ headers: { cookie, 'set-cookie': cookie } }, 'headers probe')
    const line = logLines.find((l) => l.includes('headers probe')) as string
    expect(JSON.parse(line).headers).toEqual({ cookie: '[redacted]', 'set-cookie': '[redacted]' })
  })

  it('keeps none of them in the store in clear: hashes only, mail sealed', async () => {
    const tables = [
      'accounts',
      'account_sessions',
      'account_links',
      'account_events',
      'account_recovery_codes',
      'outbox',
      'users',
      'rate_limits',
    ]
    let dump = ''
    for (const table of tables) {
      if (table === 'rate_limits' && !gh.server.store.pgPool) continue
      dump += JSON.stringify(await sql.all(`select * from ${table}`))
    }
    if (!gh.server.store.pgPool) dump += readFileSync(gh.dbFile, 'latin1') + readFileSync(`${gh.dbFile}-wal`, 'latin1')
    for (const [name, secret] of Object.entries(secrets)) expect(dump.includes(secret), `${name} in the store`).toBe(false)
    // What is kept instead: the SHA-256 of each session and link secret.
    const sessions = (await sql.all<{ secret_hash: string }>('select secret_hash from account_sessions')).map((r) => r.secret_hash)
    expect(sessions).toContain(hashSecret(secrets['phone session'] as string))
    const links = (await sql.all<{ secret_hash: string }>('select secret_hash from account_links')).map((r) => r.secret_hash)
    expect(links).toContain(hashSecret(secrets['reset link'] as string))
    const [{ totp_secret_sealed: sealed } = { totp_secret_sealed: '' }] = await sql.all<{ totp_secret_sealed: string }>(
      'select totp_secret_sealed from accounts where totp_secret_sealed is not null',
    )
    expect(sealed).toMatch(/^v1\./)
    const codeHashes = (await sql.all<{ code_hash: string }>('select code_hash from account_recovery_codes')).map((r) => r.code_hash)
    expect(codeHashes).toContain(hashSecret((secrets['recovery code 2'] as string).replace(/-/g, '')))
    for (const row of await sql.all<{ password_hash: string | null }>('select password_hash from accounts'))
      expect(row.password_hash ?? 'scrypt$').toMatch(/^scrypt\$/)
  })

  it('publishes the console API in /openapi.json without a secret in it', async () => {
    const text = await (await fetch(`${gh.url}/openapi.json`)).text()
    const doc = JSON.parse(text)
    for (const path of [
      '/console/api/session',
      '/console/api/account/sessions',
      '/console/api/account/sessions/{sessionId}',
      '/console/api/account/sessions/revoke-all',
      '/console/api/account/password',
      '/console/api/account/security-log',
      '/console/api/password-resets',
      '/console/api/links/{token}',
      '/console/api/links/{token}/password',
      '/admin/instance-admins',
      '/admin/instance-admins/{email}',
      '/console/api/account/mfa/totp',
      '/console/api/session/mfa',
      '/admin/accounts/{email}/mfa-reset',
    ])
      expect(doc.paths[path], path).toBeDefined()
    expect(doc.paths['/console/api/session'].get.security).toEqual([{ session: [] }])
    expect(doc.paths['/console/api/session'].post.security).toEqual([])
    expect(doc.components.securitySchemes.session).toMatchObject({ type: 'apiKey', in: 'cookie', name: 'gatehouse_session' })
    for (const [name, secret] of Object.entries(secrets)) expect(text.includes(secret), name).toBe(false)
  })
})
