import { randomBytes } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { migrateStore } from '../../src/store/open.js'
import { ADMIN_KEY, HttpClient } from '../helpers/gatehouse.js'
import { createTestSchema } from '../helpers/postgres.js'
import { type ServerProcess, spawnServer } from '../helpers/process.js'

// Several stateless replicas on one PostgreSQL: what one writes the other reads at once, and rate limits
// and membership counts hold across them. Replicas are separate processes, as in a real deployment.
const SECRET_KEY = randomBytes(32).toString('hex')

async function replicas(count: number, url: string, extra: string[] = []): Promise<ServerProcess[]> {
  return Promise.all(
    Array.from({ length: count }, () =>
      spawnServer(['--database-url', url, '--admin-key', ADMIN_KEY, ...extra], { GATEHOUSE_SECRET_KEY: SECRET_KEY }),
    ),
  )
}

async function seedWorkspace(admin: HttpClient): Promise<{ id: string; token: string }> {
  const slug = `replica-${randomBytes(4).toString('hex')}`
  const res = await admin.post('/admin/workspaces', { name: slug, slug, ownerEmail: `owner@${slug}.example` })
  expect(res.status).toBe(201)
  return { id: res.body.data.workspace.id, token: res.body.data.token }
}

describe('two replicas on one PostgreSQL', () => {
  let schema: Awaited<ReturnType<typeof createTestSchema>>
  let servers: ServerProcess[]
  let a: HttpClient
  let b: HttpClient

  beforeAll(async () => {
    schema = await createTestSchema()
    await migrateStore({ postgresUrl: schema.url })
    servers = await replicas(2, schema.url)
    const ws = await seedWorkspace(new HttpClient(servers[0]!.url, ADMIN_KEY))
    a = new HttpClient(servers[0]!.url, ws.token)
    b = new HttpClient(servers[1]!.url, ws.token)
  })
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.stop()))
    await schema.drop()
  })

  it('reads through one replica what the other just wrote', async () => {
    const created = await a.post('/groups', { name: 'written-on-a' })
    expect(created.status).toBe(200)
    const read = await b.get(`/groups/${created.body.data.userGroup.id}`)
    expect(read.status).toBe(200)
    expect(read.body.data.userGroup.name).toBe('written-on-a')
    const list = await b.get('/groups')
    expect(list.body.data.userGroups.map((g: { name: string }) => g.name)).toContain('written-on-a')
  })

  it('counts 50 concurrent membership writes split across replicas exactly', async () => {
    const group = (await a.post('/groups', { name: 'contended' })).body.data.userGroup
    const emails = Array.from({ length: 50 }, (_, i) => `member${i}@contended.example`)
    const results = await Promise.all(
      emails.map((email, i) => (i % 2 === 0 ? a : b).post(`/groups/${group.id}/users`, { emails: [email] })),
    )
    expect(results.map((r) => r.status)).toEqual(emails.map(() => 200))
    const after = await b.get(`/groups/${group.id}`)
    expect(after.body.data.userGroup.memberCount).toBe(0) // members by email that are not users are pending invites
    const invites = await a.get(`/groups/${group.id}/invites?pagination.count=1000`)
    expect(invites.body.data.emails.sort()).toEqual([...emails].sort())
    expect(invites.body.data.pagination.totalEntries).toBe(50)
  })

  it('keeps memberCount exact when 50 members join concurrently through both replicas', async () => {
    const admin = new HttpClient(servers[0]!.url, ADMIN_KEY)
    // A workspace of its own: the previous test spent most of this endpoint's 60-a-minute budget.
    const workspace = await seedWorkspace(admin)
    const a = new HttpClient(servers[0]!.url, workspace.token)
    const b = new HttpClient(servers[1]!.url, workspace.token)
    const emails = Array.from({ length: 50 }, (_, i) => `user${i}@members.example`)
    expect((await admin.post(`/admin/workspaces/${workspace.id}/users`, { users: emails.map((email) => ({ email })) })).status).toBe(201)
    const group = (await a.post('/groups', { name: 'members' })).body.data.userGroup
    const results = await Promise.all(emails.map((email, i) => (i % 2 === 0 ? a : b).post(`/group/${group.id}/users`, { emails: [email] })))
    expect(results.map((r) => r.status)).toEqual(emails.map(() => 200))
    const after = await b.get(`/groups/${group.id}`)
    expect(after.body.data.userGroup.memberCount).toBe(50)
    const members = await a.get(`/groups/${group.id}/users?pagination.count=1000`)
    expect(members.body.data.users).toHaveLength(50)
    expect(members.body.data.pagination.totalEntries).toBe(50)
  })
})

describe.each([
  ['postgres', [] as string[]],
  ['redis', ['--rate-limit-store', 'redis', '--redis-url', 'redis://127.0.0.1:6379']],
])('rate limits shared by two replicas through %s', (_store, flags) => {
  let schema: Awaited<ReturnType<typeof createTestSchema>>
  let servers: ServerProcess[]

  beforeAll(async () => {
    schema = await createTestSchema()
    await migrateStore({ postgresUrl: schema.url })
    servers = await replicas(2, schema.url, flags)
  })
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.stop()))
    await schema.drop()
  })

  it('answers the 61st write to one endpoint with 429, however the writes are split', async () => {
    const ws = await seedWorkspace(new HttpClient(servers[0]!.url, ADMIN_KEY))
    const clients = servers.map((s) => new HttpClient(s.url, ws.token))
    const statuses: number[] = []
    for (let i = 0; i < 60; i++) statuses.push((await clients[i % 2]!.post('/groups', { name: `g${i}` })).status)
    expect(statuses).toEqual(Array(60).fill(200))
    const over = await clients[1]!.post('/groups', { name: 'g60' })
    expect(over.status).toBe(429)
    expect(over.body.errors[0]).toMatchObject({ type: 'RequestError', message: 'Too many requests', data: { remainingPoints: 0 } })
    // the write budget is per endpoint: another endpoint still works on both replicas
    expect((await clients[0]!.post('/labels', { label: { key: 'team', value: 'core' } })).status).toBe(201)
  })
})
