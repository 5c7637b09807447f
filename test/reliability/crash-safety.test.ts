import { mkdtempSync, rmSync } from 'node:fs'
import { type AddressInfo, createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { migrateStore } from '../../src/store/open.js'
import { ADMIN_KEY, HttpClient, type HttpResult } from '../helpers/gatehouse.js'
import { createTestSchema, testStore } from '../helpers/postgres.js'
import { type ServerProcess, spawnServer } from '../helpers/process.js'
import { seededRandom } from './random.js'
import { postgresProbe, type StoreProbe, sqliteProbe } from './store-probe.js'

/*
 * The built server as a child process, killed with SIGKILL at a random moment while it applies a bulk
 * change, then started again on the same store. Whatever the moment, each change must be all there or not
 * there at all, its audit trail (or change feed) must match, and the engine's own checks must be clean.
 * An answer received before the kill must survive it. Fixed seed; CRASH_RUNS (SQLite, default 50) and
 * CRASH_RUNS_POSTGRES (default 10) make longer runs, CRASH_SEED another sequence.
 */

const onPostgres = testStore() === 'postgres'
const RUNS = Number(onPostgres ? (process.env.CRASH_RUNS_POSTGRES ?? 10) : (process.env.CRASH_RUNS ?? 50))
const SEED = Number(process.env.CRASH_SEED ?? 6006)
const BATCH = 1000
const MINIMAL_WORKSPACE_ACCESS = '1aEWAcU0fArxScocwH9xxLgW7r3'
const DIRECTORY_WORKSPACES = 3
/** Kills land uniformly within this many times the change's warm duration after the request goes out. */
const KILL_WINDOW = 2.5

type Outcome = 'applied' | 'absent'

interface Prepared {
  /** Sends the bulk change; resolves with its answer (rejects when the kill cuts the request off). */
  send(): Promise<HttpResult>
  /** Resolves once the change has finished in the server (a sync goes on after its 202). */
  settle?(answer: HttpResult | undefined): Promise<void>
  /** After the restart: fails unless the change is whole or absent (audit trail included); says which. */
  verify(answer: HttpResult | undefined): Promise<Outcome>
}

interface Operation {
  name: string
  /** An answer before the kill means the change is stored (a sync's 202 only means it started). */
  answerMeansDone: boolean
  prepare(h: Harness, run: number): Promise<Prepared>
}

interface Workspace {
  id: string
  http: HttpClient
}

/** The live server and what outlives its restarts: the store, the fixed port, the directory's API key and connections. */
class Harness {
  server: ServerProcess | undefined
  readonly admin: HttpClient
  directory: HttpClient | undefined
  /** The workspaces the offboarding runs act across, each with its connection and group. */
  connected: { workspace: Workspace; connectionId: string; groupId: string }[] = []
  /** The change feed's last position read. */
  seq = 0

  constructor(
    readonly url: string,
    private readonly args: string[],
  ) {
    this.admin = new HttpClient(url, ADMIN_KEY)
  }

  async start(): Promise<void> {
    this.server = await spawnServer(this.args)
    if (this.server.url !== this.url) throw new Error(`server listens on ${this.server.url}, not ${this.url}`)
  }

  async kill(): Promise<void> {
    await this.server?.kill()
    this.server = undefined
  }

  async workspace(tag: string): Promise<Workspace> {
    const slug = `crash-${tag}`
    const res = await this.admin.post('/admin/workspaces', { name: slug, slug, ownerEmail: `owner@${slug}.example`, ownerName: 'Owner' })
    expect(res.status, res.text).toBe(201)
    return { id: res.body.data.workspace.id, http: new HttpClient(this.url, res.body.data.token) }
  }

  async addUsers(ws: Workspace, emails: string[]): Promise<{ id: string; email: string }[]> {
    const res = await this.admin.post(`/admin/workspaces/${ws.id}/users`, { users: emails.map((email) => ({ email })) })
    expect(res.status, res.text).toBe(201)
    return res.body.data.users
  }

  async group(ws: Workspace, members: string[]): Promise<string> {
    const created = await ws.http.post('/groups', { name: 'crash' })
    expect(created.status, created.text).toBe(200)
    const id = created.body.data.userGroup.id as string
    if (members.length > 0) expect((await ws.http.post(`/groups/${id}/users`, { emails: members })).status).toBe(200)
    return id
  }

  async connect(ws: Workspace): Promise<string> {
    const res = await this.dir().post('/directory/connections', { token: ws.http.token, baseUrl: this.url })
    expect(res.status, res.text).toBe(201)
    return res.body.id
  }

  /** Starts a sync and waits for its end; it must succeed. */
  async sync(connectionId: string): Promise<void> {
    const started = await this.dir().post(`/directory/connections/${connectionId}/sync`)
    expect(started.status, started.text).toBe(202)
    await this.waitForRun(started.body.id)
  }

  async waitForRun(runId: string): Promise<void> {
    for (let i = 0; i < 1000; i++) {
      const run = (await get(this.dir(), `/directory/sync-runs/${runId}`)).body
      if (run.state !== 'running') {
        expect(run.state, run.error ?? '').toBe('succeeded')
        return
      }
      await sleep(10)
    }
    throw new Error(`sync run ${runId} did not finish`)
  }

  /** Change-feed events after the last position read, which then moves to the end. */
  async newEvents(): Promise<any[]> {
    const events: any[] = []
    for (;;) {
      const res = await get(this.dir(), `/directory/events?after=${this.seq}&limit=1000`)
      expect(res.status, res.text).toBe(200)
      events.push(...res.body.result)
      const last = res.body.result.at(-1)
      if (last) this.seq = last.seq
      if (res.body.next_cursor === null) return events
    }
  }

  dir(): HttpClient {
    if (!this.directory) throw new Error('the directory API key is not made yet')
    return this.directory
  }
}

/** GET, tried again while a restarted server's predecessor's pooled sockets are still being dropped. */
async function get(http: HttpClient, path: string): Promise<HttpResult> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await http.get(path)
    } catch (error) {
      if (attempt >= 3) throw error
      await sleep(50)
    }
  }
}

