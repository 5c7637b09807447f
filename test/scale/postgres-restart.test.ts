import { randomBytes } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { migrateStore } from '../../src/store/open.js'
import { ADMIN_KEY, HttpClient } from '../helpers/gatehouse.js'
import { canRunPrivateCluster, type PrivateCluster, startPrivateCluster } from '../helpers/pg-cluster.js'
import { type ServerProcess, spawnServer } from '../helpers/process.js'
import { type CrashWatch, watchForCrash } from './server-crash.js'

// The database goes away under load and comes back: clients see 503 envelopes meanwhile, never a 500,
// and the server keeps running. A private cluster, so the shared one other suites use stays up.
describe.runIf(canRunPrivateCluster())('a PostgreSQL restart during a request loop', () => {
  let cluster: PrivateCluster
  let server: ServerProcess
  let crash: CrashWatch
  let api: HttpClient

  beforeAll(async () => {
    cluster = startPrivateCluster(54_000 + Math.floor(Math.random() * 1000))
    await migrateStore({ postgresUrl: cluster.url })
    server = await spawnServer(['--database-url', cluster.url, '--admin-key', ADMIN_KEY], {
      GATEHOUSE_SECRET_KEY: randomBytes(32).toString('hex'),
    })
    // A server that dies fails the test with its exit and its stack trace, not with "other side closed".
    crash = watchForCrash(server)
    const admin = new HttpClient(server.url, ADMIN_KEY)
    const ws = await admin.post('/admin/workspaces', { name: 'restart', slug: 'restart', ownerEmail: 'owner@restart.example' })
    api = new HttpClient(server.url, ws.body.data.token)
  }, 90_000)
  afterAll(async () => {
    await server?.stop()
    cluster?.destroy()
  })

  it('answers only 503 envelopes while the database is down and works again after', async () => {
    const seen = new Map<number, number>()
    let running = true
    let bodiesOk = true
    const loop = (async () => {
      for (let i = 0; running && i < 5_000; i++) {
        const res = await crash.alive(api.get('/users?pagination.count=5'))
        seen.set(res.status, (seen.get(res.status) ?? 0) + 1)
        if (res.status !== 200 && !(res.status === 503 && res.body?.errors?.[0]?.status === 503)) bodiesOk = false
        if (res.status !== 200) await new Promise((r) => setTimeout(r, 20))
      }
    })()
    loop.catch(() => {}) // awaited below; meanwhile a crash must not surface as an unhandled rejection
    await new Promise((r) => setTimeout(r, 300))
    cluster.stop()
    const ready = new HttpClient(server.url, undefined)
    expect((await crash.alive(ready.get('/readyz'))).status).toBe(503)
    await new Promise((r) => setTimeout(r, 1_000))
    cluster.start()
    // the pool replaces its dead connections; give it a moment, then the loop must see 200s again
    const deadline = Date.now() + 15_000
    let last = 0
    while (Date.now() < deadline) {
      last = (await crash.alive(api.get('/'))).status
      if (last === 200) break
      await new Promise((r) => setTimeout(r, 200))
    }
    running = false
    await loop
    expect(last).toBe(200)
    expect((await crash.alive(ready.get('/readyz'))).status).toBe(200)
    expect([...seen.keys()].sort()).toEqual([200, 503])
    expect(bodiesOk).toBe(true)
    crash.assertAlive()
    expect(server.output()).not.toMatch(/unhandled|Internal server error/i)
  }, 60_000)
})
