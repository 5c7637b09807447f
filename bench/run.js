// `npm run bench`: Gatehouse's read and write paths against a minimal in-memory Fastify server, in one run.
//
// Starts the built server (dist/) on a temporary SQLite file, seeds 100,000 users through the operator API,
// starts bench/baseline-server.js holding the same users, then load-tests both with autocannon from this
// process. Prints req/s and p99 per scenario with the ratio to the baseline, checks the targets, and writes
// bench/results/latest.json. Results are ratios from the same run on the same machine, never absolute
// numbers to compare across machines. A miss is reported, not an exit code: this is a measurement.
//
// Environment:
//   BENCH_SECONDS=5      measured seconds per scenario      BENCH_WARMUP=1   unmeasured seconds before each
//                        (and 3 × that of mixed Gatehouse reads before the first scenario)
//   BENCH_CONNECTIONS=10 concurrent connections             BENCH_USERS=100000
//   BENCH_ONLY=baseline,first-page   run only these scenarios (the rest: deep-page, get-user, create-group)
//   BENCH_CPU_PROF=1     restart Gatehouse after seeding under `node --cpu-prof`; the profile (scenarios only,
//                        no seeding) goes to bench/results/profiles/ and its summary is printed
import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { cpus, loadavg, tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import autocannon from 'autocannon'
import { printSummary } from './profile-summary.js'

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..')
const RESULTS = join(ROOT, 'bench', 'results')
const HOST = '127.0.0.1'
// Both servers must print this; any other address fails the start, so the load only ever targets HOST.
const READY = new RegExp(`ready on (http://${HOST.replaceAll('.', '\\.')}:\\d+)`)
const SECONDS = numberFrom('BENCH_SECONDS', 5, 1)
const WARMUP = numberFrom('BENCH_WARMUP', 1, 0)
const CONNECTIONS = numberFrom('BENCH_CONNECTIONS', 10, 1)
const USERS = numberFrom('BENCH_USERS', 100_000, 99_100) // the deep page needs 99,100 rows
const PROFILE = process.env.BENCH_CPU_PROF === '1'
const ONLY = process.env.BENCH_ONLY ? new Set(process.env.BENCH_ONLY.split(',').map((s) => s.trim())) : undefined
const BATCH = 1000 // the operator API's MAX_BATCH
const PAGE = 100
const DEEP_PAGES = 99 // pages of 1000 walked before the deep page: it starts at row 99,000
const SEED_TARGET_S = 30
// Everything above is bounded; this guard catches a hung child. Defaults finish well inside it.
const DEADLINE_MS = (120 + 5 * (SECONDS + WARMUP) * 2) * 1000

function numberFrom(name, fallback, min) {
  const raw = process.env[name]
  if (raw === undefined || raw === '') return fallback
  const n = Number(raw)
  if (!Number.isFinite(n) || n < min) throw new Error(`${name} must be a number ≥ ${min}, got ${raw}`)
  return n
}

// ── child processes and clean-up ────────────────────────────────────────────────────────────────────────

const tmp = mkdtempSync(join(tmpdir(), 'gatehouse-bench-'))
/** @type {Set<import('node:child_process').ChildProcess>} */
const children = new Set()

/** Starts `node args…` and resolves once stdout prints `… ready on http://127.0.0.1:PORT`. */
function startChild(name, args) {
  const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] })
  children.add(child)
  const tail = []
  const log = { lines: 0, tail }
  const keep = (line) => {
    log.lines++
    tail.push(line)
    if (tail.length > 20) tail.shift()
  }
  child.on('exit', () => children.delete(child))
  createInterface({ input: child.stderr }).on('line', keep)
  const stdout = createInterface({ input: child.stdout })
  return new Promise((resolve, reject) => {
    let ready = false
    const fail = (why) => {
      clearTimeout(timer)
      reject(new Error(`${name} did not start: ${why}\n${tail.join('\n')}`))
    }
    const timer = setTimeout(() => fail('no ready line within 30 s'), 30_000)
    child.once('exit', (code, signal) => {
      if (!ready) fail(`exited with ${signal ?? code}`)
    })
    child.once('error', (error) => fail(error.message))
    stdout.on('line', (line) => {
      const match = !ready && READY.exec(line)
      if (match) {
        ready = true
        clearTimeout(timer)
        resolve({ name, child, url: match[1], log })
      } else keep(line) // after the ready line, stdout carries the server's log (warn and above)
    })
  })
}

