// Shared by bench/run.js: child servers and their clean-up, the HTTP helpers, seeding and walking 100,000 users
// through the operator API, the scenarios, and load generation with autocannon against one or several servers
// at once, with the CPU each process (and the machine) spent on it. Everything here targets HOST only.
import { spawn, spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import autocannon from 'autocannon'

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..')
export const RESULTS = join(ROOT, 'bench', 'results')
export const HOST = '127.0.0.1'
// Every server must print this; any other address fails the start, so the load only ever targets HOST.
const READY = new RegExp(`ready on (http://${HOST.replaceAll('.', '\\.')}:\\d+)`)
export const BATCH = 1000 // the operator API's MAX_BATCH
export const PAGE = 100
export const DEEP_PAGES = 99 // pages of 1000 walked before the deep page: it starts at row 99,000

export function numberFrom(name, fallback, min) {
  const raw = process.env[name]
  if (raw === undefined || raw === '') return fallback
  const n = Number(raw)
  if (!Number.isFinite(n) || n < min) throw new Error(`${name} must be a number ≥ ${min}, got ${raw}`)
  return n
}

/** The load settings the HTTP benches share: measured and warm-up seconds per scenario, connections, PostgreSQL. */
export function loadSettings({ warmup = 1 } = {}) {
  return {
    seconds: numberFrom('BENCH_SECONDS', 5, 1),
    warmup: numberFrom('BENCH_WARMUP', warmup, 0),
    connections: numberFrom('BENCH_CONNECTIONS', 10, 1),
    databaseUrl: process.env.BENCH_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test',
  }
}

// ── child processes and clean-up ────────────────────────────────────────────────────────────────────────

export const tmp = mkdtempSync(join(tmpdir(), 'gatehouse-bench-'))
/** @type {Set<import('node:child_process').ChildProcess>} */
const children = new Set()
/** Run after the children stop, newest first: `async` on a normal end or a signal, `sync` if the process dies otherwise. */
const cleanups = []

/** Registers clean-up beyond the children and the temp dir; `sync` is the last resort from the `exit` event. */
export function onCleanup(async, sync) {
  const entry = { async, sync, done: false }
  cleanups.unshift(entry)
}

// The servers inherit the environment minus what would point them at another store or limiter.
const childEnv = Object.fromEntries(
  Object.entries(process.env).filter(
    ([k]) => !['DATABASE_URL', 'GATEHOUSE_DATABASE_URL', 'REDIS_URL', 'GATEHOUSE_REDIS_URL', 'GATEHOUSE_RATE_LIMIT_STORE'].includes(k),
  ),
)

/** Starts `node args…` and resolves once stdout prints `… ready on http://127.0.0.1:PORT`. */
export function startChild(name, args, env = {}) {
  const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...childEnv, ...env } })
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
export async function stopChild(child) {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise((resolve) => child.once('exit', resolve))
  child.kill('SIGTERM')
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000)
  await exited
  clearTimeout(timer)
}

let cleaning
/** Stops every child, then runs the registered clean-ups (each once, failures reported), then removes the temp dir. */
export function cleanup() {
  cleaning ??= (async () => {
    await Promise.all([...children].map(stopChild))
    for (const entry of cleanups) {
      if (entry.done) continue
      entry.done = true
      try {
        await entry.async()
      } catch (error) {
        console.error(`bench: clean-up failed: ${error instanceof Error ? error.message : error}`)
      }
    }
    rmSync(tmp, { recursive: true, force: true })
  })()
  return cleaning
}

/** Signals, a deadline for a hung child, and a last resort on `exit`; returns whether a signal stopped the run. */
export function guard(deadlineMs) {
  // Last resort when the run dies some other way: no child outlives this process, no temp file or schema stays.
  process.on('exit', () => {
    for (const child of children) child.kill('SIGKILL')
    for (const entry of cleanups) {
      if (entry.done || !entry.sync) continue
      entry.done = true
      try {
        entry.sync()
      } catch {}
    }
    rmSync(tmp, { recursive: true, force: true })
  })
  const state = { interrupted: false }
  for (const signal of ['SIGINT', 'SIGTERM']) {
    process.once(signal, () => {
      state.interrupted = true
      console.error(`\nbench: ${signal}, stopping the servers`)
      cleanup().finally(() => process.exit(130))
    })
  }
  setTimeout(() => {
    console.error(`bench: still running after ${Math.round(deadlineMs / 1000)} s, giving up`)
    cleanup().finally(() => process.exit(1))
  }, deadlineMs).unref()
  return state
}

