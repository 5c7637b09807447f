import { randomBytes } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import { afterEach, describe, expect, it } from 'vitest'
import { migrateStore } from '../../src/store/open.js'
import { ADMIN_KEY, HttpClient } from '../helpers/gatehouse.js'
import { createTestSchema } from '../helpers/postgres.js'
import { type ServerProcess, spawnServer } from '../helpers/process.js'

// A PostgreSQL replica stopped with SIGTERM under write load: it stops taking requests, lets those in
// flight finish, stops its scheduler, then closes the store, and exits 0 with nothing logged at error level.
// Clients that give up on a request (a proxy's deadline) close their sockets, so the HTTP server can be
// drained while their handlers still run, queued or retrying after a serialization conflict: whatever they
// still ask of the store must meet a 503, not Kysely's "driver has already been destroyed" (a logged 500).

const WRITERS = 4
/** Bulk invites sent just before the signal, each given up by its client after a few milliseconds. */
const ABANDONED = 20

/** Lines at level error (50) or above, and any line about a destroyed driver or an ended pool. */
function badLines(output: string): string[] {
  return output.split('\n').filter((line) => {
    if (/destroyed|after calling end on the pool/i.test(line)) return true
    try {
      const level = (JSON.parse(line) as { level?: number }).level
      return typeof level === 'number' && level >= 50
    } catch {
      return false
    }
  })
}

describe('SIGTERM to a PostgreSQL replica under write load', () => {
  let server: ServerProcess | undefined
  let schema: Awaited<ReturnType<typeof createTestSchema>> | undefined

  afterEach(async () => {
    await server?.kill()
    await schema?.drop()
  })

  it('drains in-flight writes, then closes the store, and exits 0 without an error line', async () => {
    schema = await createTestSchema()
    await migrateStore({ postgresUrl: schema.url })
    // --log-level warn (spawnServer's): every line at warn or above is printed, so an error line cannot hide.
    server = await spawnServer(
      ['--database-url', schema.url, '--admin-key', ADMIN_KEY, '--rate-limit', '1000000', '--write-rate-limit', '1000000'],
      { GATEHOUSE_SECRET_KEY: randomBytes(32).toString('hex') },
    )
    const admin = new HttpClient(server.url, ADMIN_KEY)
    const created = await admin.post('/admin/workspaces', { name: 'Shutdown', slug: 'shutdown', ownerEmail: 'owner@shutdown.example' })
    expect(created.status, created.text).toBe(201)
    const token = created.body.data.token as string
    const url = server.url

    const statuses = new Map<number | string, number>()
    const count = (key: number | string) => statuses.set(key, (statuses.get(key) ?? 0) + 1)
    /** One POST to the workspace (every write moves its counters: one contended row); never rejects. */
    const post = async (path: string, body: unknown, signal?: AbortSignal) => {
      try {
        const res = await fetch(`${url}${path}`, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body: JSON.stringify(body),
          ...(signal ? { signal } : {}),
        })
        await res.arrayBuffer()
        count(res.status)
      } catch (error) {
        // Given up by the client, or refused once the server no longer listens.
        count((error as Error).name === 'TimeoutError' ? 'gave up' : 'refused')
        await sleep(20)
      }
    }
    const invites = (tag: string) => ({ invites: Array.from({ length: 200 }, (_, k) => ({ email: `${tag}-${k}@shutdown.example` })) })

    // Writers keep the workspace busy (every write moves its counters: conflicts, retries, queueing) ...
    let running = true
    const patient = Array.from({ length: WRITERS }, async (_, w) => {
      for (let i = 0; running; i++) await post('/groups', { name: `w${w}-g${i}` })
    })
    await sleep(1_000)
    running = false
    await Promise.all(patient)
    expect(statuses.get(200) ?? 0, JSON.stringify([...statuses])).toBeGreaterThan(0)
    // ... then one write whose client waits for its answer, and bulk writes behind it whose clients hang up
    // almost at once: their handlers go on, queued or retrying, after the last socket has closed.
    const last = fetch(`${url}/groups`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'in flight at the signal' }),
    }).then(
      (res) => res.status,
      (error: Error) => error.message,
    )
    const abandoned = Array.from({ length: ABANDONED }, (_, k) => post('/invites', invites(`abandoned${k}`), AbortSignal.timeout(50)))
    await sleep(25)
    const exited = server.stop()
    const code = await Promise.race([exited, sleep(20_000).then(() => 'still running')])
    await Promise.all(abandoned)

    // The write in flight at the signal was answered: stopping drains before it closes.
    expect(await last).toBe(200)
    const output = server.output()
    expect(code, output).toBe(0)
    expect(badLines(output), output).toEqual([])
    // Nothing but success, the 503 of a stopping server, a request given up, or the closed port.
    expect(
      [...statuses.keys()].filter((k) => ![200, 503, 'gave up', 'refused'].includes(k)),
      JSON.stringify([...statuses]),
    ).toEqual([])
    expect(statuses.get('gave up') ?? 0, JSON.stringify([...statuses])).toBeGreaterThan(0)
  }, 60_000)
})