/** SIGTERM (a graceful stop, which also writes a --cpu-prof profile), then SIGKILL after 5 s. */
async function stopChild(child) {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise((resolve) => child.once('exit', resolve))
  child.kill('SIGTERM')
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000)
  await exited
  clearTimeout(timer)
}

async function cleanup() {
  await Promise.all([...children].map(stopChild))
  rmSync(tmp, { recursive: true, force: true })
}

// Last resort when the run dies some other way: no child outlives this process, no temp file stays.
process.on('exit', () => {
  for (const child of children) child.kill('SIGKILL')
  rmSync(tmp, { recursive: true, force: true })
})
let interrupted = false
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    interrupted = true
    console.error(`\nbench: ${signal}, stopping the servers`)
    cleanup().finally(() => process.exit(130))
  })
}
setTimeout(() => {
  console.error(`bench: still running after ${DEADLINE_MS / 1000} s, giving up`)
  cleanup().finally(() => process.exit(1))
}, DEADLINE_MS).unref()

// ── HTTP ────────────────────────────────────────────────────────────────────────────────────────────────

async function call(base, method, path, { token, body } = {}) {
  const headers = {}
  if (token) headers.authorization = `Bearer ${token}`
  if (body !== undefined) headers['content-type'] = 'application/json'
  const res = await fetch(base + path, {
    method,
    headers,
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    signal: AbortSignal.timeout(60_000),
  })
  const text = await res.text()
  let json
  try {
    json = JSON.parse(text)
  } catch {}
  return { status: res.status, body: json, text }
}

function expectStatus(res, status, what) {
  if (res.status !== status) throw new Error(`${what}: expected ${status}, got ${res.status}: ${res.text.slice(0, 300)}`)
  return res.body
}

const firstPagePath = `/users?pagination%5Bcount%5D=${PAGE}`
const pagePath = (count, cursor) =>
  `/users?pagination%5Bcount%5D=${count}${cursor ? `&pagination%5Bcursor%5D=${encodeURIComponent(cursor)}` : ''}`

// ── load ────────────────────────────────────────────────────────────────────────────────────────────────

function cannon(opts) {
  return new Promise((resolve, reject) => {
    autocannon({ connections: CONNECTIONS, ...opts }, (error, result) => (error ? reject(error) : resolve(result)))
  })
}

/** CPU seconds a process has used (user + system), from /proc; undefined where there is no /proc. */
function cpuSecondsOf(pid) {
  try {
    // Fields after the command name, which sits in parentheses and may hold spaces; utime and stime are 14 and 15.
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? []
    return (Number(fields[11]) + Number(fields[12])) / 100 // USER_HZ is 100 on Linux
  } catch {
    return undefined
  }
}

async function measure(scenario, pid) {
  if (WARMUP > 0) await cannon({ ...scenario.load(), duration: WARMUP })
  const cpuBefore = cpuSecondsOf(pid)
  const r = await cannon({ ...scenario.load(), duration: SECONDS })
  const cpuAfter = cpuSecondsOf(pid)
  const ok = r['2xx'] ?? 0
  const statuses = Object.fromEntries(Object.entries(r.statusCodeStats ?? {}).map(([code, { count }]) => [code, Number(count)]))
  return {
    key: scenario.key,
    label: scenario.label,
    server: scenario.server,
    reqPerSec: r.requests.average,
    p50Ms: r.latency.p50,
    p99Ms: r.latency.p99,
    requests: r.requests.total,
    // Server CPU per request: unlike req/s, barely moved by other work competing for the machine.
    cpuUsPerReq: cpuBefore === undefined || cpuAfter === undefined ? null : (1e6 * (cpuAfter - cpuBefore)) / Math.max(1, r.requests.total),
    ok,
    non2xx: r.non2xx,
    errors: r.errors,
    timeouts: r.timeouts,
    statuses,
    seconds: r.duration,
  }
}