/** Runs an ES module snippet in a synchronous child (for the `exit` event, where nothing async runs). */
function runSync(source, env, timeoutMs = 20_000) {
  return spawnSync(process.execPath, ['--input-type=module', '-e', source], {
    cwd: ROOT,
    stdio: 'ignore',
    env: { ...process.env, ...env },
    timeout: timeoutMs,
  })
}

// ── PostgreSQL ──────────────────────────────────────────────────────────────────────────────────────────

/** `base` with extra query parameters (node-postgres reads `options` and `application_name` from the URL). */
const withParams = (base, params) => `${base}${base.includes('?') ? '&' : '?'}${new URLSearchParams(params).toString()}`

const DROP_SCHEMA = `
import pg from 'pg'
const client = new pg.Client({ connectionString: process.env.BENCH_DROP_URL })
await client.connect()
try {
  await client.query("set lock_timeout = '15s'")
  await client.query('drop schema if exists ' + process.env.BENCH_DROP_SCHEMA + ' cascade')
} finally {
  await client.end()
}`

/**
 * A schema with a random name for this run, dropped by cleanup() (a normal end, an error, Ctrl-C, the
 * deadline) or, if the process dies another way, by a synchronous child on `exit`. Its URL puts the schema
 * on the search path and tags every connection, so `backendPids()` finds the backends serving the replicas.
 */
export async function createSchema(base) {
  const { default: pg } = await import('pg')
  const schema = `gh_bench_${randomBytes(6).toString('hex')}`
  const drop = { BENCH_DROP_URL: base, BENCH_DROP_SCHEMA: schema }
  const client = new pg.Client({ connectionString: base })
  onCleanup(
    async () => {
      await client.end().catch(() => {})
      const dropper = new pg.Client({ connectionString: base })
      await dropper.connect()
      try {
        await dropper.query("set lock_timeout = '15s'")
        await dropper.query(`drop schema if exists ${schema} cascade`)
      } finally {
        await dropper.end()
      }
    },
    () => runSync(DROP_SCHEMA, drop),
  )
  await client.connect()
  await client.query(`create schema ${schema}`)
  return {
    schema,
    url: withParams(base, { options: `-c search_path=${schema}`, application_name: schema }),
    /** Runs SQL on the schema as the bench (not as a replica). */
    query: async (text) => {
      await client.query(`set search_path = ${schema}`)
      return client.query(text)
    },
    backendPids: async () =>
      (await client.query('select pid from pg_stat_activity where application_name = $1', [schema])).rows
        .map((r) => r.pid)
        .filter(isLocalPostgres),
  }
}

// ── HTTP ────────────────────────────────────────────────────────────────────────────────────────────────

