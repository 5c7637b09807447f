import { randomBytes } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import { sql } from 'kysely'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openPostgres } from '../../src/store/dialects/postgres.js'
import { migrateStore } from '../../src/store/open.js'
import { ADMIN_KEY, HttpClient, type HttpResult } from '../helpers/gatehouse.js'
import { createTestSchema } from '../helpers/postgres.js'
import { type ServerProcess, spawnServer } from '../helpers/process.js'
import { type CrashWatch, watchForCrash } from './server-crash.js'

// PostgreSQL ends a session under a running server (pg_terminate_backend, a failover, a restart, an idle
// timeout on a proxy) while the server holds it checked out of its pool. node-postgres then emits 'error' on
// that client, and pg-pool listens for it only while the client sits idle in the pool: without a listener of
// our own the 'error' was unhandled and killed the process. The requests on those sessions must get 503
// envelopes instead, and the server must carry on with fresh connections.

/**
 * Ends every session of one application_name (this file's servers; other suites may be running beside it),
 * and waits until they are gone. Resolves with their pids.
 */
async function terminate(url: string, applicationName: string): Promise<number[]> {
  const admin = new pg.Client({ connectionString: url })
  await admin.connect()
  try {
    // pg_terminate_backend in the select list: in the where clause the planner may call it before the filter
    const { rows } = await admin.query<{ pid: number; ok: boolean }>(
      'select pid, pg_terminate_backend(pid) as ok from pg_stat_activity where application_name = $1 and pid <> pg_backend_pid()',
      [applicationName],
    )
    const pids = rows.filter((r) => r.ok).map((r) => r.pid)
    await until('the terminated sessions to end', async () => {
      const left = await admin.query('select 1 from pg_stat_activity where pid = any($1)', [pids])
      return left.rowCount === 0
    })
    return pids
  } finally {
    await admin.end()
  }
}

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await sleep(25)
  }
}

const isUnavailableEnvelope = (res: HttpResult) =>
  res.status === 503 && res.body?.errors?.[0]?.type === 'unavailable' && res.body?.errors?.[0]?.status === 503

describe('PostgreSQL sessions terminated under a running server', () => {
  const POOL_SIZE = 4
  const appName = `gh_terminate_${randomBytes(4).toString('hex')}`
  let schema: Awaited<ReturnType<typeof createTestSchema>>
  let server: ServerProcess
  let crash: CrashWatch
  let api: HttpClient
  let observer: pg.Client

  beforeAll(async () => {
    schema = await createTestSchema()
    await migrateStore({ postgresUrl: schema.url })
    server = await spawnServer(
      ['--database-url', `${schema.url}&application_name=${appName}`, '--admin-key', ADMIN_KEY, '--db-pool-size', String(POOL_SIZE)],
      { GATEHOUSE_SECRET_KEY: randomBytes(32).toString('hex') },
    )
    crash = watchForCrash(server)
    const slug = `terminate-${randomBytes(4).toString('hex')}`
    const res = await new HttpClient(server.url, ADMIN_KEY).post('/admin/workspaces', {
      name: slug,
      slug,
      ownerEmail: `owner@${slug}.example`,
    })
    expect(res.status).toBe(201)
    api = new HttpClient(server.url, res.body.data.token)
    observer = new pg.Client({ connectionString: schema.url })
    await observer.connect()
  })
  afterAll(async () => {
    await observer?.end()
    await server?.stop()
    await schema?.drop()
  })

  const sessions = async (filter = 'true') =>
    Number(
      (await observer.query(`select count(*) as n from pg_stat_activity where application_name = $1 and ${filter}`, [appName])).rows[0].n,
    )

  it('answers 503 envelopes for requests whose sessions are terminated mid-request, stays up, and serves again', async () => {
    // Every pooled connection checked out and stuck on a table lock: the reads' plain statements, and the first
    // of the workspace's writes inside its transaction, on the connection that holds the workspace's advisory
    // lock (the other writes queue in the process). A statement cut off there makes Kysely send a ROLLBACK, and
    // the pool cannot take the connection back before node-postgres sees the socket end and emits 'error'.
    const locker = new pg.Client({ connectionString: schema.url })
    await locker.connect()
    let lockerEnded = false
    try {
      await locker.query('begin')
      await locker.query('lock table users, user_groups in access exclusive mode')
      const reads = Array.from({ length: POOL_SIZE - 1 }, () => crash.alive(api.get('/users')))
      const writes = Array.from({ length: 3 }, (_, i) => crash.alive(api.post('/groups', { name: `terminated ${i}` })))
      for (const p of [...reads, ...writes]) p.catch(() => {}) // awaited below; a crash must not surface as unhandled first
      await crash.alive(
        until(`${POOL_SIZE} sessions waiting on locks`, async () => (await sessions(`wait_event_type = 'Lock'`)) === POOL_SIZE),
      )

      expect(await crash.alive(terminate(schema.url, appName))).toHaveLength(POOL_SIZE)
      // the queued writes now take fresh connections and wait for the table lock: let them through
      await locker.end()
      lockerEnded = true

      const readResults = await Promise.all(reads)
      const writeResults = await Promise.all(writes)
      for (const res of readResults) expect(isUnavailableEnvelope(res), `GET /users answered ${res.status} ${res.text}`).toBe(true)
      for (const res of writeResults)
        expect(res.status === 200 || isUnavailableEnvelope(res), `POST /groups answered ${res.status} ${res.text}`).toBe(true)
      // the write that held the advisory-lock connection was cut off; the ones queued behind it went through, on
      // fresh connections: the reads' dead ones, released as soon as their statement failed, were not reused
      expect(writeResults.map((r) => r.status).sort()).toEqual([200, 200, 503])
    } finally {
      if (!lockerEnded) await locker.end().catch(() => {})
    }

    crash.assertAlive()
    expect((await crash.alive(api.get('/users'))).status).toBe(200)
    expect((await crash.alive(api.post('/groups', { name: 'after the termination' }))).status).toBe(200)
    expect((await crash.alive(new HttpClient(server.url, undefined).get('/readyz'))).status).toBe(200)
    expect(server.output()).not.toMatch(/unhandled|Internal server error/i)
  })

  it('survives its idle pooled sessions being terminated, and serves again', async () => {
    // fill the pool with idle connections, then end them all while they sit in it
    await Promise.all(Array.from({ length: POOL_SIZE * 2 }, () => crash.alive(api.get('/users'))))
    expect(await sessions()).toBeGreaterThan(0)
    await terminate(schema.url, appName)
    let last: HttpResult | undefined
    await crash.alive(
      until('a 200 after the termination', async () => {
        last = await crash.alive(api.get('/users'))
        expect(last.status === 200 || isUnavailableEnvelope(last), `GET /users answered ${last.status} ${last.text}`).toBe(true)
        return last.status === 200
      }),
    )
    crash.assertAlive()
    expect(server.output()).not.toMatch(/unhandled|Internal server error/i)
  })
})

