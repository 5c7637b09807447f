import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { hashSecret } from '../../src/auth/secrets.js'
import { ROLES } from '../../src/iam/rules/roles.js'
import { HttpClient } from '../helpers/gatehouse.js'
import { type ConsoleServer, startConsoleServer } from './console-support.js'
import { Browser, errorOf } from './support.js'

describe('the demo workspace of a first start', () => {
  let cs: ConsoleServer
  let printed: string
  let api: HttpClient
  const logLines: string[] = []

  beforeAll(async () => {
    cs = await startConsoleServer({ demo: true, logStream: { write: (line) => void logLines.push(line) } })
    printed = cs.printed.join('\n')
    const token = /^ {2}curl -s -H "Authorization: Bearer (sgp_\S+)" (\S+)$/m.exec(printed)
    expect(token, printed).not.toBeNull()
    expect(token?.[2]).toBe(`${cs.url}/users`)
    api = new HttpClient(cs.url, token?.[1])
  })
  afterAll(async () => {
    await cs?.stop()
  })

  it('prints a sign-in link that opens the console as the demo owner, once', async () => {
    const line = /^Sign in to the console \(once, within 24 hours\): (\S+)\/console\/link\/([0-9A-Za-z]{43})$/m.exec(printed)
    expect(line, printed).not.toBeNull()
    const [, base, token] = line as RegExpExecArray
    expect(base).toBe(cs.url)
    // The token, curl and SDK lines are still there.
    expect(printed).toContain("require('@segment/public-api-sdk-typescript')")

    const browser = new Browser(cs.url)
    const info = await browser.get(`/console/api/links/${token}`)
    expect(info.body.data.link).toMatchObject({ purpose: 'sign_in', email: 'owner@demo.example', status: 'valid' })
    const hoursLeft = (Date.parse(info.body.data.link.expiresAt) - Date.now()) / 3600_000
    expect(hoursLeft).toBeGreaterThan(23.9)
    expect(hoursLeft).toBeLessThanOrEqual(24)

    expect((await browser.post(`/console/api/links/${token}/session`)).status).toBe(200)
    const session = await browser.get('/console/api/session')
    expect(session.status).toBe(200)
    expect(session.body.data.account).toMatchObject({ email: 'owner@demo.example', name: 'Demo Owner' })
    expect(session.body.data.workspaces).toEqual([expect.objectContaining({ slug: 'demo', name: 'Demo Workspace' })])
    const workspaceId = session.body.data.workspaces[0].id
    expect((await browser.get(`/console/api/workspaces/${workspaceId}/access`)).body.data.owner).toBe(true)

    const again = await new Browser(cs.url).post(`/console/api/links/${token}/session`)
    expect(again.status).toBe(409)
    expect(errorOf(again).data).toEqual({ status: 'used' })

    // Only its hash is stored, and no log line carries it.
    const stored = await cs.server.store.read((q) => q.accounts.findLinkByHash(hashSecret(token as string)))
    expect(stored).toMatchObject({ purpose: 'sign_in', email: 'owner@demo.example' })
    expect(logLines.length).toBeGreaterThan(0)
    expect(logLines.filter((l) => l.includes(token as string))).toEqual([])
  })

  it('holds people with varied roles, groups with members and permissions, invites and labels', async () => {
    const users = (await api.get('/users?pagination.count=200')).body.data.users
    expect(users).toHaveLength(40)
    const roleNames = new Set(users.flatMap((u: any) => u.permissions.map((p: any) => p.roleName)))
    for (const name of ['Workspace Owner', 'Workspace Member', 'Minimal Workspace Access', 'Source Admin', 'Source Read-only'])
      expect(roleNames).toContain(name)
    expect(roleNames.size).toBeGreaterThanOrEqual(10)
    for (const name of roleNames) expect(ROLES.map((r) => r.name)).toContain(name)

    const groups = (await api.get('/groups')).body.data.userGroups
    expect(groups.length).toBeGreaterThanOrEqual(4)
    for (const group of groups) {
      expect(group.memberCount, group.name).toBeGreaterThan(0)
      expect(group.permissions.length, group.name).toBeGreaterThan(0)
    }
    expect((await api.get('/invites')).body.data.invites).toHaveLength(5)
    const labels = (await api.get('/labels')).body.data.labels.map((l: any) => `${l.key}:${l.value}`)
    expect(labels.length).toBeGreaterThanOrEqual(4)
    // Label-scoped grants use them.
    expect(JSON.stringify(users)).toContain('"labels":[{"key":"environment","value":"prod"}]')

    // Made through the IAM's operations: the audit trail tells it.
    const events = (await api.get('/audit-events?pagination.count=1000')).body.data.events.map((e: any) => e.type)
    for (const type of [
      'Workspace Created',
      'User Added To Workspace',
      'Policy Created',
      'User Group Created',
      'User Added To User Group',
      'New Segment User Invited to Workspace',
      'Label Created',
    ])
      expect(events, type).toContain(type)
  })
})
