import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runSync } from '../../src/directory/sync/run.js'
import { SyncScheduler } from '../../src/directory/sync/scheduler.js'
import { connect, directoryServerForSuite } from '../helpers/directory.js'
import { type Gatehouse, startGatehouse } from '../helpers/gatehouse.js'
import { createGroup, deleteUsers, seedRemote, waitForRun } from './sync-helpers.js'

describe('sync API and change feed', () => {
  const { gh, api } = directoryServerForSuite()

  it('starts a sync now with 202 and the running run, which can be followed to its end', async () => {
    const ws = await gh.workspace()
    await seedRemote(gh, ws, 'p')
    const conn = await connect(gh, ws)
    const res = await api.post(`/directory/connections/${conn.id}/sync`)
    expect(res.status, res.text).toBe(202)
    expect(res.body).toMatchObject({
      connection_id: conn.id,
      state: 'running',
      trigger: 'api',
      complete: false,
      finished_at: null,
      error: null,
    })
    const done = await waitForRun(api, res.body.id)
    expect(done).toMatchObject({ id: res.body.id, state: 'succeeded', complete: true, pending_deletions: null })
    expect(done.stats).toMatchObject({ seen: { users: 7, groups: 2, memberships: 5 }, requests: 10, rateLimited: 0 })
    expect(done.stats.durationMs).toEqual(expect.any(Number))

    expect((await api.post('/directory/connections/nope/sync')).status).toBe(404)
    const anonymous = await fetch(`${gh.url}/directory/connections/${conn.id}/sync`, { method: 'POST' })
    expect(anonymous.status).toBe(401)
    expect(await anonymous.json()).toEqual({ errors: [expect.objectContaining({ type: 'unauthorized', status: 401 })] })
  })

  it('lists runs newest first, filtered by connection and state, in keyset pages of 1 to 1000', async () => {
    const [a, b] = [await gh.workspace(), await gh.workspace()]
    const [ca, cb] = [await connect(gh, a), await connect(gh, b, { token: 'sgp_revoked' })]
    const ids: string[] = []
    for (let i = 0; i < 3; i++) ids.push((await runSync(gh.server.directory, ca.id, { trigger: 'test' })).id)
    const failed = await runSync(gh.server.directory, cb.id, { trigger: 'test' })
    expect(failed.state).toBe('failed')

    const first = await api.get(`/directory/sync-runs?connection_id=${ca.id}&limit=2`)
    expect(first.status, first.text).toBe(200)
    expect(first.body.result.map((r: any) => r.id)).toEqual([ids[2], ids[1]])
    expect(first.body.next_cursor).toEqual(expect.any(String))
    const second = await api.get(`/directory/sync-runs?connection_id=${ca.id}&limit=2&cursor=${encodeURIComponent(first.body.next_cursor)}`)
    expect(second.body).toEqual({ result: [expect.objectContaining({ id: ids[0] })], next_cursor: null })

    const failures = await api.get(`/directory/sync-runs?state=failed&connection_id=${cb.id}`)
    expect(failures.body.result).toEqual([expect.objectContaining({ id: failed.id, state: 'failed', error: expect.stringMatching(/401/) })])
    expect((await api.get(`/directory/sync-runs?state=held&connection_id=${ca.id}`)).body).toEqual({ result: [], next_cursor: null })

    for (const query of ['limit=0', 'limit=1001', 'state=done', 'cursor=forged']) {
      const bad = await api.get(`/directory/sync-runs?${query}`)
      expect(bad.status, query).toBe(422)
      expect(bad.body.errors[0]).toMatchObject({ type: 'input-validation', status: 422 })
    }
    const missing = await api.get('/directory/sync-runs/0000000000000000000000000000')
    expect(missing.status).toBe(404)
    expect(missing.body.errors[0]).toMatchObject({ type: 'not-found' })
    expect((await api.post(`/directory/sync-runs/${ids[0]}/approve`)).status).toBe(409)
  })

  it('answers a run exactly as the store holds it: every stat, mode included, on its own and in the list', async () => {
    const ws = await gh.workspace()
    const users = await gh.addUsers(
      ws,
      Array.from({ length: 4 }, (_, i) => `k${i}@example.com`),
    )
    const conn = await connect(gh, ws)
    const full = await runSync(gh.server.directory, conn.id, { trigger: 'test' })
    const unchanged = await runSync(gh.server.directory, conn.id, { trigger: 'test' })
    // Two of five accounts gone is above the drift threshold: held, then approved (which adds approvedAt).
    await deleteUsers(
      ws,
      users.slice(0, 2).map((u) => u.id),
    )
    const held = await runSync(gh.server.directory, conn.id, { trigger: 'test' })
    expect(held.state).toBe('held')
    expect((await api.post(`/directory/sync-runs/${held.id}/approve`)).status).toBe(200)

    const listed = await api.get(`/directory/sync-runs?connection_id=${conn.id}`)
    expect(listed.status, listed.text).toBe(200)
    for (const run of [full, unchanged, held]) {
      const stored = await gh.server.store.read((q) => q.dirRuns.find(run.id))
      if (!stored) throw new Error(`run ${run.id} not stored`)
      const asStored = {
        ...stored,
        complete: stored.complete === 1,
        stats: JSON.parse(stored.stats),
        pending_deletions: stored.pending_deletions === null ? null : JSON.parse(stored.pending_deletions),
      }
      const one = await api.get(`/directory/sync-runs/${run.id}`)
      expect(one.status, one.text).toBe(200)
      expect(one.body).toEqual(asStored)
      expect(listed.body.result.find((r: any) => r.id === run.id)).toEqual(asStored)
    }
    const modes = listed.body.result.map((r: any) => [r.id, r.stats.mode])
    expect(modes).toEqual([
      [held.id, 'full'],
      [unchanged.id, 'unchanged'],
      [full.id, 'full'],
    ])
    expect(listed.body.result[0].stats.approvedAt).toEqual(expect.any(String))
  })

  it('serves the change feed in seq order, paged with after and next_cursor', async () => {
    const ws = await gh.workspace()
    await seedRemote(gh, ws, 'e')
    const conn = await connect(gh, ws)
    await runSync(gh.server.directory, conn.id, { trigger: 'test' })
    await createGroup(ws, 'e-late', [`e.ada@example.com`])
    await runSync(gh.server.directory, conn.id, { trigger: 'test' })

    const all = await api.get('/directory/events?limit=1000')
    expect(all.status, all.text).toBe(200)
    expect(all.body.next_cursor).toBeNull()
    const seqs = all.body.result.map((e: any) => e.seq)
    expect(seqs).toEqual([...seqs].sort((x: number, y: number) => x - y))
    expect(new Set(seqs).size).toBe(seqs.length)
    const mine = all.body.result.filter((e: any) => e.connection_id === conn.id)
    expect(mine.slice(-2).map((e: any) => e.type)).toEqual(['group.created', 'membership.added'])
    for (const e of mine) {
      expect(e).toMatchObject({ id: expect.any(String), sync_run_id: expect.any(String), created_at: expect.any(String) })
      if (e.type.startsWith('user.') || e.type.startsWith('group.')) expect(e.data.id).toBe(e.subject_id)
    }

    // Walking the feed three at a time gives the same events in the same order.
    const walked: any[] = []
    let after = '0'
    for (;;) {
      const page = await api.get(`/directory/events?after=${after}&limit=3`)
      expect(page.status).toBe(200)
      walked.push(...page.body.result)
      if (page.body.next_cursor === null) break
      expect(page.body.result).toHaveLength(3)
      after = page.body.next_cursor
    }
    expect(walked).toEqual(all.body.result)

    const mid = seqs[Math.floor(seqs.length / 2)]
    const rest = await api.get(`/directory/events?after=${mid}&limit=1000`)
    expect(rest.body.result).toEqual(all.body.result.filter((e: any) => e.seq > mid))
    expect((await api.get(`/directory/events?after=${seqs.at(-1)}`)).body).toEqual({ result: [], next_cursor: null })
    for (const query of ['after=-1', 'after=abc', 'limit=0', 'limit=5000'])
      expect((await api.get(`/directory/events?${query}`)).status, query).toBe(422)
  })

  it('on stop, gives a run in flight a grace period, then records it as failed', async () => {
    const ws = await gh.workspace()
    const conn = await connect(gh, ws)
    const fault = await gh.admin.post('/admin/faults', { fault: 'delay', route: '/users', delayMs: 1500, count: 1, workspaceId: ws.id })
    expect(fault.status).toBe(201)
    const scheduler = new SyncScheduler(gh.server.directory)
    const run = await scheduler.trigger(conn.id, 'test')
    expect(scheduler.running()).toEqual([conn.id])
    await scheduler.stop({ graceMs: 100, cancelGraceMs: 100 })
    const stopped = await gh.server.store.read((q) => q.dirRuns.find(run.id))
    expect(stopped).toMatchObject({ state: 'failed', error: expect.stringMatching(/server shut down|server is stopping/) })
    await expect(scheduler.trigger(conn.id)).rejects.toThrow(/stopping/)
    // The cancelled run, once its slow request returns, leaves the record and the connection as they are.
    await new Promise((r) => setTimeout(r, 1700))
    expect(await gh.server.store.read((q) => q.dirRuns.find(run.id))).toEqual(stopped)
    expect((await gh.server.store.read((q) => q.connections.find(conn.id)))?.status).toBe('active')
  })
})