// ── the run ─────────────────────────────────────────────────────────────────────────────────────────────

async function main() {
  if (!existsSync(join(ROOT, 'dist', 'main.js'))) throw new Error('dist/main.js is missing: run `npm run build` first (npm run bench does)')
  console.log(
    `Gatehouse bench: ${USERS.toLocaleString('en')} users, ${SECONDS} s per scenario (+${WARMUP} s warm-up), ${CONNECTIONS} connections, ` +
      `node ${process.version}, ${cpus().length} CPUs (${cpus()[0]?.model.trim() ?? 'unknown'})`,
  )
  const adminKey = randomBytes(24).toString('hex')
  const db = join(tmp, 'bench.db')
  const gatehouseArgs = [
    'dist/main.js',
    'serve',
    '--host',
    HOST,
    '--port',
    '0',
    '--db',
    db,
    '--admin-key',
    adminKey,
    '--rate-limit',
    'off',
    '--log-level',
    'warn',
    '--no-demo',
  ]
  let gatehouse = await startChild('Gatehouse', gatehouseArgs)
  const admin = (method, path, body) => call(gatehouse.url, method, `/admin${path}`, { token: adminKey, body })

  // Seed.
  const created = expectStatus(
    await admin('POST', '/workspaces', { name: 'Bench', slug: 'bench', ownerEmail: 'owner@bench.example' }),
    201,
    'POST /admin/workspaces',
  )
  const workspaceId = created.data.workspace.id
  const token = created.data.token
  const seedStart = performance.now()
  for (let from = 0; from < USERS; from += BATCH) {
    const users = []
    for (let i = from; i < Math.min(from + BATCH, USERS); i++) users.push({ email: `user${i}@bench.example`, name: `Bench User ${i}` })
    const res = expectStatus(await admin('POST', `/workspaces/${workspaceId}/users`, { users }), 201, `seed batch at ${from}`)
    if (res.data.users.length !== users.length)
      throw new Error(`seed batch at ${from}: ${res.data.users.length} users back, sent ${users.length}`)
  }
  const seedSeconds = (performance.now() - seedStart) / 1000
  console.log(`seeded ${USERS.toLocaleString('en')} users in ${seedSeconds.toFixed(1)} s (${Math.round(USERS / seedSeconds)} users/s)`)

  // Walk the whole list by 1000: the deep cursor is `next` after 99 pages, and the baseline gets the same rows.
  const walkStart = performance.now()
  const all = []
  let deepCursor
  let cursor
  for (let pages = 0; ; pages++) {
    const res = expectStatus(await call(gatehouse.url, 'GET', pagePath(BATCH, cursor), { token }), 200, `walk page ${pages}`)
    all.push(...res.data.users)
    cursor = res.data.pagination.next
    if (pages + 1 === DEEP_PAGES) deepCursor = cursor
    if (!cursor) break
  }
  for (let i = 1; i < all.length; i++) if (!(all[i - 1].id < all[i].id)) throw new Error(`GET /users is not in id order at row ${i}`)
  if (!deepCursor) throw new Error(`the list ended before ${DEEP_PAGES} pages of ${BATCH}: raise BENCH_USERS`)
  const deepRow = DEEP_PAGES * BATCH
  console.log(
    `walked ${all.length.toLocaleString('en')} users (the seeded ones and the owner) in ${((performance.now() - walkStart) / 1000).toFixed(1)} s; ` +
      `deep page starts at row ${deepRow.toLocaleString('en')}`,
  )

  const usersFile = join(tmp, 'users.json')
  writeFileSync(usersFile, JSON.stringify(all.map(({ id, name, email }) => ({ id, name, email, permissions: [] }))))
  const baseline = await startChild('Baseline', [join('bench', 'baseline-server.js'), usersFile])

  // One checked response per read scenario: the load below counts only status codes.
  const check = (cond, what) => {
    if (!cond) throw new Error(`sanity check failed: ${what}`)
  }
  const gFirst = expectStatus(await call(gatehouse.url, 'GET', firstPagePath, { token }), 200, 'Gatehouse first page')
  const bFirst = expectStatus(await call(baseline.url, 'GET', firstPagePath), 200, 'baseline first page')
  const gDeep = expectStatus(await call(gatehouse.url, 'GET', pagePath(PAGE, deepCursor), { token }), 200, 'Gatehouse deep page')
  check(gFirst.data.users.length === PAGE && gFirst.data.users[0].id === all[0].id, 'Gatehouse first page')
  check(bFirst.data.users.length === PAGE && bFirst.data.users[0].id === all[0].id, 'baseline first page')
  check(gDeep.data.users.length === PAGE && gDeep.data.users[0].id === all[deepRow].id, 'Gatehouse deep page starts at the deep row')
  check(gFirst.data.pagination.totalEntries === bFirst.data.pagination.totalEntries, 'both servers count the same users')
  const bytes = (body) => Buffer.byteLength(JSON.stringify(body))
  console.log(`first-page body: Gatehouse ${bytes(gFirst)} bytes, baseline ${bytes(bFirst)} bytes`)

  let profileDir
  if (PROFILE) {
    // Restart on the same file so the profile covers the scenarios, not the seeding.
    profileDir = join(RESULTS, 'profiles')
    mkdirSync(profileDir, { recursive: true })
    await stopChild(gatehouse.child)
    gatehouse = await startChild('Gatehouse (profiled)', ['--cpu-prof', '--cpu-prof-dir', profileDir, ...gatehouseArgs])
  }

  const auth = { authorization: `Bearer ${token}` }
  const ids = Array.from({ length: 10_000 }, () => all[Math.floor(Math.random() * all.length)].id)
  let nextId = 0
  const runTag = randomBytes(3).toString('hex')
  let nextGroup = 0
  const scenarios = [
    {
      key: 'baseline',
      label: 'baseline first page (in-memory)',
      server: 'baseline',
      load: () => ({ url: baseline.url + firstPagePath }),
    },
    {
      key: 'first-page',
      label: 'GET /users first page',
      server: 'gatehouse',
      load: () => ({ url: gatehouse.url + firstPagePath, headers: auth }),
    },
    {
      key: 'deep-page',
      label: `GET /users at row ${deepRow.toLocaleString('en')}`,
      server: 'gatehouse',
      load: () => ({ url: gatehouse.url + pagePath(PAGE, deepCursor), headers: auth }),
    },
    {
      key: 'get-user',
      label: 'GET /users/{id} (random)',
      server: 'gatehouse',
      load: () => ({
        url: gatehouse.url,
        headers: auth,
        requests: [
          {
            setupRequest: (req) => {
              req.path = `/users/${ids[nextId++ % ids.length]}`
              return req
            },
          },
        ],
      }),
    },
    {
      key: 'create-group',
      label: 'POST /groups (unique names)',
      server: 'gatehouse',
      load: () => ({
        url: gatehouse.url,
        headers: { ...auth, 'content-type': 'application/json' },
        requests: [
          {
            method: 'POST',
            setupRequest: (req) => {
              req.path = '/groups'
              req.body = JSON.stringify({ name: `bench-${runTag}-${nextGroup++}` })
              return req
            },
          },
        ],
      }),
    },
  ].filter((s) => !ONLY || ONLY.has(s.key))

  // The first Gatehouse scenario after seeding measured ~15% below the second, whichever came first (JIT and
  // heap still settling after 100 write batches), so every read path gets a few unmeasured seconds up front.
  if (WARMUP > 0 && scenarios.some((s) => s.server === 'gatehouse')) {
    const paths = [firstPagePath, pagePath(PAGE, deepCursor), ...ids.slice(0, 100).map((id) => `/users/${id}`)]
    let n = 0
    await cannon({
      url: gatehouse.url,
      headers: auth,
      duration: 3 * WARMUP,
      requests: [
        {
          setupRequest: (req) => {
            req.path = paths[n++ % paths.length]
            return req
          },
        },
      ],
    })
  }

  const loadBefore = loadavg()[0]
  const results = []
  for (const scenario of scenarios) {
    process.stdout.write(`running ${scenario.label}… `)
    const r = await measure(scenario, (scenario.server === 'gatehouse' ? gatehouse : baseline).child.pid)
    results.push(r)
    console.log(
      `${Math.round(r.reqPerSec)} req/s, p99 ${r.p99Ms} ms${r.non2xx || r.errors ? `, ${r.non2xx} non-2xx, ${r.errors} errors` : ''}`,
    )
  }
  // The baseline runs again last: ratios use the mean of both, and the spread shows how much the machine drifted.
  const first = scenarios.find((s) => s.key === 'baseline')
  if (first && scenarios.length > 1) {
    process.stdout.write('running the baseline again… ')
    const r = await measure({ ...first, key: 'baseline-again', label: 'baseline first page (again, last)' }, baseline.child.pid)
    results.push(r)
    console.log(`${Math.round(r.reqPerSec)} req/s, p99 ${r.p99Ms} ms`)
  }

  report({ seedSeconds, results, gatehouse, baseline, load: [loadBefore, loadavg()[0]] })

  if (PROFILE) {
    await stopChild(gatehouse.child) // writes the profile
    const newest = readdirSync(profileDir)
      .filter((f) => f.endsWith('.cpuprofile'))
      .sort()
      .pop()
    if (newest) printSummary(join(profileDir, newest), 20)
  }
}

