import { unwrap } from '@segment/public-api-sdk-typescript'
import { beforeAll, describe, expect, it } from 'vitest'
import { act, connectAndSync, MINIMAL_ROLE } from '../directory/actions-helpers.js'
import { directoryClient } from '../helpers/directory.js'
import type { SeededWorkspace } from '../helpers/gatehouse.js'
import { sdkFor } from '../helpers/sdk.js'
import { accountsServerForSuite, Browser, errorOf, GOOD_PASSWORD, lastMail, outbox } from './support.js'

const SOURCE_ADMIN = '2Gh0wIFcqhZ8T8NVOGE5k4dKcXr'
const SOURCE_READ_ONLY = '2Gh0wJtyXuNB7z6cCkpsSSPV5tU' // Business only
const INVITATION_LINK = /https?:\/\/\S+\/console\/invitation\/([0-9A-Za-z]{43})\b/

describe('invitations: every way of inviting mails a link, and the link makes a member', () => {
  const logLines: string[] = []
  const { gh, sql } = accountsServerForSuite({ logLevel: 'trace', logStream: { write: (line) => void logLines.push(line) } })
  /** Every invitation secret a test saw: none may be in a log line or in the store in clear. */
  const seenSecrets = new Set<string>()
  let ws: SeededWorkspace
  let other: SeededWorkspace
  let owner: Browser
  let otherOwner: Browser
  let member: Browser
  let groupId: string

  /** The invitation mails queued for this address, oldest first, with their link's secret. */
  async function invitations(email: string) {
    const mails = (await outbox(gh, sql, email)).filter((m) => m.kind === 'invitation')
    const found = mails.map((m) => ({ ...m, secret: INVITATION_LINK.exec(m.text)?.[1] as string }))
    for (const m of found) seenSecrets.add(m.secret)
    return found
  }

  async function lastInvitation(email: string) {
    const mails = await invitations(email)
    const mail = mails[mails.length - 1]
    expect(mail?.secret, `an invitation to ${email}`).toBeDefined()
    return mail as (typeof mails)[number]
  }

  /** A browser signed in as this member, who chose a password through a set-password link. */
  async function signInAs(email: string): Promise<Browser> {
    const browser = new Browser(gh.url)
    expect((await browser.post('/console/api/password-resets', { email })).status).toBe(202)
    const mail = await lastMail(gh, sql, email.toLowerCase())
    const set = await browser.post(`/console/api/links/${mail.token}/password`, { password: GOOD_PASSWORD })
    expect(set.status, set.text).toBe(200)
    return browser
  }

  const wsPath = (rest: string, id = ws.id) => `/console/api/workspaces/${id}${rest}`

  beforeAll(async () => {
    ws = await gh.workspace({ name: 'Acme <Data>' })
    other = await gh.workspace()
    await gh.addUsers(ws, ['mia.member@acme.example'])
    groupId = (await ws.http.post('/groups', { name: 'Analysts' })).body.data.userGroup.id
    owner = await signInAs(ws.owner.email)
    otherOwner = await signInAs(other.owner.email)
    member = await signInAs('mia.member@acme.example')
  })

  it('mails exactly one invitation for an invite made with the Public API (official SDK), and none on re-inviting', async () => {
    const sdk = sdkFor(gh.url, ws.token)
    await unwrap(sdk.iamUsers.createInvites({ invites: [{ email: 'Sdk.Person@new.example' }] }))
    await unwrap(sdk.iamUsers.createInvites({ invites: [{ email: 'sdk.person@new.example', permissions: [{ roleId: MINIMAL_ROLE }] }] }))
    const mails = await invitations('Sdk.Person@new.example')
    expect(mails).toHaveLength(1)
    const [mail] = mails
    expect(mail?.subject).toBe('Join Acme <Data> on Gatehouse')
    expect(mail?.text).toContain('You are invited to join the workspace "Acme <Data>"')
    expect(mail?.text).toContain('The link works once, for 7 days')
    expect(mail?.html).toContain('Acme &#60;Data&#62;')
    expect(mail?.html).not.toContain('<Data>')
    // Only the hash is stored.
    const rows = await sql.all<{ secret_hash: string }>('select secret_hash from invite_links where email_key = ?', [
      'sdk.person@new.example',
    ])
    expect(rows).toHaveLength(1)
    expect(rows[0]?.secret_hash).not.toContain(mail?.secret as string)
  })

  it('mails one invitation for each email a group adds as a new invite (add and replace), none for members', async () => {
    expect((await ws.http.post(`/groups/${groupId}/users`, { emails: ['grp.one@new.example', 'mia.member@acme.example'] })).status).toBe(
      200,
    )
    expect((await ws.http.put(`/groups/${groupId}/users`, { emails: ['grp.one@new.example', 'grp.two@new.example'] })).status).toBe(200)
    expect(await invitations('grp.one@new.example')).toHaveLength(1)
    expect(await invitations('grp.two@new.example')).toHaveLength(1)
    expect((await outbox(gh, sql, 'mia.member@acme.example')).filter((m) => m.kind === 'invitation')).toHaveLength(0)
  })

  it('mails one invitation for a console invite, naming the owner who invited, with the role and group kept', async () => {
    const res = await owner.post(wsPath('/invites'), {
      invites: [{ email: 'console.person@new.example', permissions: [{ roleId: SOURCE_ADMIN }] }],
      groupIds: [groupId],
    })
    expect(res.status, res.text).toBe(201)
    expect(res.body.data).toEqual({ emails: ['console.person@new.example'], mailed: 1 })
    const mails = await invitations('console.person@new.example')
    expect(mails).toHaveLength(1)
    expect(mails[0]?.text).toContain(`(${ws.owner.email}) invited you to join the workspace "Acme <Data>"`)

    const list = await owner.get(`${wsPath('/invites')}?search=CONSOLE.person`)
    expect(list.status, list.text).toBe(200)
    expect(list.body.data.invites).toEqual([
      {
        email: 'console.person@new.example',
        permissions: [expect.objectContaining({ roleId: SOURCE_ADMIN, roleName: 'Source Admin' })],
        groups: [{ id: groupId, name: 'Analysts' }],
        createdAt: expect.any(String),
        link: { sentAt: expect.any(String), expiresAt: expect.any(String), expired: false },
      },
    ])
    expect(list.body.data.pagination.totalEntries).toBe(1)
    const audit = await sql.all<{ actor_email: string }>(
      "select actor_email from audit_events where workspace_id = ? and resource_name = ? and type = 'New Segment User Invited to Workspace'",
      [ws.id, 'console.person@new.example'],
    )
    expect(audit).toEqual([{ actor_email: ws.owner.email }])
  })

  it("mails one invitation for the directory's invite action against a Gatehouse remote", async () => {
    const remote = await gh.workspace()
    const connection = await connectAndSync(gh, remote)
    const api = await directoryClient(gh)
    const res = await act(api, 'invite', { connection_id: connection.id, email: 'dir.person@new.example', role_ids: [MINIMAL_ROLE] })
    expect(res.status, res.text).toBe(200)
    expect(await invitations('dir.person@new.example')).toHaveLength(1)
  })

  it('lets a new person choose a name and password to accept: signed in, a member with the role and group', async () => {
    await owner.post(wsPath('/invites'), {
      invites: [{ email: 'Nia.New@new.example', permissions: [{ roleId: SOURCE_ADMIN }] }],
      groupIds: [groupId],
    })
    const { secret } = await lastInvitation('Nia.New@new.example')
    const browser = new Browser(gh.url)
    const seen = await browser.get(`/console/api/invitations/${secret}`)
    expect(seen.status, seen.text).toBe(200)
    expect(seen.body.data.invitation).toEqual({
      workspace: { name: 'Acme <Data>', slug: ws.slug },
      email: 'Nia.New@new.example',
      status: 'valid',
      expiresAt: expect.any(String),
      account: 'new',
    })
    const noPassword = await browser.post(`/console/api/invitations/${secret}/accept`, { name: 'Nia New' })
    expect(noPassword.status).toBe(422)
    expect(errorOf(noPassword).field).toBe('password')
    const weak = await browser.post(`/console/api/invitations/${secret}/accept`, { name: 'Nia New', password: 'password1234' })
    expect(weak.status).toBe(422)
    expect(errorOf(weak).field).toBe('password')

    const accepted = await browser.post(`/console/api/invitations/${secret}/accept`, { name: 'Nia New', password: GOOD_PASSWORD })
    expect(accepted.status, accepted.text).toBe(200)
    expect(browser.cookie).toBeDefined()
    expect(accepted.body.data.workspace).toEqual({ id: ws.id, slug: ws.slug, name: 'Acme <Data>' })
    expect(accepted.body.data.session.account).toMatchObject({ email: 'Nia.New@new.example', name: 'Nia New' })
    browser.csrf = accepted.body.data.session.csrfToken
    const access = await browser.get(wsPath('/access'))
    expect(access.status, access.text).toBe(200)
    expect(access.body.data.permissions.map((p: any) => p.roleId)).toEqual([SOURCE_ADMIN])
    expect(access.body.data.groups).toEqual([{ id: groupId, name: 'Analysts' }])

    // The Public API shows the member, with the permissions and group, and the invite gone.
    const users = await ws.http.get('/users?pagination%5Bcount%5D=200')
    const nia = users.body.data.users.find((u: any) => u.email.toLowerCase() === 'nia.new@new.example')
    expect(nia).toMatchObject({ name: 'Nia New', permissions: [expect.objectContaining({ roleId: SOURCE_ADMIN })] })
    expect((await ws.http.get(`/groups/${groupId}/users`)).body.data.users.map((u: any) => u.email.toLowerCase())).toContain(
      'nia.new@new.example',
    )
    expect((await ws.http.get('/invites?pagination%5Bcount%5D=200')).body.data.invites).not.toContain('Nia.New@new.example')
    // The new member made the change; the account's log says how.
    const audit = await sql.all<{ actor_email: string }>(
      "select actor_email from audit_events where workspace_id = ? and type = 'User Added To Workspace' and resource_name = ?",
      [ws.id, 'Nia.New@new.example'],
    )
    expect(audit).toEqual([{ actor_email: 'Nia.New@new.example' }])
    const events = (await browser.get('/console/api/account/security-log')).body.data.events.map((e: any) => e.type)
    expect(events).toEqual(expect.arrayContaining(['link_used', 'password_changed', 'sign_in']))

    // Used once: the link says so, and a second use is refused.
    expect((await new Browser(gh.url).get(`/console/api/invitations/${secret}`)).body.data.invitation.status).toBe('used')
    const again = await new Browser(gh.url).post(`/console/api/invitations/${secret}/accept`, { name: 'X', password: GOOD_PASSWORD })
    expect(again.status).toBe(409)
    expect(errorOf(again).message).toBe('This invitation was already accepted')
  })

  it('asks an existing account to sign in as the invited email (401), refuses another person (409), and needs CSRF', async () => {
    // other's owner has a password: invited into ws, they must sign in first.
    await owner.post(wsPath('/invites'), { invites: [{ email: other.owner.email, permissions: [{ roleId: MINIMAL_ROLE }] }] })
    const { secret } = await lastInvitation(other.owner.email)
    const anonymous = new Browser(gh.url)
    expect((await anonymous.get(`/console/api/invitations/${secret}`)).body.data.invitation.account).toBe('existing')
    const signedOut = await anonymous.post(`/console/api/invitations/${secret}/accept`, { name: 'Someone', password: GOOD_PASSWORD })
    expect(signedOut.status).toBe(401)
    expect(errorOf(signedOut).message).toContain(`sign in as ${other.owner.email} first`)

    const wrongPerson = await member.post(`/console/api/invitations/${secret}/accept`, {})
    expect(wrongPerson.status).toBe(409)
    expect(errorOf(wrongPerson).message).toContain('You are signed in as mia.member@acme.example')

    const noCsrf = await otherOwner.post(`/console/api/invitations/${secret}/accept`, {}, { 'x-csrf-token': '' })
    expect(noCsrf.status).toBe(403)
    const accepted = await otherOwner.post(`/console/api/invitations/${secret}/accept`, {})
    expect(accepted.status, accepted.text).toBe(200)
    expect(accepted.body.data.session.workspaces.map((w: any) => w.id)).toContain(ws.id)
    expect((await otherOwner.get(wsPath('/access'))).status).toBe(200)
  })

  it('says an expired link expired, mails a fresh one on request, and the old one stays refused', async () => {
    await ws.http.post('/invites', { invites: [{ email: 'late.lou@new.example' }] })
    const old = await lastInvitation('late.lou@new.example')
    await sql.run("update invite_links set expires_at = '2000-01-01T00:00:00.000Z' where email_key = ?", ['late.lou@new.example'])
    const browser = new Browser(gh.url)
    expect((await browser.get(`/console/api/invitations/${old.secret}`)).body.data.invitation.status).toBe('expired')
    const refused = await browser.post(`/console/api/invitations/${old.secret}/accept`, { name: 'Lou', password: GOOD_PASSWORD })
    expect(refused.status).toBe(409)
    expect(errorOf(refused)).toMatchObject({ message: 'This invitation link has expired; ask for a new one', data: { status: 'expired' } })

    const renewed = await browser.post(`/console/api/invitations/${old.secret}/renewal`)
    expect(renewed.status, renewed.text).toBe(202)
    const fresh = await lastInvitation('late.lou@new.example')
    expect(fresh.secret).not.toBe(old.secret)
    expect((await invitations('late.lou@new.example')).length).toBe(2)
    // The invite stayed pending all along.
    expect((await ws.http.get('/invites?pagination%5Bcount%5D=200')).body.data.invites).toContain('late.lou@new.example')

    const accepted = await browser.post(`/console/api/invitations/${fresh.secret}/accept`, { name: 'Lou Late', password: GOOD_PASSWORD })
    expect(accepted.status, accepted.text).toBe(200)
    expect((await new Browser(gh.url).post(`/console/api/invitations/${old.secret}/accept`, {})).status).toBe(409)
    // A valid or used link asks for nothing: still 202, no mail.
    expect((await browser.post(`/console/api/invitations/${fresh.secret}/renewal`)).status).toBe(202)
    expect((await invitations('late.lou@new.example')).length).toBe(2)
  })

  it('resends (a new link; the older stops working) and revokes (the link then says withdrawn)', async () => {
    await owner.post(wsPath('/invites'), { invites: [{ email: 'rey.resend@new.example' }, { email: 'rob.revoked@new.example' }] })
    const first = await lastInvitation('rey.resend@new.example')
    const resent = await owner.post(wsPath('/invites/resend'), { emails: ['REY.resend@new.example'] })
    expect(resent.status, resent.text).toBe(200)
    expect(resent.body.data).toEqual({ mailed: 1 })
    const second = await lastInvitation('rey.resend@new.example')
    expect(second.secret).not.toBe(first.secret)
    const anonymous = new Browser(gh.url)
    expect((await anonymous.get(`/console/api/invitations/${first.secret}`)).body.data.invitation.status).toBe('expired')
    expect((await anonymous.get(`/console/api/invitations/${second.secret}`)).body.data.invitation.status).toBe('valid')
    const unknown = await owner.post(wsPath('/invites/resend'), { emails: ['nobody@new.example'] })
    expect(unknown.status).toBe(404)
    expect(errorOf(unknown).field).toBe('emails')

    const { secret } = await lastInvitation('rob.revoked@new.example')
    const revoked = await owner.delete(`${wsPath('/invites')}?emails=rob.revoked@new.example`)
    expect(revoked.status, revoked.text).toBe(200)
    expect((await anonymous.get(`/console/api/invitations/${secret}`)).body.data.invitation.status).toBe('revoked')
    const accept = await anonymous.post(`/console/api/invitations/${secret}/accept`, { name: 'Rob', password: GOOD_PASSWORD })
    expect(accept.status).toBe(409)
    expect(errorOf(accept).message).toBe('This invitation was withdrawn by the workspace')
  })

  it("keeps owners to their own workspace's invites (404), members out (403), and changes need CSRF", async () => {
    await other.http.post('/invites', { invites: [{ email: 'b.invite@new.example' }] })
    expect((await owner.get(wsPath('/invites', other.id))).status).toBe(404)
    expect((await owner.post(wsPath('/invites/resend', other.id), { emails: ['b.invite@new.example'] })).status).toBe(404)
    expect((await owner.delete(`${wsPath('/invites', other.id)}?emails=b.invite@new.example`)).status).toBe(404)
    expect((await other.http.get('/invites')).body.data.invites).toContain('b.invite@new.example')
    expect(await invitations('b.invite@new.example')).toHaveLength(1)

    expect((await member.get(wsPath('/invites'))).status).toBe(403)
    expect((await member.post(wsPath('/invites'), { invites: [{ email: 'x@new.example' }] })).status).toBe(403)
    expect((await member.get(wsPath('/labels'))).status).toBe(403)
    expect((await member.get(wsPath('/roles'))).status).toBe(200)
    const noCsrf = await owner.post(wsPath('/invites'), { invites: [{ email: 'csrf@new.example' }] }, { 'x-csrf-token': '' })
    expect(noCsrf.status).toBe(403)
    expect(await invitations('csrf@new.example')).toHaveLength(0)
    expect((await new Browser(gh.url).get(wsPath('/invites'))).status).toBe(401)
  })

  it('answers bad input with an envelope naming the field', async () => {
    const badEmail = await owner.post(wsPath('/invites'), { invites: [{ email: 'not-an-email' }] })
    expect(badEmail.status).toBe(422)
    expect(errorOf(badEmail).field).toMatch(/^invites\.0\.email/)
    const badRole = await owner.post(wsPath('/invites'), { invites: [{ email: 'r@new.example', permissions: [{ roleId: 'nope' }] }] })
    expect(badRole.status).toBe(422)
    expect(errorOf(badRole).field).toMatch(/^invites\.0\.permissions/)
    const member = await owner.post(wsPath('/invites'), { invites: [{ email: 'mia.member@acme.example' }] })
    expect(member.status).toBe(409)
    expect(errorOf(member).field).toBe('invites.0.email')
    const unknownGroup = await owner.post(wsPath('/invites'), { invites: [{ email: 'g@new.example' }], groupIds: ['nope'] })
    expect(unknownGroup.status).toBe(404)
    expect(await invitations('g@new.example')).toHaveLength(0) // rolled back with the change
    const extra = await owner.post(wsPath('/invites'), { invites: [{ email: 'e@new.example' }], extra: 1 })
    expect(extra.status).toBe(422)
    expect((await new Browser(gh.url).get('/console/api/invitations/not-a-real-token')).status).toBe(404)
    const extraAccept = await new Browser(gh.url).post('/console/api/invitations/x/accept', { password: 'x', admin: true })
    expect(extraAccept.status).toBe(422)
    const text = await new Browser(gh.url).post('/console/api/invitations/x/accept', 'name=x', { 'content-type': 'text/plain' })
    expect(text.status).toBe(415)
  })

  it('keeps plan rules: a Team workspace sees Business-only roles unavailable and cannot invite into groups', async () => {
    const team = await gh.workspace({ plan: 'team' })
    const teamOwner = await signInAs(team.owner.email)
    const roles = await teamOwner.get(wsPath('/roles', team.id))
    expect(roles.status, roles.text).toBe(200)
    expect(roles.body.data.plan).toBe('team')
    const byId = new Map(roles.body.data.roles.map((r: any) => [r.id, r]))
    expect(byId.get(SOURCE_ADMIN)).toMatchObject({ available: true, labelScoped: true, resourceTypes: ['WORKSPACE', 'SOURCE'] })
    expect(byId.get(SOURCE_READ_ONLY)).toMatchObject({ available: false, businessOnly: true })
    const denied = await teamOwner.post(wsPath('/invites', team.id), {
      invites: [{ email: 't@new.example', permissions: [{ roleId: SOURCE_READ_ONLY }] }],
    })
    expect(denied.status).toBeGreaterThanOrEqual(400)
    expect(denied.status).toBeLessThan(500)
    const groups = await teamOwner.post(wsPath('/invites', team.id), { invites: [{ email: 't@new.example' }], groupIds: ['g'] })
    expect(groups.status).toBe(400)
    expect(await invitations('t@new.example')).toHaveLength(0)
  })

  it('lists labels with where they are used, creates them, and refuses to delete one in use (409)', async () => {
    const created = await owner.post(wsPath('/labels'), { label: { key: 'team', value: 'growth', description: 'Growth team' } })
    expect(created.status, created.text).toBe(201)
    expect(created.body.data.label).toMatchObject({ key: 'team', value: 'growth', description: 'Growth team', usedBy: 0 })
    expect((await owner.post(wsPath('/labels'), { label: { key: 'team', value: 'growth' } })).status).toBe(409)
    expect((await owner.post(wsPath('/labels'), { label: { key: '1bad', value: 'x' } })).status).toBe(422)
    await owner.post(wsPath('/invites'), {
      invites: [{ email: 'lab@new.example', permissions: [{ roleId: SOURCE_ADMIN, labels: [{ key: 'team', value: 'growth' }] }] }],
    })
    const list = await owner.get(wsPath('/labels'))
    expect(list.body.data.labels.find((l: any) => l.key === 'team' && l.value === 'growth')).toMatchObject({ usedBy: 1 })
    const inUse = await owner.delete(`${wsPath('/labels')}?key=team&value=growth`)
    expect(inUse.status).toBe(409)
    expect(errorOf(inUse).message).toContain('in use')
    await owner.delete(`${wsPath('/invites')}?emails=lab@new.example`)
    expect((await owner.delete(`${wsPath('/labels')}?key=team&value=growth`)).status).toBe(200)
    expect((await owner.delete(`${wsPath('/labels')}?key=team&value=growth`)).status).toBe(404)
    const audit = await sql.all<{ type: string; actor_email: string }>(
      "select type, actor_email from audit_events where workspace_id = ? and resource_name = 'team:growth' order by timestamp",
      [ws.id],
    )
    expect(audit).toEqual([
      { type: 'Label Created', actor_email: ws.owner.email },
      { type: 'Label Deleted', actor_email: ws.owner.email },
    ])
  })

  it('writes no invitation secret to the log (trace level) or to the store in clear', async () => {
    expect(seenSecrets.size).toBeGreaterThan(5)
    const log = logLines.join('\n')
    expect(log).toContain('/console/api/invitations/[redacted]')
    for (const secret of seenSecrets) expect(log.includes(secret), 'an invitation secret in the log').toBe(false)
    const links = await sql.all<Record<string, unknown>>('select * from invite_links')
    const outboxRows = await sql.all<Record<string, unknown>>('select * from outbox')
    const dump = JSON.stringify([links, outboxRows])
    for (const secret of seenSecrets) expect(dump.includes(secret), 'an invitation secret in the store').toBe(false)
  })
})
