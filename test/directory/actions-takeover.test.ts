import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { resolveServeConfig, type ServeFlags } from '../../src/config.js'
import { requestHash } from '../../src/directory/actions/idempotency.js'
import { runSync } from '../../src/directory/sync/run.js'
import { type RunningServer, startServer } from '../../src/server.js'
import { migrateStore } from '../../src/store/open.js'
import type { IdempotencyRow } from '../../src/store/queries/dir-actions.js'
import { ADMIN_KEY, type Gatehouse, HttpClient, type SeededWorkspace, startGatehouse } from '../helpers/gatehouse.js'
import { createTestSchema, testStore } from '../helpers/postgres.js'
import { type ServerProcess, spawnServer } from '../helpers/process.js'
import { createGroup, remote } from './actions-helpers.js'

/*
 * An action's Idempotency-Key claim across processes sharing one store: a retry takes the claim over (and
 * acts) when the process that made it is dead, or has not beaten for `--sync-stale-after`; while its owner
 * is alive and beating, the retry is a 409. The remote is a separate Gatehouse, whose answers a fault slows
 * down so an action is still in flight when its process is killed.
 */

const SECRET_KEY = randomBytes(32).toString('hex')
const onPostgres = testStore() === 'postgres'

/** The directory's store, shared by a replica in this process and replicas spawned (and killed) beside it. */
interface SharedStore {
  args: string[]
  flags: Partial<ServeFlags>
  drop(): Promise<void>
}

async function sharedStore(): Promise<SharedStore> {
  if (onPostgres) {
    const schema = await createTestSchema()
    await migrateStore({ postgresUrl: schema.url })
    return {
      args: ['--database-url', schema.url, '--rate-limit-store', 'memory'],
      flags: { databaseUrl: schema.url, rateLimitStore: 'memory' },
      drop: schema.drop,
    }
  }
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-takeover-'))
  const db = join(dir, 'directory.db')
  await migrateStore({ sqliteFile: db })
  return { args: ['--db', db], flags: { db }, drop: async () => rmSync(dir, { recursive: true, force: true }) }
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await probe()
    if (value !== undefined) return value
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await sleep(50)
  }
}

/** Matches the owner a process records: `host:pid:tag`. */
const ownedBy = (pid: number | undefined) => expect.stringMatching(new RegExp(`:${pid}:[0-9A-Za-z]+$`))