// The same in process, for a connection checked out and idle between statements (the advisory-lock path
// holds one across a whole transaction): no HTTP request can park one there on purpose.
describe('a checked-out PostgreSQL connection whose session is terminated while idle', () => {
  const appName = `gh_terminate_idle_${randomBytes(4).toString('hex')}`
  let schema: Awaited<ReturnType<typeof createTestSchema>>
  let handle: ReturnType<typeof openPostgres>
  const errors: unknown[] = []
  const onUncaught = (error: unknown) => errors.push(error)

  beforeAll(async () => {
    schema = await createTestSchema()
    await migrateStore({ postgresUrl: schema.url })
    handle = openPostgres({ url: `${schema.url}&application_name=${appName}`, poolSize: 2 })
    // Without the fix the client's 'error' is thrown from a socket callback; record it, so the test says so.
    process.on('uncaughtException', onUncaught)
  })
  afterAll(async () => {
    process.off('uncaughtException', onUncaught)
    await handle?.destroy()
    await schema?.drop()
  })

  /** From inside work on a checked-out connection: its session is terminated, and node-postgres has seen it end. */
  const terminatedWhileIdle = async (pid: number) => {
    expect(await terminate(schema.url, appName)).toContain(pid)
    await sleep(200) // the FATAL message and the socket's end reach the client
  }

  it('rejects the next statement as unreachable, never crashes, and the pool replaces the connection', async () => {
    const outcome = await handle.db.connection().execute(async (conn) => {
      const pid = (await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(conn)).rows[0]?.pid as number
      await terminatedWhileIdle(pid)
      return sql`select 1`.execute(conn).then(
        () => 'answered',
        (error: Error) => error,
      )
    })
    expect(errors).toEqual([])
    expect(outcome).toBeInstanceOf(Error)
    expect(handle.classifyError(outcome), String(outcome)).toBe('unavailable')
    await handle.ping()
    expect(handle.pgPool?.totalCount).toBe(1) // the broken client was destroyed, not put back
  })

  it('fails a workspace transaction idle on its advisory-lock connection as unreachable, then runs the next one', async () => {
    const key = `workspace:${randomBytes(4).toString('hex')}`
    const failed = await handle
      .transaction(async (trx) => {
        const pid = (await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(trx)).rows[0]?.pid as number
        await terminatedWhileIdle(pid)
        await sql`select 1`.execute(trx)
      }, key)
      .then(
        () => undefined,
        (error: Error) => error,
      )
    expect(errors).toEqual([])
    expect(failed).toBeInstanceOf(Error)
    expect(handle.classifyError(failed), String(failed)).toBe('unavailable')
    // the session (and its advisory lock) died with it: the next write to the workspace is not stuck behind it
    const next = await handle.transaction(async (trx) => (await sql<{ one: number }>`select 1 as one`.execute(trx)).rows[0]?.one, key)
    expect(next).toBe(1)
  })
})
