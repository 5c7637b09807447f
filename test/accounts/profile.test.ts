import { describe, expect, it } from 'vitest'
import { accountsServerForSuite, errorOf, memberWithPassword } from './support.js'

describe('My account: a person renames themselves', () => {
  const { gh, sql } = accountsServerForSuite()

  it('renames the account and their user in every workspace, each workspace auditing it with the person as actor', async () => {
    const email = 'renamed@people.example'
    const { browser, workspace: first } = await memberWithPassword(gh, sql, email)
    const second = await gh.workspace()
    const [inSecond] = await gh.addUsers(second, [email])

    const res = await browser.request('PATCH', '/console/api/account', { name: '  Ada Lovelace ' })
    expect(res.status, res.text).toBe(200)
    expect(res.body.data.account.name).toBe('Ada Lovelace')
    expect((await browser.get('/console/api/session')).body.data.account.name).toBe('Ada Lovelace')

    for (const ws of [first, second]) {
      const users = (await ws.http.get('/users?pagination[count]=200')).body.data.users as { id: string; email: string; name: string }[]
      const user = users.find((u) => u.email === email)
      expect(user?.name).toBe('Ada Lovelace')
      const trail = await sql.all<{ actor: string; actor_email: string; resource_id: string }>(
        "select actor, actor_email, resource_id from audit_events where workspace_id = ? and type = 'User Name Updated'",
        [ws.id],
      )
      expect(trail).toEqual([{ actor: user?.id, actor_email: email, resource_id: user?.id }])
    }
    expect(inSecond?.name).not.toBe('Ada Lovelace')
    const log = (await browser.get('/console/api/account/security-log')).body.data.events.map((e: { type: string }) => e.type)
    expect(log).toContain('name_changed')
  })

  it('refuses an empty name and a change without the CSRF token', async () => {
    const { browser } = await memberWithPassword(gh, sql, 'blank@people.example')
    const blank = await browser.request('PATCH', '/console/api/account', { name: '   ' })
    expect(blank.status).toBe(422)
    expect(errorOf(blank).field).toBe('name')
    const forged = await browser.request('PATCH', '/console/api/account', { name: 'Mallory' }, { 'x-csrf-token': '' })
    expect(forged.status).toBe(403)
    expect((await browser.get('/console/api/session')).body.data.account.name).not.toBe('Mallory')
  })
})