export async function call(base, method, path, { token, body } = {}) {
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

export function expectStatus(res, status, what) {
  if (res.status !== status) throw new Error(`${what}: expected ${status}, got ${res.status}: ${res.text.slice(0, 300)}`)
  return res.body
}

export const firstPagePath = `/users?pagination%5Bcount%5D=${PAGE}`
export const pagePath = (count, cursor) =>
  `/users?pagination%5Bcount%5D=${count}${cursor ? `&pagination%5Bcursor%5D=${encodeURIComponent(cursor)}` : ''}`

// ── seeding and reading back ────────────────────────────────────────────────────────────────────────────

/** Creates the Bench workspace and `count` users through the operator API, 1000 a request. */
export async function seedUsers(url, adminKey, count) {
  const admin = (method, path, body) => call(url, method, `/admin${path}`, { token: adminKey, body })
  const created = expectStatus(
    await admin('POST', '/workspaces', { name: 'Bench', slug: 'bench', ownerEmail: 'owner@bench.example' }),
    201,
    'POST /admin/workspaces',
  )
  const workspaceId = created.data.workspace.id
  const start = performance.now()
  for (let from = 0; from < count; from += BATCH) {
    const users = []
    for (let i = from; i < Math.min(from + BATCH, count); i++) users.push({ email: `user${i}@bench.example`, name: `Bench User ${i}` })
    const res = expectStatus(await admin('POST', `/workspaces/${workspaceId}/users`, { users }), 201, `seed batch at ${from}`)
    if (res.data.users.length !== users.length)
      throw new Error(`seed batch at ${from}: ${res.data.users.length} users back, sent ${users.length}`)
  }
  return { workspaceId, token: created.data.token, seconds: (performance.now() - start) / 1000 }
}

/** Walks the whole list by 1000: the deep cursor is `next` after 99 pages, and the baseline gets the same rows. */
export async function walkUsers(url, token) {
  const start = performance.now()
  const all = []
  let deepCursor
  let cursor
  for (let pages = 0; ; pages++) {
    const res = expectStatus(await call(url, 'GET', pagePath(BATCH, cursor), { token }), 200, `walk page ${pages}`)
    all.push(...res.data.users)
    cursor = res.data.pagination.next
    if (pages + 1 === DEEP_PAGES) deepCursor = cursor
    if (!cursor) break
  }
  for (let i = 1; i < all.length; i++) if (!(all[i - 1].id < all[i].id)) throw new Error(`GET /users is not in id order at row ${i}`)
  if (!deepCursor) throw new Error(`the list ended before ${DEEP_PAGES} pages of ${BATCH}: raise BENCH_USERS`)
  return { all, deepCursor, deepRow: DEEP_PAGES * BATCH, seconds: (performance.now() - start) / 1000 }
}

export function check(cond, what) {
  if (!cond) throw new Error(`sanity check failed: ${what}`)
}

/** One checked first page and deep page from a Gatehouse server: the load below counts only status codes. */
export async function checkReads(name, url, { token, all, deepCursor, deepRow }) {
  const first = expectStatus(await call(url, 'GET', firstPagePath, { token }), 200, `${name} first page`)
  const deep = expectStatus(await call(url, 'GET', pagePath(PAGE, deepCursor), { token }), 200, `${name} deep page`)
  check(first.data.users.length === PAGE && first.data.users[0].id === all[0].id, `${name} first page`)
  check(deep.data.users.length === PAGE && deep.data.users[0].id === all[deepRow].id, `${name} deep page starts at the deep row`)
  check(first.data.pagination.totalEntries === all.length, `${name} counts the users it listed`)
  return first
}

// ── scenarios ───────────────────────────────────────────────────────────────────────────────────────────

/** Each scenario's `load(url)` is the autocannon options for one server; several servers each get their own. */
export const baselineScenario = {
  key: 'baseline',
  label: 'baseline first page (in-memory)',
  server: 'baseline',
  load: (url) => ({ url: url + firstPagePath }),
}

/** 10,000 ids drawn at random from the walked list, for GET /users/{id}. */
export const randomIds = (all) => Array.from({ length: 10_000 }, () => all[Math.floor(Math.random() * all.length)].id)

export function gatehouseScenarios({ token, deepCursor, deepRow, ids }) {
  const auth = { authorization: `Bearer ${token}` }
  let nextId = 0
  const runTag = Math.random().toString(36).slice(2, 8)
  let nextGroup = 0
  return [
    { key: 'first-page', label: 'GET /users first page', load: (url) => ({ url: url + firstPagePath, headers: auth }) },
    {
      key: 'deep-page',
      label: `GET /users at row ${deepRow.toLocaleString('en')}`,
      load: (url) => ({ url: url + pagePath(PAGE, deepCursor), headers: auth }),
    },
    {
      key: 'get-user',
      label: 'GET /users/{id} (random)',
      load: (url) => ({
        url,
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
      load: (url) => ({
        url,
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
  ].map((s) => ({ ...s, server: 'gatehouse' }))
}

/** Mixed reads (first page, deep page, 100 users) as one unmeasured scenario. */
export function warmUpScenario({ token, deepCursor, ids }) {
  const paths = [firstPagePath, pagePath(PAGE, deepCursor), ...ids.slice(0, 100).map((id) => `/users/${id}`)]
  let n = 0
  return {
    key: 'warm-up',
    label: 'mixed reads (warm-up)',
    load: (url) => ({
      url,
      headers: { authorization: `Bearer ${token}` },
      requests: [
        {
          setupRequest: (req) => {
            req.path = paths[n++ % paths.length]
            return req
          },
        },
      ],
    }),
  }
}

// ── CPU caps ────────────────────────────────────────────────────────────────────────────────────────────

/** The cgroup hierarchy whose CPU quota this machine lets us set: v1's cpu controller, or v2 with cpu enabled. */
function cpuCgroupRoot() {
  if (existsSync('/sys/fs/cgroup/cpu/cpu.cfs_quota_us')) return { version: 1, dir: '/sys/fs/cgroup/cpu' }
  try {
    if (readFileSync('/sys/fs/cgroup/cgroup.controllers', 'utf8').split(/\s+/).includes('cpu')) return { version: 2, dir: '/sys/fs/cgroup' }
  } catch {}
  return undefined
}

/**
 * Limits a process to `cores` of CPU time with a cgroup quota, as if it ran on a machine of its own that size,
 * and returns a function that lifts the limit again. Undefined where no cgroup can be written (not root, no cpu
 * controller): the caller says what it skipped.
 */
export function capCpu(pid, cores) {
  const root = cpuCgroupRoot()
  if (!root) return undefined
  const dir = join(root.dir, `gatehouse-bench-${pid}`)
  const period = 100_000
  const quota = Math.max(1_000, Math.round(cores * period))
  try {
    if (root.version === 2) writeFileSync(join(root.dir, 'cgroup.subtree_control'), '+cpu')
    mkdirSync(dir, { recursive: true })
    if (root.version === 1) {
      writeFileSync(join(dir, 'cpu.cfs_period_us'), String(period))
      writeFileSync(join(dir, 'cpu.cfs_quota_us'), String(quota))
    } else writeFileSync(join(dir, 'cpu.max'), `${quota} ${period}`)
    writeFileSync(join(dir, 'cgroup.procs'), String(pid))
  } catch {
    try {
      rmdirSync(dir)
    } catch {}
    return undefined
  }
  let lifted = false
  const lift = () => {
    if (lifted) return
    lifted = true
    try {
      writeFileSync(join(root.dir, 'cgroup.procs'), String(pid)) // back to the top, where it started
    } catch {} // it has exited: the group is empty anyway
    try {
      rmdirSync(dir)
    } catch {}
  }
  onCleanup(async () => lift(), lift)
  return lift
}

// ── load and CPU ────────────────────────────────────────────────────────────────────────────────────────

export function cannon(opts) {
  return new Promise((resolve, reject) => {
    autocannon(opts, (error, result) => (error ? reject(error) : resolve(result)))
  })
}

/** CPU seconds a process has used (user + system), from /proc; undefined where there is no /proc. */
export function cpuSecondsOf(pid) {
  try {
    // Fields after the command name, which sits in parentheses and may hold spaces; utime and stime are 14 and 15.
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? []
    return (Number(fields[11]) + Number(fields[12])) / 100 // USER_HZ is 100 on Linux
  } catch {
    return undefined
  }
}

/** Busy CPU seconds of the whole machine, summed over its cores (all but idle and iowait); undefined without /proc. */
export function machineBusySeconds() {
  try {
    const [, ...fields] = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/)
    const [user, nice, system, , , irq, softirq, steal] = fields.map(Number) // idle and iowait are not busy
    return (user + nice + system + irq + softirq + steal) / 100
  } catch {
    return undefined
  }
}

/** Only processes that are PostgreSQL backends on this machine: a remote server's pids mean nothing here. */
export function isLocalPostgres(pid) {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'postgres'
  } catch {
    return false
  }
}

const sum = (xs) => xs.reduce((a, b) => a + b, 0)
const perRequest = (seconds, requests) => (seconds === undefined ? null : (1e6 * seconds) / Math.max(1, requests))

/**
 * Runs a scenario on every server at once, `connections` split between them (one autocannon each), after
 * `warmup` unmeasured seconds. req/s and requests are summed, p99 is the worst of them. CPU per request is
 * each server's own; `cpuUsPerReq` is all servers' CPU over all requests; `dbCpuUsPerReq` that of the
 * processes `dbPids()` names (PostgreSQL backends); `machineUsPerReq` everything the machine ran.
 * @param {{servers: {name: string, url: string, child: import('node:child_process').ChildProcess}[], connections: number,
 *   seconds: number, warmup: number, dbPids?: () => Promise<number[]>}} options
 */
const share = (connections, servers, i) => Math.floor(connections / servers.length) + (i < connections % servers.length ? 1 : 0)

/** One autocannon per server, all at once, with `connections` split between them. */
export function loadAll(scenario, servers, connections, duration) {
  return Promise.all(servers.map((s, i) => cannon({ ...scenario.load(s.url), connections: share(connections, servers, i), duration })))
}

export async function measure(scenario, { servers, connections, seconds, warmup, dbPids }) {
  const run = (duration) => loadAll(scenario, servers, connections, duration)
  if (warmup > 0) await run(warmup)
  const dbBefore = new Map()
  for (const pid of (await dbPids?.()) ?? []) dbBefore.set(pid, cpuSecondsOf(pid))
  const serverBefore = servers.map((s) => cpuSecondsOf(s.child.pid))
  const benchBefore = process.cpuUsage()
  const machineBefore = machineBusySeconds()
  const started = performance.now()
  const rs = await run(seconds)
  const wall = (performance.now() - started) / 1000
  const machineAfter = machineBusySeconds()
  const benchCpu = (() => {
    const { user, system } = process.cpuUsage(benchBefore)
    return (user + system) / 1e6
  })()
  const serverCpu = servers.map((s, i) => {
    const after = cpuSecondsOf(s.child.pid)
    return after === undefined || serverBefore[i] === undefined ? undefined : after - serverBefore[i]
  })
  // A backend that started during the run counts from zero; one that ended during it is lost (the pools keep theirs).
  let dbCpu
  if (dbPids) {
    const pids = new Set([...dbBefore.keys(), ...(await dbPids())])
    const deltas = [...pids].map((pid) => (cpuSecondsOf(pid) ?? dbBefore.get(pid) ?? 0) - (dbBefore.get(pid) ?? 0))
    dbCpu = pids.size > 0 ? sum(deltas) : undefined
  }
  const requests = sum(rs.map((r) => r.requests.total))
  const machineCpu = machineBefore === undefined || machineAfter === undefined ? undefined : machineAfter - machineBefore
  const ours = [benchCpu, ...serverCpu, dbCpu ?? 0]
  const statuses = {}
  for (const r of rs)
    for (const [code, { count }] of Object.entries(r.statusCodeStats ?? {})) statuses[code] = (statuses[code] ?? 0) + Number(count)
  return {
    key: scenario.key,
    label: scenario.label,
    server: scenario.server,
    reqPerSec: sum(rs.map((r) => r.requests.average)),
    p50Ms: Math.max(...rs.map((r) => r.latency.p50)),
    p99Ms: Math.max(...rs.map((r) => r.latency.p99)),
    requests,
    // Server CPU per request: unlike req/s, barely moved by other work competing for the machine.
    cpuUsPerReq: serverCpu.includes(undefined) ? null : perRequest(sum(serverCpu), requests),
    perServer: servers.map((s, i) => ({
      name: s.name,
      connections: share(connections, servers, i),
      reqPerSec: rs[i].requests.average,
      p99Ms: rs[i].latency.p99,
      requests: rs[i].requests.total,
      cpuUsPerReq: perRequest(serverCpu[i], rs[i].requests.total),
    })),
    dbCpuUsPerReq: perRequest(dbCpu, requests),
    benchCpuUsPerReq: perRequest(benchCpu, requests),
    machineUsPerReq: perRequest(machineCpu, requests),
    // Share of the machine's cores busy during the run, and the part of it none of the bench's processes used.
    machineBusy: machineCpu === undefined ? null : machineCpu / (wall * cpuCount()),
    otherBusy: machineCpu === undefined || ours.includes(undefined) ? null : Math.max(0, machineCpu - sum(ours)) / (wall * cpuCount()),
    ok: sum(rs.map((r) => r['2xx'] ?? 0)),
    non2xx: sum(rs.map((r) => r.non2xx)),
    errors: sum(rs.map((r) => r.errors)),
    timeouts: sum(rs.map((r) => r.timeouts)),
    statuses,
    seconds: Math.max(...rs.map((r) => r.duration)),
  }
}

let cores
function cpuCount() {
  if (cores === undefined) {
    try {
      cores =
        readFileSync('/proc/stat', 'utf8')
          .split('\n')
          .filter((l) => /^cpu\d/.test(l)).length || 1
    } catch {
      cores = 1
    }
  }
  return cores
}

// ── output ──────────────────────────────────────────────────────────────────────────────────────────────

/** A plain-text table: the first column (and any in `left`) left-aligned, the rest right-aligned. */
export function printTable(header, rows, left = [0]) {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)))
  const line = (cells) =>
    cells
      .map((c, i) => (left.includes(i) ? c.padEnd(widths[i]) : c.padStart(widths[i])))
      .join('  ')
      .trimEnd()
  console.log(`\n${line(header)}\n${widths.map((w) => '─'.repeat(w)).join('  ')}`)
  for (const row of rows) console.log(line(row))
}

export const fmt = {
  int: (n) => (n === null || n === undefined ? '–' : Math.round(n).toLocaleString('en')),
  ratio: (a, b) => (a && b ? `${(a / b).toFixed(2)}×` : '–'),
  pct: (x) => (x === null || x === undefined ? '–' : `${Math.round(100 * x)}%`),
}