/** Every item of a Public API list, by its `next` cursors, and the `totalEntries` it claims. */
async function walk(http: HttpClient, path: string, key: string): Promise<{ items: any[]; total: number | undefined }> {
  const items: any[] = []
  let cursor: string | undefined
  let total: number | undefined
  for (;;) {
    const query = `pagination%5Bcount%5D=1000${cursor ? `&pagination%5Bcursor%5D=${encodeURIComponent(cursor)}` : ''}`
    const res = await get(http, `${path}${path.includes('?') ? '&' : '?'}${query}`)
    expect(res.status, `${path}: ${res.text}`).toBe(200)
    items.push(...res.body.data[key])
    total ??= res.body.data.pagination.totalEntries
    cursor = res.body.data.pagination.next ?? undefined
    if (cursor === undefined) return { items, total }
  }
}

/** Every item of a directory list, by its `next_cursor`s. */
async function walkDirectory(http: HttpClient, path: string): Promise<any[]> {
  const items: any[] = []
  let cursor: string | null = null
  for (;;) {
    const res = await get(
      http,
      `${path}${path.includes('?') ? '&' : '?'}limit=1000${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
    )
    expect(res.status, `${path}: ${res.text}`).toBe(200)
    items.push(...res.body.result)
    cursor = res.body.next_cursor
    if (cursor === null) return items
  }
}

async function auditEvents(ws: Workspace, resourceType: string, type: string): Promise<any[]> {
  return (await walk(ws.http, `/audit-events?resourceType=${resourceType}`, 'events')).items.filter((e) => e.type === type)
}

const emails = (prefix: string, run: number, n = BATCH) => Array.from({ length: n }, (_, k) => `${prefix}${k}@run${run}.crash.example`)
const sorted = (values: Iterable<string>) => [...values].sort()
const succeeded = (answer: HttpResult | undefined) => answer !== undefined && answer.status >= 200 && answer.status < 300

const OPERATIONS: Operation[] = [
  {
    name: 'invite 1,000 emails',
    answerMeansDone: true,
    async prepare(h, run) {
      const ws = await h.workspace(`invites-${run}`)
      const batch = emails('invite', run)
      return {
        send: () =>
          ws.http.post('/invites', { invites: batch.map((email) => ({ email, permissions: [{ roleId: MINIMAL_WORKSPACE_ACCESS }] })) }),
        async verify() {
          const invites = await walk(ws.http, '/invites', 'invites')
          expect(invites.total, 'totalEntries counts the invites listed').toBe(invites.items.length)
          const mine = new Set(batch)
          const present = invites.items.filter((email) => mine.has(email))
          expect([0, BATCH], 'all of the batch invited, or none').toContain(present.length)
          const invited = await auditEvents(ws, 'invite', 'New Segment User Invited to Workspace')
          expect(invited.filter((e) => mine.has(e.resourceName)).length, 'one invite event per invite').toBe(present.length)
          const policies = await auditEvents(ws, 'policy', 'Policy Created')
          expect(policies.filter((e) => mine.has(e.resourceName)).length, 'one policy event per invite permission').toBe(present.length)
          return present.length === BATCH ? 'applied' : 'absent'
        },
      }
    },
  },
  {
    name: 'replace a group of 1,000 members',
    answerMeansDone: true,
    async prepare(h, run) {
      const ws = await h.workspace(`group-${run}`)
      const before = emails('member', run)
      await h.addUsers(ws, before)
      const groupId = await h.group(ws, before)
      // Half stay, half leave, and 500 emails new to the workspace join as invites.
      const after = [...before.slice(500), ...emails('newcomer', run, 500)]
      return {
        send: () => ws.http.put(`/group/${groupId}/users`, { emails: after }),
        async verify() {
          const members = await walk(ws.http, `/groups/${groupId}/users`, 'users')
          const invites = await walk(ws.http, `/groups/${groupId}/invites`, 'emails')
          const group = (await get(ws.http, `/groups/${groupId}`)).body.data.userGroup
          expect(group.memberCount, 'memberCount equals the members listed').toBe(members.items.length)
          expect(invites.total, "the group's invite count equals the invites listed").toBe(invites.items.length)
          const set = sorted([...members.items.map((u) => u.email), ...invites.items])
          const isOld = invites.items.length === 0 && set.join() === sorted(before).join()
          const isNew = invites.items.length === 500 && set.join() === sorted(after).join()
          expect(
            isOld || isNew,
            `the group holds exactly the old or the new set (${members.items.length} members, ${invites.items.length} invites)`,
          ).toBe(true)
          const leavers = new Set(before.slice(0, 500))
          const removed = await auditEvents(ws, 'user', 'User Removed From User Group')
          expect(removed.filter((e) => leavers.has(e.resourceName)).length).toBe(isNew ? 500 : 0)
          expect((await auditEvents(ws, 'invite', 'Non-Segment User Invited to Workspace')).length).toBe(isNew ? 500 : 0)
          expect((await walk(ws.http, '/invites', 'invites')).items.length).toBe(isNew ? 500 : 0)
          return isNew ? 'applied' : 'absent'
        },
      }
    },
  },
  {
    name: 'delete 1,000 users',
    answerMeansDone: true,
    async prepare(h, run) {
      const ws = await h.workspace(`delete-${run}`)
      const users = await h.addUsers(ws, emails('leaver', run))
      const groupId = await h.group(
        ws,
        users.map((u) => u.email),
      )
      const ids = new Set(users.map((u) => u.id))
      const query = users.map((u, k) => `userIds%5B${k}%5D=${u.id}`).join('&')
      return {
        send: () => ws.http.delete(`/users?${query}`),
        async verify() {
          const listed = await walk(ws.http, '/users', 'users')
          expect(listed.total, 'totalEntries counts the users listed').toBe(listed.items.length)
          const left = listed.items.filter((u) => ids.has(u.id)).length
          expect([0, BATCH], 'all of the users deleted, or none').toContain(left)
          const members = await walk(ws.http, `/groups/${groupId}/users`, 'users')
          expect(members.items.length, 'the group keeps exactly the users that remain').toBe(left)
          expect((await get(ws.http, `/groups/${groupId}`)).body.data.userGroup.memberCount).toBe(left)
          const deleted = (await auditEvents(ws, 'user', 'User Deleted')).filter((e) => ids.has(e.resourceId))
          expect(deleted.length, 'one User Deleted event per deleted user').toBe(BATCH - left)
          const unGrouped = (await auditEvents(ws, 'user', 'Group Memberships Deleted')).filter((e) => ids.has(e.resourceId))
          expect(unGrouped.length).toBe(BATCH - left)
          return left === 0 ? 'applied' : 'absent'
        },
      }
    },
  },
  {
    name: 'offboard a person across workspaces',
    answerMeansDone: true,
    async prepare(h, run) {
      const email = `person${run}@crash.example`
      const remote: { id: string; ws: Workspace; groupId: string; connectionId: string }[] = []
      for (const c of h.connected) {
        const [user] = await h.addUsers(c.workspace, [email])
        expect((await c.workspace.http.post(`/groups/${c.groupId}/users`, { emails: [email] })).status).toBe(200)
        remote.push({ id: (user as { id: string }).id, ws: c.workspace, groupId: c.groupId, connectionId: c.connectionId })
      }
      for (const c of h.connected) await h.sync(c.connectionId)
      await h.newEvents()
      const key = `offboard-${SEED}-${run}`
      return {
        send: () => h.dir().post('/directory/actions/offboard', { email }, { 'idempotency-key': key }),
        async verify() {
          const events = await h.newEvents()
          const accounts = await walkDirectory(h.dir(), `/directory/users?email=${encodeURIComponent(email)}`)
          expect(accounts.map((a) => a.connection_id).sort()).toEqual(remote.map((r) => r.connectionId).sort())
          for (const account of accounts) {
            const r = remote.find((x) => x.connectionId === account.connection_id) as (typeof remote)[number]
            const isDeleted = account.status === 'deleted'
            const ofAccount = (type: string) => events.filter((e) => e.type === type && e.subject_id === account.id)
            expect(ofAccount('user.deleted').length, 'a user.deleted event iff the account is deleted').toBe(isDeleted ? 1 : 0)
            expect(ofAccount('membership.removed').length, 'its membership removal is recorded with it').toBe(isDeleted ? 1 : 0)
            if (isDeleted) expect(account.groups).toEqual([])
            // The remote's own change is one transaction too: the user, its membership and its event go together.
            const remoteUsers = (await walk(r.ws.http, '/users', 'users')).items
            const stillThere = remoteUsers.some((u) => u.id === r.id)
            const removedEvents = (await auditEvents(r.ws, 'user', 'User Deleted')).filter((e) => e.resourceId === r.id)
            expect(removedEvents.length).toBe(stillThere ? 0 : 1)
            const groupMembers = await walk(r.ws.http, `/groups/${r.groupId}/users`, 'users')
            expect((await get(r.ws.http, `/groups/${r.groupId}`)).body.data.userGroup.memberCount).toBe(groupMembers.items.length)
            expect(groupMembers.items.some((u) => u.id === r.id)).toBe(stillThere)
            // The directory records only what the remote did (the converse waits for the next sync).
            if (isDeleted) expect(stillThere, 'the directory shows deleted only what the remote deleted').toBe(false)
          }
          const deleted = accounts.filter((a) => a.status === 'deleted').length
          // One transaction records every connection's part, with the idempotency record of the answer.
          expect([0, accounts.length], 'the directory records the whole offboarding or none of it').toContain(deleted)
          const retry = await h.dir().post('/directory/actions/offboard', { email }, { 'idempotency-key': key })
          if (retry.headers.get('idempotent-replayed') === 'true')
            expect(deleted, 'a stored answer comes with its effects').toBe(accounts.length)
          else {
            // Unanswered: the claim was the killed process's, known dead on this host, so the retry takes it over
            // at once (no 409 for minutes) and offboards everywhere.
            expect(deleted, 'an unanswered claim comes with no effects').toBe(0)
            expect(retry.status, retry.text).toBe(200)
            const after = await walkDirectory(h.dir(), `/directory/users?email=${encodeURIComponent(email)}`)
            expect(after.map((a) => a.status)).toEqual(accounts.map(() => 'deleted'))
          }
          return deleted > 0 ? 'applied' : 'absent'
        },
      }
    },
  },
  {
    name: 'first sync of 1,000 users in a group',
    answerMeansDone: false,
    async prepare(h, run) {
      const ws = await h.workspace(`sync-${run}`)
      const members = emails('synced', run)
      await h.addUsers(ws, members)
      await h.group(ws, members)
      const connectionId = await h.connect(ws)
      await h.newEvents()
      const everyone = BATCH + 1 // and the owner
      return {
        // 202 at once: the run goes on in the background, and the kill lands somewhere in it.
        send: () => h.dir().post(`/directory/connections/${connectionId}/sync`),
        settle: (answer) => h.waitForRun(answer?.body.id),
        async verify(answer) {
          const events = (await h.newEvents()).filter((e) => e.connection_id === connectionId)
          const users = await walkDirectory(h.dir(), `/directory/users?connection_id=${connectionId}`)
          expect([0, everyone], 'every account synced, or none').toContain(users.length)
          const applied = users.length === everyone
          expect(events.filter((e) => e.type === 'user.created').length, 'one user.created event per account').toBe(users.length)
          expect(events.filter((e) => e.type === 'membership.added').length).toBe(applied ? BATCH : 0)
          expect(users.filter((u) => u.groups.length === 1).length).toBe(applied ? BATCH : 0)
          const runs = await walkDirectory(h.dir(), `/directory/sync-runs?connection_id=${connectionId}`)
          if (answer?.status === 202) expect(runs.map((r) => r.id)).toContain(answer.body.id)
          for (const r of runs) expect(r.state, 'a run is succeeded iff its changes are in').toBe(applied ? 'succeeded' : 'running')
          // The restarted server must take over the killed run and sync the connection at once.
          await h.sync(connectionId)
          expect((await walkDirectory(h.dir(), `/directory/users?connection_id=${connectionId}`)).length).toBe(everyone)
          return applied ? 'applied' : 'absent'
        },
      }
    },
  },
]

async function freePort(): Promise<number> {
  const probe = createServer()
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve))
  const { port } = probe.address() as AddressInfo
  await new Promise((resolve) => probe.close(resolve))
  return port
}

describe(`a server killed with SIGKILL during bulk writes (${onPostgres ? 'PostgreSQL' : 'SQLite'})`, () => {
  let dir: string
  let h: Harness
  let probe: StoreProbe
  let dropSchema: (() => Promise<void>) | undefined

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gatehouse-crash-'))
    // A fixed port: connections store the server's URL, and the directory calls the server itself.
    const port = await freePort()
    const common = ['--admin-key', ADMIN_KEY, '--rate-limit', 'off', '--no-sync-scheduler', '--port', String(port)]
    common.push('--secret-key-file', join(dir, 'gatehouse.key'))
    if (onPostgres) {
      const schema = await createTestSchema()
      dropSchema = schema.drop
      await migrateStore({ postgresUrl: schema.url })
      probe = postgresProbe(schema.schema)
      h = new Harness(`http://127.0.0.1:${port}`, [...common, '--database-url', schema.url, '--rate-limit-store', 'memory'])
    } else {
      const file = join(dir, 'crash.db')
      probe = sqliteProbe(file)
      h = new Harness(`http://127.0.0.1:${port}`, [...common, '--db', file])
    }
    await h.start()
    const key = await h.admin.post('/admin/directory/api-keys', { description: 'crash safety' })
    expect(key.status, key.text).toBe(201)
    h.directory = new HttpClient(h.url, key.body.data.secret)
    for (let k = 0; k < DIRECTORY_WORKSPACES; k++) {
      const workspace = await h.workspace(`directory-${k}`)
      await h.addUsers(workspace, emails('colleague', k, 5))
      const groupId = await h.group(workspace, [])
      h.connected.push({ workspace, connectionId: await h.connect(workspace), groupId })
    }
  })

  afterAll(async () => {
    await h?.kill()
    await dropSchema?.()
    rmSync(dir, { recursive: true, force: true })
  })

  it(`keeps every bulk change whole, its audit trail matching and the store clean across ${RUNS} kills`, async () => {
    const random = seededRandom(SEED)
    const tally = new Map(OPERATIONS.map((op) => [op.name, { applied: 0, absent: 0, answered: 0 }]))
    const notes = new Set<string>()
    // Each operation once without a kill: it must apply whole, and its duration here sets how late kills
    // may land, so they fall before, during and after the commit on any machine. Up to 2.5 times it: a
    // freshly restarted server runs the same change slower than this warm one.
    const durations = new Map<string, number>()
    for (const [i, op] of OPERATIONS.entries()) {
      const prepared = await op.prepare(h, RUNS + i)
      const startedAt = performance.now()
      const answer = await prepared.send()
      await prepared.settle?.(answer)
      durations.set(op.name, performance.now() - startedAt)
      expect(await prepared.verify(answer), `${op.name} without a kill`).toBe('applied')
    }
    let restartMs = 0
    for (let run = 0; run < RUNS; run++) {
      const op = OPERATIONS[run % OPERATIONS.length] as Operation
      const prepared = await op.prepare(h, run)
      const delay = Math.floor(random() * KILL_WINDOW * (durations.get(op.name) as number))
      const sent = prepared.send().catch(() => undefined)
      await sleep(delay)
      await h.kill()
      const answer = await sent
      const context = `run ${run} (${op.name}, killed ${delay} ms after sending)`

      const engine = await probe.engineCheck()
      expect(engine.problems, `${context}: the engine's checks`).toEqual([])
      if (engine.note) notes.add(engine.note)
      expect(await probe.brokenInvariants(), `${context}: invariants between tables`).toEqual([])

      const restartAt = performance.now()
      await h.start()
      restartMs += performance.now() - restartAt
      let outcome: Outcome
      try {
        outcome = await prepared.verify(answer)
      } catch (error) {
        ;(error as Error).message = `${context}: ${(error as Error).message}`
        throw error
      }
      const acknowledged = op.answerMeansDone && succeeded(answer)
      if (acknowledged) expect(outcome, `${context}: a change answered before the kill survives it`).toBe('applied')
      const counts = tally.get(op.name) as { applied: number; absent: number; answered: number }
      counts[outcome]++
      if (acknowledged) counts.answered++
    }
    const summary = [...tally].map(
      ([name, c]) =>
        `${name} (~${Math.round(durations.get(name) as number)} ms): ${c.applied} whole (${c.answered} answered before the kill), ${c.absent} absent`,
    )
    console.log(
      `crash safety (${onPostgres ? 'PostgreSQL' : 'SQLite'}, seed ${SEED}): ${RUNS} SIGKILLs, every change whole or absent; ${summary.join('; ')}; mean restart ${Math.round(restartMs / RUNS)} ms${[...notes].map((n) => `; ${n}`).join('')}`,
    )
    // Runs are meant to land on both sides of the commit; a seed where one side never shows tests less.
    const sides = [...tally.values()].reduce((s, c) => ({ applied: s.applied + c.applied, absent: s.absent + c.absent }), {
      applied: 0,
      absent: 0,
    })
    if (RUNS >= OPERATIONS.length * 2) expect(sides.applied > 0 && sides.absent > 0, JSON.stringify(sides)).toBe(true)
  }, 600_000)
})
