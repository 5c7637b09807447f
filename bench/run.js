// `npm run bench`: Gatehouse's read and write paths against a minimal in-memory Fastify server, in one run, on
// SQLite (one server) and on PostgreSQL with one replica and with two.
//
// SQLite: starts the built server (dist/) on a temporary file and seeds 100,000 users through the operator API.
// PostgreSQL: creates a schema with a random name (dropped at the end, on failure and on Ctrl-C too), migrates
// it, starts replica 1 and seeds the same users through its operator API; after the one-replica scenarios,
// replica 2 starts on the same schema (same GATEHOUSE_SECRET_KEY) and every scenario runs on both at once:
// one autocannon per replica with half the connections, req/s summed, p99 the worse of the two. Then the read
// scenarios run again on one and on two replicas each held to BENCH_REPLICA_CORES of CPU by a cgroup quota, as
// if every replica had a small machine of its own: on a 2-core machine the replicas, PostgreSQL and the load
// generator otherwise share the same cores, and a second replica can only take CPU from the first.
// bench/baseline-server.js holds the same users in memory. All load comes from this process and targets
// 127.0.0.1 only. Prints req/s and p99 per scenario and setup with the ratio to the baseline, CPU per request
// per server, checks the targets, and writes bench/results/latest.json. Results are ratios from the same run
// on the same machine, never absolute numbers to compare across machines. A miss is reported, not an exit
// code: this is a measurement.
//
// Environment:
//   BENCH_STORES=sqlite,postgres   which stores to run (default both)
//   BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test   the PostgreSQL to create the schema in
//   BENCH_SECONDS=5      measured seconds per scenario      BENCH_WARMUP=1   unmeasured seconds before each
//                        (and 3 × that of mixed Gatehouse reads before each setup's first scenario)
//   BENCH_CONNECTIONS=10 concurrent connections (split between the replicas)   BENCH_USERS=100000
//   BENCH_ONLY=baseline,first-page   run only these scenarios (the rest: deep-page, get-user, create-group)
//   BENCH_REPLICA_CORES=0.4   CPU per replica in the capped setups (0: skip them; they need a writable cgroup)
//   BENCH_CPU_PROF=1     restart every Gatehouse server after seeding under `node --cpu-prof`; the profiles
//                        (scenarios only, no seeding) go to bench/results/profiles/ and their summaries are printed
import { randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs'
import { cpus, loadavg } from 'node:os'
import { join } from 'node:path'
import {
  baselineScenario,
  call,
  capCpu,
  check,
  checkReads,
  cleanup,
  createSchema,
  expectStatus,
  firstPagePath,
  fmt,
  gatehouseScenarios,
  guard,
  HOST,
  loadAll,
  loadSettings,
  measure,
  numberFrom,
  printTable,
  RESULTS,
  ROOT,
  randomIds,
  seedUsers,
  startChild,
  stopChild,
  tmp,
  walkUsers,
  warmUpScenario,
} from './lib.js'
import { printSummary } from './profile-summary.js'

const { seconds: SECONDS, warmup: WARMUP, connections: CONNECTIONS, databaseUrl: DATABASE_URL } = loadSettings()
const USERS = numberFrom('BENCH_USERS', 100_000, 99_100) // the deep page needs 99,100 rows
const PROFILE = process.env.BENCH_CPU_PROF === '1'
const ONLY = process.env.BENCH_ONLY ? new Set(process.env.BENCH_ONLY.split(',').map((s) => s.trim())) : undefined
const STORES = (process.env.BENCH_STORES || 'sqlite,postgres').split(',').map((s) => s.trim())
for (const s of STORES) if (s !== 'sqlite' && s !== 'postgres') throw new Error(`BENCH_STORES takes sqlite and postgres, got ${s}`)
const SEED_TARGET_S = 30
const REPLICA_TARGET = 1.6
const REPLICA_CORES = numberFrom('BENCH_REPLICA_CORES', 0.4, 0)
const READS = ['first-page', 'deep-page', 'get-user']
const SETUPS = {
  sqlite: 'SQLite',
  pg1: 'PostgreSQL ×1',
  pg2: 'PostgreSQL ×2',
  pg1cap: `PostgreSQL ×1 (${REPLICA_CORES} core)`,
  pg2cap: `PostgreSQL ×2 (${REPLICA_CORES} core each)`,
}
const SHORT = { sqlite: 'SQLite', pg1: 'PG ×1', pg2: 'PG ×2', pg1cap: 'cap ×1', pg2cap: 'cap ×2' }
/** Replica scaling is read off these pairs: the capped one when it ran, as it shows what one machine cannot. */
const PAIRS = [
  ['pg1', 'pg2'],
  ['pg1cap', 'pg2cap'],
]
// Everything is bounded; this guard catches a hung child. Defaults finish well inside it.
const setupCount = (STORES.includes('sqlite') ? 1 : 0) + (STORES.includes('postgres') ? (REPLICA_CORES > 0 ? 4 : 2) : 0)
const DEADLINE_MS = (60 + 150 * STORES.length + 2 * (setupCount * (4 * (SECONDS + WARMUP) + 3 * WARMUP) + 2 * (SECONDS + WARMUP))) * 1000
const run = guard(DEADLINE_MS)

const wanted = (s) => !ONLY || ONLY.has(s.key)
const profileDir = join(RESULTS, 'profiles')
/** Where each profiled server writes: one folder per server, so the summaries say whose they are. */
const profiles = []
const profiled = (name, args) => {
  if (!PROFILE) return args
  const dir = join(profileDir, name)
  mkdirSync(dir, { recursive: true })
  profiles.push({ name, dir })
  return ['--cpu-prof', '--cpu-prof-dir', dir, ...args]
}

const serveArgs = (adminKey, store) => [
  'dist/main.js',
  'serve',
  '--host',
  HOST,
  '--port',
  '0',
  ...store,
  '--admin-key',
  adminKey,
  '--rate-limit',
  'off',
  '--log-level',
  'warn',
  '--no-demo',
]

// ── the run ─────────────────────────────────────────────────────────────────────────────────────────────

/** Shared across the stores: the baseline server, its two measurements, and every server for the log tails. */
const state = { baseline: undefined, baselineResults: [], setups: [], servers: [], seeding: {} }

async function main() {
  if (!existsSync(join(ROOT, 'dist', 'main.js'))) throw new Error('dist/main.js is missing: run `npm run build` first (npm run bench does)')
  console.log(
    `Gatehouse bench: ${STORES.join(' and ')}, ${USERS.toLocaleString('en')} users, ${SECONDS} s per scenario (+${WARMUP} s warm-up), ` +
      `${CONNECTIONS} connections, node ${process.version}, ${cpus().length} CPUs (${cpus()[0]?.model.trim() ?? 'unknown'})`,
  )
  const adminKey = randomBytes(24).toString('hex')
  const loadBefore = loadavg()[0]
  if (STORES.includes('sqlite')) await sqlite(adminKey)
  if (STORES.includes('postgres')) await postgres(adminKey)

  // The baseline runs again last: ratios use the mean of both, and the spread shows how much the machine drifted.
  if (state.baselineResults.length > 0 && state.setups.some((s) => s.results.length > 0)) {
    process.stdout.write('running the baseline again… ')
    const r = await measureOn({ ...baselineScenario, key: 'baseline-again', label: 'baseline first page (again, last)' }, [state.baseline])
    state.baselineResults.push(r)
    console.log(`${fmt.int(r.reqPerSec)} req/s, p99 ${r.p99Ms} ms`)
  }
  const loadAfter = loadavg()[0]
  await Promise.all(state.servers.map((s) => stopChild(s.child))) // writes the profiles
  report([loadBefore, loadAfter])
  for (const { name, dir } of profiles) {
    const newest = readdirSync(dir)
      .filter((f) => f.endsWith('.cpuprofile'))
      .sort()
      .pop()
    if (newest) {
      console.log(`\n── ${name} ──`)
      printSummary(join(dir, newest), 15)
    }
  }
}

const measureOn = (scenario, servers, dbPids) =>
  measure(scenario, { servers, connections: CONNECTIONS, seconds: SECONDS, warmup: WARMUP, ...(dbPids ? { dbPids } : {}) })

async function sqlite(adminKey) {
  const args = serveArgs(adminKey, ['--db', join(tmp, 'bench.db')])
  let gatehouse = await startChild('Gatehouse', args)
  const data = await seedAndWalk('sqlite', 'SQLite', gatehouse, adminKey)
  if (PROFILE) {
    // Restart on the same file so the profile covers the scenarios, not the seeding.
    await stopChild(gatehouse.child)
    gatehouse = await startChild('Gatehouse (profiled)', profiled('sqlite', args))
  }
  state.servers.push(gatehouse)
  await runSetup('sqlite', [gatehouse], data)
  await stopChild(gatehouse.child) // its CPU and memory are not the PostgreSQL setups' business
}

async function postgres(adminKey) {
  const db = await createSchema(DATABASE_URL)
  console.log(`PostgreSQL: schema ${db.schema} in ${DATABASE_URL.replace(/\/\/[^@/]*@/, '//…@')}`)
  const { migrateStore } = await import('../dist/store/open.js')
  await migrateStore({ postgresUrl: db.url })
  // Replicas sharing a database share the key that seals remote tokens.
  const env = { GATEHOUSE_SECRET_KEY: randomBytes(32).toString('hex') }
  const args = serveArgs(adminKey, ['--database-url', db.url])
  let replica1 = await startChild('Replica 1', args, env)
  const data = await seedAndWalk('postgres', 'PostgreSQL (through replica 1)', replica1, adminKey)
  // Fresh statistics for the planner, as autovacuum would make them a little later.
  const tables = await db.query(`select tablename from pg_tables where schemaname = '${db.schema}'`)
  for (const { tablename } of tables.rows) await db.query(`vacuum analyze "${tablename}"`)
  if (PROFILE) {
    await stopChild(replica1.child)
    replica1 = await startChild('Replica 1 (profiled)', profiled('postgres-replica-1', args), env)
  }
  state.servers.push(replica1)
  await runSetup('pg1', [replica1], data, db.backendPids)

  const replica2 = await startChild('Replica 2', profiled('postgres-replica-2', args), env)
  state.servers.push(replica2)
  // Replica 2 walks the whole list too (which also warms it up as the walk did replica 1): the same rows, in order.
  const walked = await walkUsers(replica2.url, data.token)
  check(walked.all.length === data.all.length && walked.all.every((u, i) => u.id === data.all[i].id), 'both replicas list the same users')
  await checkReads('Replica 2', replica2.url, data)
  await runSetup('pg2', [replica1, replica2], data, db.backendPids)
  if (REPLICA_CORES > 0) await capped([replica1, replica2], data, db.backendPids)
  await Promise.all([stopChild(replica1.child), stopChild(replica2.child)])
}

/** The read scenarios again, on one replica and then on both, each replica held to REPLICA_CORES of CPU. */
async function capped(replicas, data, dbPids) {
  const lifts = replicas.map((r) => capCpu(r.child.pid, REPLICA_CORES))
  try {
    if (lifts.includes(undefined)) {
      console.log(`capped setups skipped: no cgroup CPU quota can be set here (needs root and a cpu controller)`)
      return
    }
    const reads = (scenario) => READS.includes(scenario.key)
    await runSetup('pg1cap', replicas.slice(0, 1), data, dbPids, reads)
    await runSetup('pg2cap', replicas, data, dbPids, reads)
  } finally {
    for (const lift of lifts) lift?.()
  }
}

/** Seeds through `server`, walks the list back, starts the baseline on the first walk, and checks one response each. */
async function seedAndWalk(key, store, server, adminKey) {
  const { token, seconds } = await seedUsers(server.url, adminKey, USERS)
  state.seeding[key] = seconds
  console.log(`${store}: seeded ${USERS.toLocaleString('en')} users in ${seconds.toFixed(1)} s (${Math.round(USERS / seconds)} users/s)`)
  const walked = await walkUsers(server.url, token)
  console.log(
    `${store}: walked ${walked.all.length.toLocaleString('en')} users (the seeded ones and the owner) in ${walked.seconds.toFixed(1)} s; ` +
      `deep page starts at row ${walked.deepRow.toLocaleString('en')}`,
  )
  const data = { token, ...walked, ids: randomIds(walked.all) }
  if (!state.baseline) {
    const usersFile = join(tmp, 'users.json')
    writeFileSync(usersFile, JSON.stringify(walked.all.map(({ id, name, email }) => ({ id, name, email, permissions: [] }))))
    state.baseline = await startChild('Baseline', [join('bench', 'baseline-server.js'), usersFile])
  }
  const first = await checkReads(server.name, server.url, data)
  const baseFirst = expectStatus(await call(state.baseline.url, 'GET', firstPagePath), 200, 'baseline first page')
  check(baseFirst.data.users.length === first.data.users.length, 'baseline first page')
  check(first.data.pagination.totalEntries === baseFirst.data.pagination.totalEntries, 'both servers count the same users')
  const bytes = (body) => Buffer.byteLength(JSON.stringify(body))
  console.log(`${store}: first-page body: Gatehouse ${bytes(first)} bytes, baseline ${bytes(baseFirst)} bytes`)
  return data
}

/** Warms every server up, measures the baseline if this is the first setup, then each scenario on all servers at once. */
async function runSetup(key, servers, data, dbPids, only = () => true) {
  const setup = { key, label: SETUPS[key], replicas: servers.map((s) => s.name), results: [] }
  state.setups.push(setup)
  const scenarios = gatehouseScenarios(data).filter(wanted).filter(only)
  // The first Gatehouse scenario after seeding measured ~15% below the second, whichever came first (JIT and
  // heap still settling after 100 write batches), so every read path gets a few unmeasured seconds up front.
  if (WARMUP > 0 && scenarios.length > 0) await loadAll(warmUpScenario(data), servers, CONNECTIONS, 3 * WARMUP)
  if (state.baselineResults.length === 0 && wanted(baselineScenario)) {
    process.stdout.write(`running ${baselineScenario.label}… `)
    const r = await measureOn(baselineScenario, [state.baseline])
    state.baselineResults.push(r)
    console.log(`${fmt.int(r.reqPerSec)} req/s, p99 ${r.p99Ms} ms`)
  }
  for (const scenario of scenarios) {
    process.stdout.write(`running ${scenario.label} on ${setup.label}… `)
    const r = await measureOn(scenario, servers, dbPids)
    setup.results.push(r)
    const split = r.perServer.length > 1 ? ` (${r.perServer.map((p) => fmt.int(p.reqPerSec)).join(' + ')})` : ''
    console.log(
      `${fmt.int(r.reqPerSec)} req/s${split}, p99 ${r.p99Ms} ms` +
        (r.non2xx || r.errors ? `, ${r.non2xx} non-2xx, ${r.errors} errors` : ''),
    )
  }
}

// ── the report ──────────────────────────────────────────────────────────────────────────────────────────

const mean = (xs) => (xs.length > 0 ? xs.reduce((a, b) => a + b) / xs.length : undefined)

/** A pino line as `msg: err.message` (stacks are in the servers' own logs, not needed here). */
function brief(line) {
  try {
    const { msg, err } = JSON.parse(line)
    return err?.message ? `${msg}: ${err.message}` : String(msg)
  } catch {
    return line.slice(0, 300)
  }
}

function report(load) {
  const baselines = state.baselineResults.map((r) => r.reqPerSec)
  const base = mean(baselines)
  const baseCpu = mean(state.baselineResults.filter((r) => r.cpuUsPerReq !== null).map((r) => r.cpuUsPerReq))
  const setup = Object.fromEntries(state.setups.map((s) => [s.key, Object.fromEntries(s.results.map((r) => [r.key, r]))]))
  const ok = (r) => r.non2xx + r.errors + r.timeouts === 0

  // SQLite against the baseline, as this bench has always printed it.
  if (setup.sqlite) {
    const results = [
      ...state.baselineResults.slice(0, 1),
      ...state.setups.find((s) => s.key === 'sqlite').results,
      ...state.baselineResults.slice(1),
    ]
    printTable(
      ['scenario', 'req/s', 'p99 ms', 'vs baseline', 'CPU µs/req', 'vs baseline', 'responses'],
      results.map((r) => [
        r.label,
        fmt.int(r.reqPerSec),
        String(r.p99Ms),
        base ? `${(r.reqPerSec / base).toFixed(2)}×` : '–',
        r.cpuUsPerReq === null ? '–' : String(Math.round(r.cpuUsPerReq)),
        r.cpuUsPerReq === null || !baseCpu ? '–' : `${(baseCpu / r.cpuUsPerReq).toFixed(2)}×`,
        ok(r) ? 'ok' : `${r.non2xx} non-2xx, ${r.errors} errors, ${r.timeouts} timeouts`,
      ]),
      [0, 6],
    )
  }

  // Every setup side by side.
  const keys = state.setups.map((s) => s.key)
  const pairs = PAIRS.filter(([one, two]) => setup[one] && setup[two])
  const scenarioRows = [
    ...new Map([
      ...(base ? [['baseline', baselineScenario.label]] : []),
      ...state.setups.flatMap((s) => s.results.map((r) => [r.key, r.label])),
    ]),
  ]
  if (state.setups.length > 1 || !setup.sqlite) {
    const header = ['scenario']
    for (const k of keys) header.push(SHORT[k], 'p99', '×base')
    for (const [, two] of pairs) header.push(`${SHORT[two]}/×1`)
    header.push('baseline', 'p99')
    printTable(
      header,
      scenarioRows.map(([key, label]) => {
        const row = [label]
        for (const k of keys) {
          const r = setup[k][key]
          row.push(fmt.int(r?.reqPerSec), r ? String(r.p99Ms) : '–', r ? fmt.ratio(r.reqPerSec, base) : '–')
        }
        for (const [one, two] of pairs) row.push(fmt.ratio(setup[two][key]?.reqPerSec, setup[one][key]?.reqPerSec))
        row.push(
          key === 'baseline' ? fmt.int(base) : '–',
          key === 'baseline' ? String(Math.max(...state.baselineResults.map((r) => r.p99Ms))) : '–',
        )
        return row
      }),
    )
    console.log(
      `req/s, p99 ms and the ratio to the baseline (mean of its two runs); PG ×2: two replicas on one schema, ${CONNECTIONS} connections split between them` +
        (setup.pg1cap ? `; cap: each replica held to ${REPLICA_CORES} core by a cgroup quota` : ''),
    )
  }

  // CPU per request, per server: each Gatehouse over the requests it served, PostgreSQL's backends and the whole
  // machine over all of them. `busy` is the share of all cores in use while the scenario ran.
  const cpuColumns = {
    sqlite: [['SQLite GH', (r) => r.perServer[0]?.cpuUsPerReq]],
    pg1: [
      ['PG×1 GH', (r) => r.perServer[0]?.cpuUsPerReq],
      ['PG', (r) => r.dbCpuUsPerReq],
    ],
    pg2: [
      ['PG×2 GH 1', (r) => r.perServer[0]?.cpuUsPerReq],
      ['GH 2', (r) => r.perServer[1]?.cpuUsPerReq],
      ['PG', (r) => r.dbCpuUsPerReq],
    ],
    pg1cap: [
      ['cap×1 GH', (r) => r.perServer[0]?.cpuUsPerReq],
      ['PG', (r) => r.dbCpuUsPerReq],
    ],
    pg2cap: [
      ['cap×2 GH 1', (r) => r.perServer[0]?.cpuUsPerReq],
      ['GH 2', (r) => r.perServer[1]?.cpuUsPerReq],
      ['PG', (r) => r.dbCpuUsPerReq],
    ],
  }
  const cpuHeader = ['CPU µs/request']
  for (const k of keys) cpuHeader.push(...cpuColumns[k].map(([h]) => h), 'all', 'busy')
  printTable(
    cpuHeader,
    scenarioRows
      .filter(([key]) => key !== 'baseline')
      .map(([key, label]) => {
        const row = [label]
        for (const k of keys) {
          const r = setup[k][key]
          row.push(...cpuColumns[k].map(([, get]) => (r ? fmt.int(get(r)) : '–')), fmt.int(r?.machineUsPerReq), fmt.pct(r?.machineBusy))
        }
        return row
      }),
  )
  console.log(
    'GH: a Gatehouse server, over the requests it served; PG: the PostgreSQL backends of the replicas; all: everything\n' +
      `the machine ran (servers, PostgreSQL, this load generator, anything else) over all requests; busy: share of the ${cpus().length} cores in use.` +
      (baseCpu ? ` Baseline: ${fmt.int(baseCpu)} µs/request.` : ''),
  )

  if (baselines.length > 1) {
    const spread = (Math.max(...baselines) - Math.min(...baselines)) / (base ?? 1)
    console.log(
      `\nratios are to the mean of the two baseline runs (${Math.round(base ?? 0)} req/s)` +
        (spread > 0.15 ? `; they differ by ${Math.round(100 * spread)}%, so the machine was not steady` : ''),
    )
  }

  const targets = []
  const target = (name, value, goal, pass) =>
    targets.push({ name, value, goal, result: pass === undefined ? 'SKIP' : pass ? 'PASS' : 'MISS' })
  // The targets are on req/s, as specified; CPU per request is printed beside them as a cross-check.
  const byCpu = (a, b) => (a?.cpuUsPerReq && b ? `, by CPU per request ${(b / a.cpuUsPerReq).toFixed(2)}×` : '')
  for (const [k, suffix, seeded] of [
    ['sqlite', '', state.seeding.sqlite],
    ['pg1', ' (PostgreSQL)', state.seeding.postgres],
  ]) {
    const by = setup[k]
    if (!by) continue
    target(`seeding ${USERS.toLocaleString('en')} users${suffix}`, `${seeded.toFixed(1)} s`, `< ${SEED_TARGET_S} s`, seeded < SEED_TARGET_S)
    const first = by['first-page']?.reqPerSec
    const deep = by['deep-page']?.reqPerSec
    target(
      `first page vs baseline${suffix}`,
      first && base ? `${(first / base).toFixed(2)}×${byCpu(by['first-page'], baseCpu)}` : 'n/a',
      '≥ 0.60×',
      first && base ? first >= 0.6 * base : undefined,
    )
    target(
      `deep page vs first page${suffix}`,
      deep && first ? `${(deep / first).toFixed(2)}×${byCpu(by['deep-page'], by['first-page']?.cpuUsPerReq)}` : 'n/a',
      '≥ 0.90×',
      deep && first ? deep >= 0.9 * first : undefined,
    )
  }
  // With the capped pair, the target is read off it (the unlimited pair is printed as information); else off the unlimited one.
  const [judged, ...informative] = [...pairs].reverse()
  for (const [one, two] of [judged, ...informative].filter(Boolean))
    for (const key of READS) {
      const a = setup[one][key]
      const b = setup[two][key]
      const value = a && b ? `${(b.reqPerSec / a.reqPerSec).toFixed(2)}× (${fmt.int(b.reqPerSec)} vs ${fmt.int(a.reqPerSec)} req/s)` : 'n/a'
      const name = `2 replicas vs 1${one === 'pg1cap' ? `, ${REPLICA_CORES} core each` : ', unlimited'}, ${a?.label ?? key}`
      if (one === judged[0])
        target(name, value, `≥ ${REPLICA_TARGET.toFixed(2)}×`, a && b ? b.reqPerSec >= REPLICA_TARGET * a.reqPerSec : undefined)
      else targets.push({ name, value, goal: null, result: 'info' })
    }
  console.log('\ntargets:')
  let headed = false
  for (const t of targets) {
    if (!headed && t.name.startsWith('2 replicas')) {
      headed = true
      console.log(`  2 replicas ≥ ${REPLICA_TARGET}× one replica on reads (PostgreSQL):`)
    }
    console.log(`  ${t.result.padEnd(4)}  ${t.name}: ${t.value}${t.result === 'info' ? '' : ` (target ${t.goal})`}`)
  }
  if (setup.pg1?.['create-group'] && setup.pg2?.['create-group'])
    console.log(
      `  info  2 replicas vs 1, POST /groups: ${fmt.ratio(setup.pg2['create-group'].reqPerSec, setup.pg1['create-group'].reqPerSec)} (writes: no target)`,
    )

  const all = [...state.baselineResults, ...state.setups.flatMap((s) => s.results.map((r) => ({ ...r, setup: s.label })))]
  const failed = all.filter((r) => !ok(r))
  if (failed.length > 0) {
    console.log('\nWARNING: this run had failed requests, so its numbers are not trustworthy:')
    for (const r of failed)
      console.log(
        `  ${r.setup ? `${r.setup}: ` : ''}${r.label}: status counts ${JSON.stringify(r.statuses)}, ${r.errors} errors, ${r.timeouts} timeouts`,
      )
  } else console.log('\nevery response was 2xx')
  // The bench's own processes keep the cores busy; what matters is CPU none of them used while measuring.
  const others = all.map((r) => r.otherBusy).filter((x) => x !== null)
  const other = others.length > 0 ? Math.max(...others) : undefined
  const busy = load[0] > cpus().length || (other ?? 0) > 0.15
  console.log(
    `load average ${load.map((l) => l.toFixed(1)).join(' → ')} on ${cpus().length} CPUs` +
      (other === undefined ? '' : `; CPU outside the bench's processes (kernel, other work) up to ${fmt.pct(other)} of the machine`) +
      (busy ? ': WARNING, other work competed for the CPUs during this run; its numbers are noisy' : ''),
  )
  for (const server of [...state.servers, state.baseline].filter(Boolean))
    if (server.log.lines > 0)
      console.log(`${server.name} logged ${server.log.lines} lines; the last:\n  ${server.log.tail.slice(-5).map(brief).join('\n  ')}`)

  mkdirSync(RESULTS, { recursive: true })
  const out = {
    date: new Date().toISOString(),
    node: process.version,
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model.trim(),
    loadAverage: { before: load[0], after: load[1], contended: busy, otherBusyMax: other ?? null },
    settings: {
      stores: STORES,
      users: USERS,
      seconds: SECONDS,
      warmupSeconds: WARMUP,
      connections: CONNECTIONS,
      pageSize: 100,
      profiled: PROFILE,
    },
    seeding: Object.fromEntries(Object.entries(state.seeding).map(([store, seconds]) => [store, { users: USERS, seconds }])),
    baselineReqPerSec: base ?? null,
    scenarios: all.map((r) => ({ ...r, vsBaseline: base ? r.reqPerSec / base : null })),
    targets,
    clean: failed.length === 0,
  }
  writeFileSync(join(RESULTS, 'latest.json'), `${JSON.stringify(out, null, 2)}\n`)
  console.log(`\nwrote ${join('bench', 'results', 'latest.json')}`)
}

try {
  await main()
} catch (error) {
  if (!run.interrupted) console.error(`\nbench failed: ${error instanceof Error ? error.stack : error}`)
  process.exitCode = 1
} finally {
  await cleanup()
}
