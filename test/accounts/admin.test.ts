import { describe, expect, it } from 'vitest'
import { runCliInProcess } from '../helpers/cli.js'
import { HttpClient } from '../helpers/gatehouse.js'
import { accountsServerForSuite, Browser, errorOf, GOOD_PASSWORD, lastMail } from './support.js'

describe('instance admins', () => {
  const { gh, sql } = accountsServerForSuite()

  /** The CLI on the server's store: its SQLite file, or its PostgreSQL schema (the key file sits beside the SQLite path either way). */
  const cli = (...args: string[]) =>
    runCliInProcess([...args, '--db', gh.dbFile, ...(gh.databaseUrl ? ['--database-url', gh.databaseUrl] : [])])

  it('gatehouse admin add makes an account and queues a set-password link; the admin signs in through it', async () => {
    const email = 'Root@Ops.example'
    const added = await cli('admin', 'add', email, '--public-url', 'https://gatehouse.example')
    expect(added.stderr).toBe('')
    expect(added.code).toBe(0)
    const lines = added.stdout.trimEnd().split('\n')
    expect(lines[0]).toMatch(/^Root@Ops\.example is an instance admin \(account \w{27}\)\.$/)
    const mail = await lastMail(gh, sql, email)
    expect(lines[1]).toBe(`A link to choose a password (valid 7 days) was queued for Root@Ops.example: message ${mail.id}.`)
    expect(lines[2]).toBe(`Without an SMTP server (--smtp-url), read it with: gatehouse outbox show ${mail.id}`)
    expect(lines).toHaveLength(3)
    expect(added.stdout).not.toContain(mail.token)
    expect(mail.kind).toBe('set_password')
    expect(mail.link).toBe(`https://gatehouse.example/console/link/${mail.token}`)

    const browser = new Browser(gh.url)
    const set = await browser.post(`/console/api/links/${mail.token}/password`, { password: GOOD_PASSWORD, name: 'Root' })
    expect(set.status, set.text).toBe(200)
    expect(set.body.data.account).toMatchObject({ email, name: 'Root', instanceAdmin: true })
    expect(set.body.data.workspaces).toEqual([])

    // Once it has a password, adding again queues nothing.
    const again = await cli('admin', 'add', 'root@ops.example', '--json')
    expect(again.code).toBe(0)
    expect(JSON.parse(again.stdout)).toMatchObject({ instanceAdmin: { email, hasPassword: true }, linkQueued: false, messageId: null })

    const list = await cli('admin', 'list')
    expect(list.stdout).toContain(`${email}\t${set.body.data.account.id}\tpassword set`)
    const removed = await cli('admin', 'remove', 'ROOT@ops.example')
    expect(removed).toMatchObject({ code: 0, stdout: 'ROOT@ops.example is no longer an instance admin.\n' })
    expect((await browser.get('/console/api/session')).body.data.account.instanceAdmin).toBe(false)
    const missing = await cli('admin', 'remove', 'root@ops.example')
    expect(missing.code).toBe(1)
    expect(missing.stderr).toBe('error: Instance admin root@ops.example not found\n')
    expect((await cli('admin', 'add', 'not-an-email')).code).toBe(2)
  })

  it('says where the link points when no public URL is set', async () => {
    const added = await cli('admin', 'add', 'nourl@ops.example')
    expect(added.code).toBe(0)
    expect(added.stdout).toContain('; set --public-url (GATEHOUSE_PUBLIC_URL) to the address people use.')
    expect((await lastMail(gh, sql, 'nourl@ops.example')).link).toMatch(/^http:\/\/127\.0\.0\.1:4100\/console\/link\//)
  })

  it('manages instance admins through the operator API, behind the admin key', async () => {
    const ws = await gh.workspace()
    await gh.addUsers(ws, ['member.admin@ops.example'])
    const added = await gh.admin.post('/admin/instance-admins', { email: 'member.admin@ops.example' })
    expect(added.status, added.text).toBe(201)
    const mail = await lastMail(gh, sql, 'member.admin@ops.example')
    expect(added.body.data).toMatchObject({
      instanceAdmin: { email: 'member.admin@ops.example', name: 'member.admin', hasPassword: false },
      linkQueued: true,
      messageId: mail.id,
    })
    // Links from a running server point where it listens.
    expect(mail.link).toBe(`${gh.url}/console/link/${mail.token}`)
    const list = await gh.admin.get('/admin/instance-admins')
    expect(list.body.data.instanceAdmins.map((a: any) => a.email)).toContain('member.admin@ops.example')

    const browser = new Browser(gh.url)
    expect((await browser.post(`/console/api/links/${mail.token}/password`, { password: GOOD_PASSWORD })).status).toBe(200)
    const me = (await browser.get('/console/api/session')).body.data
    expect(me.account.instanceAdmin).toBe(true)
    expect(me.workspaces.map((w: any) => w.id)).toEqual([ws.id])

    expect((await gh.admin.delete('/admin/instance-admins/member.admin@ops.example')).status).toBe(200)
    const gone = await gh.admin.delete('/admin/instance-admins/member.admin@ops.example')
    expect(gone.status).toBe(404)
    expect(errorOf(gone)).toMatchObject({ type: 'not-found', field: 'email' })
    const log = (await browser.get('/console/api/account/security-log')).body.data.events.map((e: any) => e.type)
    expect(log.slice(0, 1)).toEqual(['instance_admin_removed'])
    expect(log).toContain('instance_admin_added')

    const noKey = await new HttpClient(gh.url, undefined).get('/admin/instance-admins')
    expect(noKey.status).toBe(401)
    const withSession = await browser.get('/admin/instance-admins')
    expect(withSession.status).toBe(401)
  })
})