describe('directory actions: an Idempotency-Key claim whose process died', () => {
  let store: SharedStore
  /** The remote Segment the directory acts on. */
  let segment: Gatehouse
  /** A directory replica in this process (default `--sync-stale-after`: 120 s). */
  let replica: RunningServer
  let apiKey: { id: string; secret: string }
  const spawned: ServerProcess[] = []
  const inProcess: RunningServer[] = []

  /** Another directory replica in this process, on the shared store. */
  async function startReplica(staleAfterSeconds?: number): Promise<RunningServer> {
    const flags: ServeFlags = {
      host: '127.0.0.1',
      port: '0',
      ...store.flags,
      adminKey: ADMIN_KEY,
      rateLimit: 'off',
      logLevel: 'silent',
      demo: false,
      syncScheduler: false,
      allowRemoteHost: ['127.0.0.1'],
      ...(staleAfterSeconds !== undefined ? { syncStaleAfter: String(staleAfterSeconds) } : {}),
    }
    const server = await startServer(resolveServeConfig(flags, { GATEHOUSE_SECRET_KEY: SECRET_KEY }), () => {})
    inProcess.push(server)
    return server
  }

  /** A directory replica as its own process (which a test may SIGKILL), on the shared store. */
  async function spawnReplica(staleAfterSeconds?: number): Promise<ServerProcess> {
    const stale = staleAfterSeconds !== undefined ? ['--sync-stale-after', String(staleAfterSeconds)] : []
    const server = await spawnServer([...store.args, '--admin-key', ADMIN_KEY, '--rate-limit', 'off', '--no-sync-scheduler', ...stale], {
      GATEHOUSE_SECRET_KEY: SECRET_KEY,
    })
    spawned.push(server)
    return server
  }

  const client = (server: { url: string }) => new HttpClient(server.url, apiKey.secret)
  const addToGroups = (server: { url: string }, body: unknown, key: string) =>
    client(server).post('/directory/actions/add_to_groups', body, { 'Idempotency-Key': key })
  const claimOf = (key: string) => replica.store.read((q) => q.dirActions.findIdempotency(apiKey.id, key))

  /** A remote workspace with member bob and an empty group, connected and synced: the request adding bob to it. */
  async function seeded() {
    const ws: SeededWorkspace = await segment.workspace()
    await segment.addUsers(ws, ['bob@example.com'])
    const groupId = await createGroup(ws, 'eng')
    const created = await client(replica).post('/directory/connections', { token: ws.token, baseUrl: segment.url })
    expect(created.status, created.text).toBe(201)
    const connectionId = created.body.id as string
    const run = await runSync(replica.directory, connectionId, { trigger: 'test' })
    expect(run.state, run.error ?? '').toBe('succeeded')
    const [users, groups] = await replica.store.read((q) =>
      Promise.all([q.dirUsers.ofConnection(connectionId), q.dirGroups.ofConnection(connectionId)]),
    )
    const bob = users.find((u) => u.email_key === 'bob@example.com')
    const eng = groups.find((g) => g.name === 'eng')
    if (!bob || !eng) throw new Error('the sync did not bring bob and eng')
    return { ws, groupId, body: { user_id: bob.id, group_ids: [eng.id] } }
  }

  /** Holds the next group add on this workspace for `delayMs`, so the action making it stays in flight. */
  async function slowGroupAdds(ws: SeededWorkspace, delayMs: number): Promise<void> {
    const res = await segment.admin.post('/admin/faults', {
      fault: 'delay',
      delayMs,
      route: '/groups/:userGroupId/users',
      method: 'POST',
      workspaceId: ws.id,
      count: 1,
    })
    expect(res.status, res.text).toBe(201)
  }

  /** Once the delayed call has reached the remote (its fault is spent): the action is mid-flight. */
  const untilDelayedCallArrives = () =>
    until('the delayed remote call', async () =>
      (await segment.admin.get('/admin/faults')).body.data.faults.length === 0 ? true : undefined,
    )

  /** A claim row as an earlier process left it. */
  async function plantClaim(row: Pick<IdempotencyRow, 'key' | 'request_hash' | 'created_at' | 'owner' | 'heartbeat_at'>) {
    await replica.store.write(async (q) => {
      await q.dirActions.releaseIdempotency(apiKey.id, row.key)
      expect(await q.dirActions.claimIdempotency({ ...row, api_key_id: apiKey.id, status: 0, response: '' })).toBe(true)
    })
  }

  const ago = (ms: number) => new Date(Date.now() - ms).toISOString()

  beforeAll(async () => {
    store = await sharedStore()
    segment = await startGatehouse()
    replica = await startReplica()
    const res = await new HttpClient(replica.url, ADMIN_KEY).post('/admin/directory/api-keys', { description: 'takeover' })
    expect(res.status, res.text).toBe(201)
    apiKey = { id: res.body.data.apiKey.id, secret: res.body.data.secret }
  })

  afterAll(async () => {
    await Promise.all(spawned.map((s) => s.kill()))
    for (const s of inProcess) await s.stop()
    await segment?.stop()
    await store?.drop()
  })

  it('takes over at once the claim of a process killed mid-action, and answers the action’s real result', async () => {
    const { ws, groupId, body } = await seeded()
    const doomed = await spawnReplica()
    const key = `killed-${ws.id}`
    await slowGroupAdds(ws, 10_000)
    const cut = addToGroups(doomed, body, key).catch(() => undefined)
    await untilDelayedCallArrives()
    expect(await claimOf(key)).toMatchObject({ status: 0, owner: ownedBy(doomed.child.pid), heartbeat_at: expect.any(String) })
    await doomed.kill()
    expect(await cut, 'the killed process never answered').toBeUndefined()

    // The owner is gone (same host, no such pid): no waiting for its heartbeat to go stale (120 s here).
    const retry = await addToGroups(replica, body, key)
    expect(retry.status, retry.text).toBe(200)
    expect(retry.headers.get('idempotent-replayed')).toBeNull()
    expect(retry.body).toMatchObject({ action: 'add_to_groups', status: 'succeeded', summary: { calls: 1, succeeded: 1 } })
    expect(retry.body.calls[0]).toMatchObject({ method: 'POST', path: `/groups/${groupId}/users`, outcome: 'succeeded', status: 200 })
    expect(await remote.groupMembers(ws, groupId)).toEqual(['bob@example.com'])
    expect(await claimOf(key)).toMatchObject({ status: 200, owner: ownedBy(process.pid) })

    // The answer is now the key's: the next retry replays it.
    const replay = await addToGroups(replica, body, key)
    expect(replay.headers.get('idempotent-replayed')).toBe('true')
    expect(replay.body).toEqual(retry.body)
  })

  it('answers 409 while the owner lives and beats, even once its claim is older than --sync-stale-after', async () => {
    const { ws, groupId, body } = await seeded()
    const owner = await spawnReplica(2)
    const peer = await startReplica(2)
    const key = `live-${ws.id}`
    await slowGroupAdds(ws, 6_000)
    const first = addToGroups(owner, body, key)
    first.catch(() => {}) // awaited below; a failure before that must not leave it unhandled
    await untilDelayedCallArrives()
    const claimed = await claimOf(key)
    expect(claimed).toMatchObject({ status: 0, owner: ownedBy(owner.child.pid) })
    // Past the 2 s staleness by its creation time: only its heartbeat (every 250 ms) says it is alive.
    await sleep(Date.parse(claimed?.created_at ?? '') + 2_500 - Date.now())

    const retry = await addToGroups(peer, body, key)
    expect(retry.status, retry.text).toBe(409)
    expect(retry.body.errors[0]).toMatchObject({
      type: 'conflict',
      field: 'Idempotency-Key',
      message: expect.stringMatching(/still in progress/),
    })
    const beating = await claimOf(key)
    expect(beating).toMatchObject({ status: 0, owner: claimed?.owner })
    expect(Date.parse(beating?.heartbeat_at ?? '')).toBeGreaterThan(Date.now() - 1_500)
    expect(Date.parse(beating?.created_at ?? '')).toBeLessThan(Date.now() - 2_000)

    // The owner finishes and stores its answer; the retry now gets it.
    const answered = await first
    expect(answered.status, answered.text).toBe(200)
    expect(answered.body.status).toBe('succeeded')
    const replay = await addToGroups(peer, body, key)
    expect(replay.headers.get('idempotent-replayed')).toBe('true')
    expect(replay.body).toEqual(answered.body)
    expect(await remote.audited(ws, 'User Added To User Group', 'bob@example.com')).toBe(1)
    expect(await remote.groupMembers(ws, groupId)).toEqual(['bob@example.com'])
  })

  it('takes over the claim of a process on another host once its heartbeat is older than --sync-stale-after', async () => {
    const { ws, groupId, body } = await seeded()
    const key = `elsewhere-${ws.id}`
    const claim = { key, request_hash: requestHash('add_to_groups', body), owner: 'replica-on-another-host:4242:abcdef' }
    // Beating: this host cannot see that process, so only the heartbeat tells, and it says alive.
    await plantClaim({ ...claim, created_at: ago(3 * 60_000), heartbeat_at: ago(1_000) })
    const live = await addToGroups(replica, body, key)
    expect(live.status, live.text).toBe(409)
    expect(await remote.groupMembers(ws, groupId)).toEqual([])

    // Silent for 3 minutes (over the 120 s default): abandoned.
    await plantClaim({ ...claim, created_at: ago(3 * 60_000), heartbeat_at: ago(3 * 60_000) })
    const retry = await addToGroups(replica, body, key)
    expect(retry.status, retry.text).toBe(200)
    expect(retry.headers.get('idempotent-replayed')).toBeNull()
    expect(retry.body).toMatchObject({ status: 'succeeded', summary: { calls: 1, succeeded: 1 } })
    expect(await remote.groupMembers(ws, groupId)).toEqual(['bob@example.com'])
    expect(await claimOf(key)).toMatchObject({ status: 200, owner: ownedBy(process.pid) })
  })

  it('gives a claim recorded without a heartbeat (an older version) the 10 minutes it had', async () => {
    const { ws, groupId, body } = await seeded()
    const key = `unbeating-${ws.id}`
    const claim = { key, request_hash: requestHash('add_to_groups', body), owner: null, heartbeat_at: null }
    await plantClaim({ ...claim, created_at: ago(3 * 60_000) })
    expect((await addToGroups(replica, body, key)).status).toBe(409)
    await plantClaim({ ...claim, created_at: ago(11 * 60_000) })
    const retry = await addToGroups(replica, body, key)
    expect(retry.status, retry.text).toBe(200)
    expect(retry.body.status).toBe('succeeded')
    expect(await remote.groupMembers(ws, groupId)).toEqual(['bob@example.com'])
  })
})
