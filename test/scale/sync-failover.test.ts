import { randomBytes } from 'node:crypto'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { newId } from '../../src/ids.js'
import { migrateStore } from '../../src/store/open.js'
import { ADMIN_KEY, type Gatehouse, HttpClient, type SeededWorkspace, startGatehouse } from '../helpers/gatehouse.js'
import { createTestSchema } from '../helpers/postgres.js'
import { type ServerProcess, spawnServer } from '../helpers/process.js'

// Directory syncs across replicas: a replica killed mid-sync leaves its run failed, and another replica takes
// the connection over without waiting for its next scheduled time. Both replicas run their schedulers, as in
// a real deployment; the remote is a separate Gatehouse whose answers are slowed so a run lasts seconds.
const SECRET_KEY = randomBytes(32).toString('hex')
const STALE_AFTER_S = 4
const USERS = 1_500

interface Run {
  id: string
  state: string
  complete: boolean
  owner: string | null
  error: string | null
  trigger: string
  started_at: string
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await probe()
    if (value !== undefined) return value
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 100))
  }
}

describe('sync runs across replicas', () => {
  let remote: Gatehouse
  let workspace: SeededWorkspace
  let schema: Awaited<ReturnType<typeof createTestSchema>>
  let replicas: ServerProcess[]
  let connectionId: string

  const runsOf = async (via: HttpClient): Promise<Run[]> => {
    const res = await via.get(`/directory/sync-runs?connection_id=${connectionId}`)
    expect(res.status, res.text).toBe(200)
    return res.body.result
  }

  beforeAll(async () => {
    remote = await startGatehouse()
    workspace = await remote.workspace()
    for (let i = 0; i < USERS; i += 1000)
      await remote.addUsers(
        workspace,
        Array.from({ length: Math.min(1000, USERS - i) }, (_, j) => `user${i + j}@failover.example`),
      )
    schema = await createTestSchema()
    await migrateStore({ postgresUrl: schema.url })
    replicas = await Promise.all(
      [0, 1].map(() =>
        spawnServer(
          ['--database-url', schema.url, '--admin-key', ADMIN_KEY, '--sync-stale-after', String(STALE_AFTER_S), '--log-level', 'error'],
          { GATEHOUSE_SECRET_KEY: SECRET_KEY },
        ),
      ),
    )
  })
  afterAll(async () => {
    await Promise.all((replicas ?? []).map((r) => r.stop()))
    await schema?.drop()
    await remote?.stop()
  })

  it('fails the run of a replica killed mid-sync, and the other replica runs the connection to completion', async () => {
    const admin = new HttpClient(replicas[0]!.url, ADMIN_KEY)
    const key = await admin.post('/admin/directory/api-keys', { description: 'failover' })
    expect(key.status, key.text).toBe(201)
    const clients = replicas.map((r) => new HttpClient(r.url, key.body.data.secret))

    // Every remote call of this workspace now takes 400 ms: a full read takes several seconds.
    const fault = await remote.admin.post('/admin/faults', { fault: 'delay', delayMs: 400, workspaceId: workspace.id, durationMs: 120_000 })
    expect(fault.status, fault.text).toBe(201)

    // A new connection is due at once: whichever replica's scheduler ticks first starts it.
    const created = await clients[0]!.post('/directory/connections', { token: workspace.token, baseUrl: remote.url })
    expect(created.status, created.text).toBe(201)
    connectionId = created.body.id
    const first = await until('a running run', async () => (await runsOf(clients[1]!)).find((r) => r.state === 'running'))
    const ownerPid = Number(first.owner?.split(':').at(-2))
    const victim = replicas.findIndex((r) => r.child.pid === ownerPid)
    expect(victim, `the run's owner ${first.owner} is one of the replicas`).toBeGreaterThanOrEqual(0)
    const survivor = clients[1 - victim]!

    // Kill the owner mid-read.
    await new Promise((r) => setTimeout(r, 1_000))
    expect((await runsOf(survivor)).find((r) => r.id === first.id)?.state).toBe('running')
    await replicas[victim]!.kill()
    await remote.admin.delete('/admin/faults')

    // The survivor's scheduler finds the run abandoned (its process is gone), fails it, and syncs again;
    // the connection's next scheduled time is an hour away, so only the takeover can start that run.
    const after = await until('a completed run after the killed one', async () => {
      const runs = await runsOf(survivor)
      return runs.some((r) => r.id !== first.id && r.state === 'succeeded') ? runs : undefined
    })
    const killed = after.find((r) => r.id === first.id)
    expect(killed).toMatchObject({ state: 'failed', error: expect.stringMatching(/^Abandoned: its process .* is no longer running/) })
    const completed = after.find((r) => r.state === 'succeeded')
    expect(completed).toMatchObject({ complete: true, trigger: 'schedule' })
    expect(Number(completed?.owner?.split(':').at(-2))).toBe(replicas[1 - victim]!.child.pid)
    expect(after.filter((r) => r.state === 'running')).toEqual([])

    // What the later run wrote is the remote, whole: every user and the owner.
    const users = await survivor.get(`/directory/users?connection_id=${connectionId}&limit=1000`)
    const more = await survivor.get(`/directory/users?connection_id=${connectionId}&limit=1000&cursor=${users.body.next_cursor}`)
    expect(users.body.result.length + more.body.result.length).toBe(USERS + 1)
    expect(more.body.next_cursor).toBeNull()
  })

  it('takes over a run whose replica on another host stopped beating, once it is stale and not before', async () => {
    const survivor = replicas.find((r) => r.child.exitCode === null && r.child.signalCode === null)!
    // A run owned by a process this host cannot see: only the heartbeat tells whether it is alive.
    const client = new pg.Client({ connectionString: schema.url })
    await client.connect()
    const runId = newId()
    const beganAt = Date.now()
    try {
      await client.query(
        `insert into dir_sync_runs (id, connection_id, state, trigger, complete, stats, owner, heartbeat_at, started_at)
         values ($1, $2, 'running', 'schedule', 0, '{}', 'replica-on-another-host:4242:abcdef', $3, $3)`,
        [runId, connectionId, new Date(beganAt).toISOString()],
      )
    } finally {
      await client.end()
    }
    const key = await new HttpClient(survivor.url, ADMIN_KEY).post('/admin/directory/api-keys', { description: 'stale' })
    const via = new HttpClient(survivor.url, key.body.data.secret)

    // While its heartbeat is fresh, the run is left alone: a second run would be refused.
    await new Promise((r) => setTimeout(r, (STALE_AFTER_S * 1000) / 2))
    expect((await runsOf(via)).find((r) => r.id === runId)?.state).toBe('running')
    expect((await via.post(`/directory/connections/${connectionId}/sync`)).status).toBe(409)

    const runs = await until('the stale run taken over and a new run completed', async () => {
      const all = await runsOf(via)
      const stale = all.find((r) => r.id === runId)
      return stale?.state === 'failed' && all.some((r) => r.state === 'succeeded' && r.started_at > stale.started_at) ? all : undefined
    })
    expect(runs.find((r) => r.id === runId)).toMatchObject({
      state: 'failed',
      error: expect.stringMatching(/^Abandoned: its process \(replica-on-another-host:4242:abcdef\) stopped reporting after/),
    })
    // Taken over after the stale window, never before it.
    const takenOver = runs.find((r) => r.state === 'succeeded' && r.started_at > new Date(beganAt).toISOString())
    expect(Date.parse(takenOver!.started_at) - beganAt).toBeGreaterThanOrEqual(STALE_AFTER_S * 1000)
  })
})
