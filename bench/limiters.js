// `npm run bench:limiters`: what each rate-limit store costs a PostgreSQL replica per request.
//
// The main bench runs with rate limits off, to measure the store alone. A deployment runs with them on, and
// with several replicas the windows must be shared (Redis or PostgreSQL), which adds a round trip to every
// request. This bench starts one replica at a time on one seeded schema, with rate limits off (the baseline),
// then with each store (memory, redis, postgres) and limits too high to answer 429, each setup once per
// round (BENCH_ROUNDS; every other round in reverse order), and loads GET /users/{id} (cheap, so the
// limiter's share is largest), the first page of 100 users, and POST /groups (which also passes the write
// limit, a second window).
// First, PostgreSQL alone: how many updates/s one window row takes, logged and unlogged (see windowRowUpdates).
// Prints req/s, p99 and the ratio to the limits-off run, and CPU per request of the replica and of what holds
// the windows (PostgreSQL backends, or Redis). Targets 127.0.0.1 only; bounded by a deadline.
//
// Environment: BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/test), BENCH_REDIS_URL (default
// redis://127.0.0.1:6379), BENCH_SECONDS=5, BENCH_ROUNDS=3, BENCH_WARMUP=3 (unmeasured seconds before each scenario), BENCH_CONNECTIONS=10,
// BENCH_LIMITERS=redis,postgres (the stores to measure beside the limits-off baseline; default all).

import { execFileSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import {
  call,
  cleanup,
  createSchema,
  expectStatus,
  firstPagePath,
  fmt,
  guard,
  HOST,
  loadAll,
  loadSettings,
  measure,
  numberFrom,
  printTable,
  ROOT,
  startChild,
  stopChild,
} from './lib.js'

const { seconds: SECONDS, warmup: WARMUP, connections: CONNECTIONS, databaseUrl: DATABASE_URL } = loadSettings({ warmup: 3 })
const REDIS_URL = process.env.BENCH_REDIS_URL || 'redis://127.0.0.1:6379'
const USERS = 1_000
const HIGH = '1000000' // the flags' maximum: no window fills in a run of this length
const SETUPS = [
  { key: 'off', label: 'off (baseline)', args: ['--rate-limit', 'off'] },
  { key: 'memory', label: 'memory (one process)', args: ['--rate-limit-store', 'memory'] },
  { key: 'redis', label: 'redis (shared)', args: ['--rate-limit-store', 'redis', '--redis-url', REDIS_URL] },
  { key: 'postgres', label: 'postgres (shared)', args: ['--rate-limit-store', 'postgres'] },
]
const ONLY = process.env.BENCH_LIMITERS?.split(',').map((s) => s.trim())
if (ONLY) for (let i = SETUPS.length - 1; i > 0; i--) if (!ONLY.includes(SETUPS[i].key)) SETUPS.splice(i, 1) // off stays: it is the baseline
// Each setup runs once per round, every other round in reverse order, so drift over the run (and the order
// itself) weighs on every setup alike; the table shows the mean of the rounds and their spread.
const ROUNDS = numberFrom('BENCH_ROUNDS', 3, 1)
const ORDER = Array.from({ length: ROUNDS }, (_, i) => (i % 2 === 0 ? SETUPS : [...SETUPS].reverse())).flat()
const run = guard((90 + ORDER.length * (15 + 3 * (SECONDS + WARMUP) * 2)) * 1000)

/** Redis's own pid on this machine, so its CPU counts like the PostgreSQL backends'; undefined if not local. */
function redisPid() {
  try {
    return Number(execFileSync('pgrep', ['-x', 'redis-server'], { encoding: 'utf8' }).split('\n')[0]) || undefined
  } catch {
    return undefined
  }
}

/**
 * What PostgreSQL alone sustains on one workspace's window row: CONNECTIONS clients each running
 * rate-limiter-flexible's own upsert on one key for SECONDS, in a logged table and in an unlogged one (what
 * migration 0008 made of `rate_limits`). Every request of a workspace, through any replica, does one of these.
 */
async function windowRowUpdates(db) {
  const { default: pg } = await import('pg')
  const out = []
  for (const persistence of ['logged', 'unlogged']) {
    const table = `bench_window_${persistence}`
    await db.query(`create ${persistence === 'unlogged' ? 'unlogged ' : ''}table ${table} (like rate_limits including all)`)
    const clients = await Promise.all(
      Array.from({ length: CONNECTIONS }, async () => {
        const client = new pg.Client({ connectionString: db.url })
        await client.connect()
        return client
      }),
    )
    const upsert = {
      name: `upsert_${persistence}`,
      text: `insert into ${table} values ($1, $2, $3) on conflict (key) do update set
               points = case when ${table}.expire <= $4 then $2 else ${table}.points + ($2) end,
               expire = case when ${table}.expire <= $4 then $3 else ${table}.expire end
             returning points, expire`,
    }
    let updates = 0
    const end = performance.now() + SECONDS * 1000
    try {
      await Promise.all(
        clients.map(async (client) => {
          while (performance.now() < end) {
            await client.query({ ...upsert, values: ['bench:workspace', 1, Date.now() + 60_000, Date.now()] })
            updates++
          }
        }),
      )
    } finally {
      await Promise.all(clients.map((c) => c.end()))
    }
    out.push({ persistence, perSecond: updates / SECONDS })
  }
  return out
}

/** Reads go to the seeded workspace; groups are created in a fresh one per setup, so no setup inherits another's. */
function scenarios(token, writeToken, ids) {
  const auth = { authorization: `Bearer ${token}` }
  const tag = randomBytes(3).toString('hex')
  let nextId = 0
  let nextGroup = 0
  const rotating = (method, next) => (url) => ({
    url,
    headers: method === 'POST' ? { authorization: `Bearer ${writeToken}`, 'content-type': 'application/json' } : auth,
    requests: [{ method, setupRequest: (req) => Object.assign(req, next()) }],
  })
  return [
    { key: 'get-user', label: 'GET /users/{id}', load: rotating('GET', () => ({ path: `/users/${ids[nextId++ % ids.length]}` })) },
    { key: 'first-page', label: 'GET /users first page', load: (url) => ({ url: url + firstPagePath, headers: auth }) },
    {
      key: 'create-group',
      label: 'POST /groups',
      load: rotating('POST', () => ({ path: '/groups', body: JSON.stringify({ name: `lim-${tag}-${nextGroup++}` }) })),
    },
  ]
}

async function main() {
  if (!existsSync(join(ROOT, 'dist', 'main.js'))) throw new Error('dist/main.js is missing: run `npm run build` first')
  const db = await createSchema(DATABASE_URL)
  const { migrateStore } = await import('../dist/store/open.js')
  await migrateStore({ postgresUrl: db.url })
  const adminKey = randomBytes(24).toString('hex')
  const env = { GATEHOUSE_SECRET_KEY: randomBytes(32).toString('hex') }
  const serve = (args) =>
    startChild(
      'Replica',
      [
        'dist/main.js',
        'serve',
        '--host',
        HOST,
        '--port',
        '0',
        '--database-url',
        db.url,
        '--admin-key',
        adminKey,
        '--rate-limit',
        HIGH,
        '--write-rate-limit',
        HIGH,
        '--log-level',
        'warn',
        '--no-demo',
        ...args,
      ],
      env,
    )

  // Seed once, through a replica with limits off.
  let replica = await serve(['--rate-limit', 'off'])
  const admin = (method, path, body) => call(replica.url, method, `/admin${path}`, { token: adminKey, body })
  const created = expectStatus(
    await admin('POST', '/workspaces', { name: 'Limiters', slug: 'limiters', ownerEmail: 'owner@limiters.example' }),
    201,
    'workspace',
  )
  const { token, workspace } = created.data
  const users = Array.from({ length: USERS }, (_, i) => ({ email: `user${i}@limiters.example` }))
  const seeded = expectStatus(await admin('POST', `/workspaces/${workspace.id}/users`, { users }), 201, 'seed').data.users
  const ids = seeded.map((u) => u.id)
  await stopChild(replica.child)
  console.log(`Rate-limit stores on one PostgreSQL replica: ${USERS} users, ${SECONDS} s per scenario, ${CONNECTIONS} connections`)

  process.stdout.write(`one workspace's window row, ${CONNECTIONS} clients: `)
  const windowRows = await windowRowUpdates(db)
  const windowLine = windowRows.map((r) => `${r.persistence} ${fmt.int(r.perSecond)} updates/s`).join(', ')
  console.log(windowLine)

  const redis = redisPid()
  const results = []
  for (const [round, setup] of ORDER.entries()) {
    replica = await serve(setup.args)
    // The limiter is on (its headers are there) exactly when the setup says so.
    const res = await fetch(`${replica.url}/users/${ids[0]}`, { headers: { authorization: `Bearer ${token}` } })
    const remaining = res.headers.get('x-ratelimit-remaining')
    if ((setup.key === 'off' ? remaining !== null : remaining === null) || res.status !== 200)
      throw new Error(`${setup.label}: X-RateLimit-Remaining is ${remaining}, status ${res.status}`)
    const storePids = async () => [...(await db.backendPids()), ...(setup.key === 'redis' && redis ? [redis] : [])]
    const servers = [replica]
    const fresh = expectStatus(
      await call(replica.url, 'POST', '/admin/workspaces', {
        token: adminKey,
        body: { name: setup.key, slug: `lim-${setup.key}-${round}`, ownerEmail: `owner@${setup.key}.example` },
      }),
      201,
      `${setup.label}: workspace for writes`,
    )
    for (const scenario of scenarios(token, fresh.data.token, ids)) {
      if (WARMUP > 0) await loadAll(scenario, servers, CONNECTIONS, WARMUP)
      process.stdout.write(`${scenario.label}, ${setup.label}… `)
      const r = await measure(scenario, { servers, connections: CONNECTIONS, seconds: SECONDS, warmup: 0, dbPids: storePids })
      console.log(
        `${fmt.int(r.reqPerSec)} req/s, p99 ${r.p99Ms} ms${r.non2xx || r.errors ? `, ${r.non2xx} non-2xx, ${r.errors} errors` : ''}`,
      )
      results.push({ setup, scenario, r })
    }
    await stopChild(replica.child)
  }

  const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length
  const rows = []
  for (const scenario of scenarios('', '', ids)) {
    const of = (key) => results.filter((x) => x.setup.key === key && x.scenario.key === scenario.key).map((x) => x.r)
    const off = mean(of('off').map((r) => r.reqPerSec))
    for (const setup of SETUPS) {
      const rs = of(setup.key)
      const rps = rs.map((r) => r.reqPerSec)
      rows.push([
        scenario.label,
        setup.label,
        fmt.int(mean(rps)),
        `${fmt.int(Math.min(...rps))}–${fmt.int(Math.max(...rps))}`,
        String(Math.max(...rs.map((r) => r.p99Ms))),
        fmt.ratio(mean(rps), off),
        fmt.int(mean(rs.map((r) => r.cpuUsPerReq))),
        fmt.int(mean(rs.map((r) => r.dbCpuUsPerReq))),
        String(rs.reduce((n, r) => n + r.non2xx + r.errors, 0)),
      ])
    }
  }
  console.log(
    `\nOne workspace's window row in PostgreSQL: ${windowLine}` +
      ` (${fmt.ratio(windowRows[1].perSecond, windowRows[0].perSecond)}): the most requests/s one workspace can make through all replicas together.`,
  )
  printTable(['Scenario', 'Limiter store', 'req/s', 'runs', 'p99 ms', 'vs off', 'replica µs/req', 'store µs/req', 'non-2xx'], rows, [0, 1])
}

try {
  await main()
} catch (error) {
  if (!run.interrupted) console.error(`\nbench failed: ${error instanceof Error ? error.stack : error}`)
  process.exitCode = 1
} finally {
  await cleanup()
}
