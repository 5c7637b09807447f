import { readFileSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Fixture, FixtureError, type Gatehouse, parseFixture, startGatehouse } from '../../src/emulator/index.js'
import { exportWorkspace } from '../../src/fixtures/export.js'
import { HttpClient } from '../helpers/gatehouse.js'
import { createTestSchema } from '../helpers/postgres.js'
import { bigFixture } from './support.js'

const EXAMPLE_FILE = new URL('../../docs/fixtures.example.json', import.meta.url).pathname
const example = (): Fixture => JSON.parse(readFileSync(EXAMPLE_FILE, 'utf8'))
const ACME_OWNER_TOKEN = 'sgp_AcmeOwnerToken00000000000000000000000000000000000000000000000001'
const ACME_ID = '2AcmeWorkspace000000000001'

const exported = (gh: Gatehouse, ref: string) => gh.server.store.read((q) => exportWorkspace(q, ref))
const asOwner = (gh: Gatehouse, token = ACME_OWNER_TOKEN) => new HttpClient(gh.url, token)
const adminOf = (gh: Gatehouse) => new HttpClient(gh.url, gh.adminKey)

describe('startGatehouse', () => {
  let one: Gatehouse
  let two: Gatehouse
  beforeAll(async () => {
    ;[one, two] = await Promise.all([startGatehouse({ seed: EXAMPLE_FILE }), startGatehouse({ seed: example() })])
  })
  afterAll(async () => {
    await Promise.all([one?.stop(), two?.stop()])
  })

  it('listens on 127.0.0.1 on its own port, with the seed’s fixed token secrets and ids', async () => {
    expect(one.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
    expect(one.url).not.toBe(two.url)
    const res = await asOwner(one).get('/users?pagination[count]=10')
    expect(res.status).toBe(200)
    expect(res.body.data.users.map((u: { email: string }) => u.email)).toEqual([
      'owner@acme.example',
      'member@acme.example',
      'dev@acme.example',
      'minimal@acme.example',
    ])
    const ws = await asOwner(one).get('/')
    expect(ws.body.data.workspace.id).toBe(ACME_ID)
    const member = await new HttpClient(one.url, example().workspaces[0]?.tokens?.[1]?.secret).get('/users')
    expect(member.status).toBe(200)
  })

  it('keeps two emulators in one process apart', async () => {
    const created = await one.createWorkspace({ slug: 'only-in-one' })
    expect(created.token).toMatch(/^sgp_/)
    await one.addUsers(created.workspace.id, ['a@x.example', { email: 'b@x.example', name: 'B' }])
    expect((await new HttpClient(one.url, created.token).get('/users')).body.data.users).toHaveLength(3)
    // The same slug is free in the other, the token is unknown there, and the seeded data differs only by what was added.
    expect((await new HttpClient(two.url, created.token).get('/users')).status).toBe(401)
    const inTwo = await adminOf(two).get('/admin/workspaces')
    expect(inTwo.body.data.workspaces.map((w: { slug: string }) => w.slug).sort()).toEqual(['acme', 'globex'])
    expect(one.adminKey).not.toBe(two.adminKey)
    expect((await new HttpClient(two.url, one.adminKey).get('/admin/workspaces')).status).toBe(401)
  })

  it('mails the seed’s invitations into the outbox (nothing is sent)', async () => {
    const outbox = await adminOf(two).get('/admin/outbox')
    expect(outbox.status).toBe(200)
    const to = outbox.body.data.messages.map((m: { to: string }) => m.to).sort()
    expect(to).toEqual(['contractor@agency.example', 'new.hire@acme.example'])
  })

  it('resets everything to the seed: added workspaces, users, audit and outbox go, the seed comes back', async () => {
    const before = await exported(one, 'acme')
    const extra = await one.createWorkspace()
    await one.addUsers('acme', ['late@acme.example'])
    expect((await asOwner(one).post('/groups', { name: 'Late group' })).status).toBe(200)
    await adminOf(one).post('/admin/faults', { fault: 'error', count: 5 })
    const started = performance.now()
    await one.reset()
    const ms = performance.now() - started
    console.log(`reset of the example fixture: ${ms.toFixed(1)} ms`)
    expect(await exported(one, 'acme')).toEqual(before)
    expect((await adminOf(one).get(`/admin/workspaces/${extra.workspace.id}`)).status).toBe(404)
    const slugs = (await adminOf(one).get('/admin/workspaces')).body.data.workspaces.map((w: { slug: string }) => w.slug)
    expect(slugs.sort()).toEqual(['acme', 'globex'])
    expect((await adminOf(one).get('/admin/faults')).body.data.faults).toEqual([])
    // Only the seed's own audit events are left.
    const audit = await asOwner(one).get('/audit-events?pagination[count]=200')
    expect(audit.status).toBe(200)
    expect(audit.body.data.events.some((e: { resourceName?: string }) => e.resourceName === 'Late group')).toBe(false)
    // The token the seed fixed still works; the outbox holds the seed's two invitations again.
    expect((await asOwner(one).get('/users')).status).toBe(200)
    expect((await adminOf(one).get('/admin/outbox')).body.data.messages).toHaveLength(2)
  })

  it('resets one workspace to its seed and leaves the others', async () => {
    await one.addUsers('acme', ['late@acme.example'])
    await one.addUsers('globex', ['stays@globex.example'])
    const other = await one.createWorkspace()
    await one.resetWorkspace('acme')
    expect((await exported(one, 'acme'))?.users.map((u) => u.email)).not.toContain('late@acme.example')
    expect((await exported(one, 'globex'))?.users.map((u) => u.email)).toContain('stays@globex.example')
    const notSeeded = await adminOf(one).post(`/admin/workspaces/${other.workspace.id}/reset`)
    expect(notSeeded.status).toBe(409)
    expect(notSeeded.body.errors[0].message).toContain('not in the seed')
    expect((await adminOf(one).post('/admin/workspaces/nope/reset')).status).toBe(404)
    expect((await new HttpClient(one.url, 'wrong-admin-key-0000').post('/admin/reset')).status).toBe(401)
  })
})

describe('fixtures', () => {
  const broken = (edit: (f: Fixture) => void) => {
    const f = example()
    edit(f)
    return f
  }
  const messageOf = (f: unknown) => {
    try {
      parseFixture(f)
    } catch (error) {
      expect(error).toBeInstanceOf(FixtureError)
      return (error as Error).message
    }
    throw new Error('the fixture was accepted')
  }

  it('names the bad path in every refusal', () => {
    const users = (f: Fixture) => f.workspaces[0]?.users ?? []
    expect(messageOf(broken((f) => ((users(f)[3] as { email: string }).email = 'not-an-email')))).toBe(
      'workspaces[0].users[3].email: must be an email',
    )
    expect(messageOf(broken((f) => ((f.workspaces[1]?.tokens?.[0] as { secret: string }).secret = 'sgp_short')))).toMatch(
      /^workspaces\[1\]\.tokens\[0\]\.secret: must be sgp_ followed by 64/,
    )
    expect(messageOf(broken((f) => Object.assign(f.workspaces[0] as object, { colour: 'red' })))).toBe(
      'workspaces[0].colour: is not a fixture field',
    )
    expect(messageOf(broken((f) => delete (f.workspaces[0] as { slug?: string }).slug))).toBe('workspaces[0].slug: is required')
    expect(messageOf(broken((f) => ((f.workspaces[1] as { slug: string }).slug = 'acme')))).toBe(
      'workspaces[1].slug: slug acme appears more than once',
    )
    expect(messageOf(broken((f) => (f.workspaces[1] as { users: unknown[] }).users.splice(0, 1, { email: 'x@globex.example' })))).toBe(
      'workspaces[1].users: at least one user must hold the Workspace Owner role on the workspace',
    )
    expect(messageOf(broken((f) => f.workspaces[0]?.groups?.[0]?.members?.push('stranger@acme.example')))).toBe(
      "workspaces[0].groups[0].members[2]: stranger@acme.example is not one of the workspace's users",
    )
    expect(
      messageOf(
        broken((f) => {
          const token = f.workspaces[0]?.tokens?.[0]
          if (f.workspaces[1]?.tokens?.[0] && token) f.workspaces[1].tokens[0].secret = token.secret as string
        }),
      ),
    ).toBe('workspaces[1].tokens[0].secret: the same secret is given to another token')
    expect(messageOf({ workspaces: 'none' })).toBe('workspaces: must be array')
  })

  it('refuses what only the IAM rules know (an unknown role or label) with the path, and leaves the store empty', async () => {
    const bad = broken((f) => {
      const dev = f.workspaces[0]?.users[2]
      if (dev) dev.permissions = [{ role: 'Source Admin', resources: [{ type: 'WORKSPACE', labels: [{ key: 'team', value: 'nope' }] }] }]
    })
    await expect(startGatehouse({ seed: bad })).rejects.toThrow(
      /^workspaces\[0\]\.users\[2\]\.permissions: .*label team:nope does not exist/,
    )
    const unknownRole = broken((f) => ((f.workspaces[0]?.users[1]?.permissions ?? [])[0] = { role: 'Emperor' }))
    await expect(startGatehouse({ seed: unknownRole })).rejects.toThrow(
      'workspaces[0].users[1].permissions[0].role: no role is named Emperor',
    )
  })

  it('round-trips through export: seed → export → seed a fresh emulator → the same export', async () => {
    const first = await startGatehouse({ seed: EXAMPLE_FILE })
    const second = await startGatehouse({ seed: example() })
    try {
      const a = { workspaces: [await exported(first, 'acme'), await exported(first, 'globex')] } as Fixture
      // Export carries no secrets; seeding it makes new random ones.
      expect(a.workspaces[0]?.tokens).toEqual([
        { description: 'CI token', role: 'OWNER' },
        { description: 'Read-mostly token', role: 'MEMBER' },
      ])
      expect(a.workspaces[0]?.id).toBe(ACME_ID)
      const third = await startGatehouse({ seed: a })
      try {
        const b = { workspaces: [await exported(third, 'acme'), await exported(third, 'globex')] }
        expect(b).toEqual(a)
        // Ids kept by the seed: the globex id (not in the file) is the same after a reset.
        const globexId = b.workspaces[1]?.id
        await third.reset()
        expect((await exported(third, 'globex'))?.id).toBe(globexId)
      } finally {
        await third.stop()
      }
      expect(await exported(second, 'acme')).toEqual(a.workspaces[0])
    } finally {
      await Promise.all([first.stop(), second.stop()])
    }
  })
})

describe('reset speed', () => {
  it('resets a 1,000-user fixture in well under a second (measured and printed)', async () => {
    const gh = await startGatehouse({ seed: bigFixture(1000), rateLimit: 'off' })
    try {
      await gh.addUsers('big', ['extra@big.example'])
      const times: number[] = []
      for (let i = 0; i < 5; i++) {
        const started = performance.now()
        await gh.reset()
        times.push(performance.now() - started)
      }
      const best = Math.min(...times)
      console.log(
        `reset of a 1,000-user fixture on in-memory SQLite: best ${best.toFixed(1)} ms, all ${times.map((t) => t.toFixed(0)).join(' ')} ms`,
      )
      expect(best).toBeLessThan(1000)
      const users = await new HttpClient(gh.url, `sgp_${'B'.repeat(64)}`).get('/users?pagination[count]=1')
      expect(users.body.data.pagination.totalEntries).toBe(1001)
    } finally {
      await gh.stop()
    }
  })
})

describe('on PostgreSQL ({ databaseUrl })', () => {
  const KEY = 'a'.repeat(64)
  it('seeds, resets and resets one workspace', async () => {
    const schema = await createTestSchema()
    try {
      const gh = await startGatehouse({ seed: EXAMPLE_FILE, databaseUrl: schema.url, secretKey: KEY })
      try {
        const before = await exported(gh, 'acme')
        expect(before?.users).toHaveLength(4)
        await gh.addUsers('acme', ['late@acme.example'])
        await gh.createWorkspace({ slug: 'extra' })
        await gh.reset()
        expect(await exported(gh, 'acme')).toEqual(before)
        expect(await exported(gh, 'extra')).toBeUndefined()
        await gh.addUsers('acme', ['late@acme.example'])
        await gh.resetWorkspace(ACME_ID)
        expect(await exported(gh, 'acme')).toEqual(before)
        expect((await asOwner(gh).get('/users')).status).toBe(200)
      } finally {
        await gh.stop()
      }
      // A second start on the same schema with the same seed keeps its data; another seed is refused.
      const again = await startGatehouse({ seed: EXAMPLE_FILE, databaseUrl: schema.url, secretKey: KEY })
      expect(await exported(again, 'acme')).toBeDefined()
      await again.stop()
      await expect(startGatehouse({ seed: bigFixture(3), databaseUrl: schema.url, secretKey: KEY })).rejects.toThrow(
        /already holds 2 workspaces seeded from another fixture/,
      )
    } finally {
      await schema.drop()
    }
  })
})