function report({ seedSeconds, results, gatehouse, baseline, load }) {
  const by = Object.fromEntries(results.map((r) => [r.key, r]))
  const baselines = results.filter((r) => r.server === 'baseline').map((r) => r.reqPerSec)
  const base = baselines.length > 0 ? baselines.reduce((a, b) => a + b) / baselines.length : undefined
  const baseCpus = results.filter((r) => r.server === 'baseline' && r.cpuUsPerReq !== null).map((r) => r.cpuUsPerReq)
  const baseCpu = baseCpus.length > 0 ? baseCpus.reduce((a, b) => a + b) / baseCpus.length : undefined
  const rows = results.map((r) => [
    r.label,
    Math.round(r.reqPerSec).toLocaleString('en'),
    String(r.p99Ms),
    base ? `${(r.reqPerSec / base).toFixed(2)}×` : '–',
    r.cpuUsPerReq === null ? '–' : String(Math.round(r.cpuUsPerReq)),
    r.cpuUsPerReq === null || !baseCpu ? '–' : `${(baseCpu / r.cpuUsPerReq).toFixed(2)}×`,
    r.non2xx + r.errors + r.timeouts === 0 ? 'ok' : `${r.non2xx} non-2xx, ${r.errors} errors, ${r.timeouts} timeouts`,
  ])
  const header = ['scenario', 'req/s', 'p99 ms', 'vs baseline', 'CPU µs/req', 'vs baseline', 'responses']
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)))
  const line = (cells) =>
    cells
      .map((c, i) => (i === 0 || i === header.length - 1 ? c.padEnd(widths[i]) : c.padStart(widths[i])))
      .join('  ')
      .trimEnd()
  console.log(`\n${line(header)}\n${widths.map((w) => '─'.repeat(w)).join('  ')}`)
  for (const row of rows) console.log(line(row))

  const targets = []
  const target = (name, value, goal, pass) =>
    targets.push({ name, value, goal, result: pass === undefined ? 'SKIP' : pass ? 'PASS' : 'MISS' })
  target(`seeding ${USERS.toLocaleString('en')} users`, `${seedSeconds.toFixed(1)} s`, `< ${SEED_TARGET_S} s`, seedSeconds < SEED_TARGET_S)
  const first = by['first-page']?.reqPerSec
  const deep = by['deep-page']?.reqPerSec
  // The targets are on req/s, as specified; CPU per request is printed beside them as a cross-check.
  const byCpu = (a, b) => (a?.cpuUsPerReq && b ? `, by CPU per request ${(b / a.cpuUsPerReq).toFixed(2)}×` : '')
  target(
    'first page vs baseline',
    first && base ? `${(first / base).toFixed(2)}×${byCpu(by['first-page'], baseCpu)}` : 'n/a',
    '≥ 0.60×',
    first && base ? first >= 0.6 * base : undefined,
  )
  target(
    'deep page vs first page',
    deep && first ? `${(deep / first).toFixed(2)}×${byCpu(by['deep-page'], by['first-page']?.cpuUsPerReq)}` : 'n/a',
    '≥ 0.90×',
    deep && first ? deep >= 0.9 * first : undefined,
  )
  if (baselines.length > 1) {
    const spread = (Math.max(...baselines) - Math.min(...baselines)) / (base ?? 1)
    console.log(
      `\nratios are to the mean of the two baseline runs (${Math.round(base ?? 0)} req/s)` +
        (spread > 0.15 ? `; they differ by ${Math.round(100 * spread)}%, so the machine was not steady` : ''),
    )
  }
  console.log('\ntargets:')
  for (const t of targets) console.log(`  ${t.result.padEnd(4)}  ${t.name}: ${t.value} (target ${t.goal})`)

  const failed = results.filter((r) => r.non2xx + r.errors + r.timeouts > 0)
  if (failed.length > 0) {
    console.log('\nWARNING: this run had failed requests, so its numbers are not trustworthy:')
    for (const r of failed)
      console.log(`  ${r.label}: status counts ${JSON.stringify(r.statuses)}, ${r.errors} errors, ${r.timeouts} timeouts`)
  } else console.log('\nevery response was 2xx')
  // This process and one server keep about two cores busy; much more load means something else competed.
  const busy = Math.max(...load) > cpus().length + 1
  console.log(
    `load average ${load.map((l) => l.toFixed(1)).join(' → ')} on ${cpus().length} CPUs` +
      (busy ? ': WARNING, other work competed for the CPUs during this run; its numbers are noisy' : ''),
  )
  for (const server of [gatehouse, baseline])
    if (server.log.lines > 0)
      console.log(`${server.name} logged ${server.log.lines} lines; the last:\n  ${server.log.tail.slice(-5).join('\n  ')}`)

  mkdirSync(RESULTS, { recursive: true })
  const out = {
    date: new Date().toISOString(),
    node: process.version,
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model.trim(),
    loadAverage: { before: load[0], after: load[1], contended: busy },
    settings: { users: USERS, seconds: SECONDS, warmupSeconds: WARMUP, connections: CONNECTIONS, pageSize: PAGE, profiled: PROFILE },
    seeding: { users: USERS, seconds: seedSeconds },
    baselineReqPerSec: base ?? null,
    scenarios: results.map((r) => ({ ...r, vsBaseline: base ? r.reqPerSec / base : null })),
    targets,
    clean: failed.length === 0,
  }
  writeFileSync(join(RESULTS, 'latest.json'), `${JSON.stringify(out, null, 2)}\n`)
  console.log(`\nwrote ${join('bench', 'results', 'latest.json')}`)
}

try {
  await main()
} catch (error) {
  if (!interrupted) console.error(`\nbench failed: ${error instanceof Error ? error.stack : error}`)
  process.exitCode = 1
} finally {
  await cleanup()
}