describe('sync scheduler', () => {
  let gh: Gatehouse
  beforeAll(async () => {
    gh = await startGatehouse({ syncScheduler: true, syncIntervalMs: 300 })
  })
  afterAll(() => gh.stop())

  it('syncs every active connection on its interval, one run per connection at a time, and skips one that needs a token', async () => {
    const [a, b, c] = [await gh.workspace(), await gh.workspace(), await gh.workspace()]
    await gh.addUsers(a, ['s.a@example.com'])
    const [ca, cb, cc] = [await connect(gh, a), await connect(gh, b), await connect(gh, c)]
    await gh.server.store.write((q) => q.connections.update(cc.id, { status: 'needs_reauth' }))
    const runsOf = (id: string) =>
      gh.server.store.read(async (q) =>
        (await q.dirRuns.list({ connectionId: id }, { direction: 'after', key: null, limit: 100 })).rows.reverse(),
      )

    const deadline = Date.now() + 10_000
    while (
      (await runsOf(ca.id)).filter((r) => r.state === 'succeeded').length < 2 ||
      (await runsOf(cb.id)).filter((r) => r.state === 'succeeded').length < 2
    ) {
      if (Date.now() > deadline) throw new Error('scheduled syncs did not happen')
      await new Promise((r) => setTimeout(r, 50))
    }
    for (const id of [ca.id, cb.id]) {
      const runs = (await runsOf(id)).filter((r) => r.state !== 'running')
      expect(runs.every((r) => r.trigger === 'schedule' && r.state === 'succeeded')).toBe(true)
      // Never two at once: each run starts after the previous one finished.
      for (let i = 1; i < runs.length; i++) expect(runs[i]!.started_at >= runs[i - 1]!.finished_at!).toBe(true)
    }
    expect(await runsOf(cc.id)).toEqual([])
    const users = await gh.server.store.read((q) => q.dirUsers.ofConnection(ca.id))
    expect(users.map((u) => u.email_key).sort()).toEqual([a.owner.email, 's.a@example.com'].sort())
  })
})
