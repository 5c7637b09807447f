// `npm run bench:console`: the console on a 100,000-user workspace, in Debian's Chromium, against a 40-user
// workspace on the same server in the same run (the baseline: what the console costs before the data grows).
//
// Starts the built server (dist/, console in dist/console) on a temporary SQLite file, seeds a big and a small
// workspace through the operator API, signs their owner in with a mailed set-password link (read from the
// outbox through the operator API), then measures, median of BENCH_RUNS runs each:
//   - navigation: from a page load of …/users to its first rows on screen, and from typing a search to its rows;
//   - CSV: time and the server's peak RSS growth while it streams all users (…/users.csv) and the whole audit
//     trail (…/audit.csv): flat memory means the 100,000-row export grows RSS about as much as the 40-row one;
//   - initial JavaScript: what index.html loads before any page, gzipped (budget 200 KB).
// Targets: first rows < 1 s, flat memory, ≤ 200 KB gz. A miss is reported, not an exit code. All load comes from
// this process and targets 127.0.0.1 only. Writes bench/results/console.json.
//
// Environment: BENCH_USERS=100000   BENCH_RUNS=5   CHROMIUM_PATH=/usr/bin/chromium

import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { chromium } from 'playwright-core'
import {
  call,
  check,
  cleanup,
  expectStatus,
  fmt,
  guard,
  HOST,
  numberFrom,
  printTable,
  RESULTS,
  ROOT,
  seedUsers,
  startChild,
  tmp,
} from './lib.js'

const USERS = numberFrom('BENCH_USERS', 100_000, 1000)
const RUNS = numberFrom('BENCH_RUNS', 5, 1)
const ADMIN_KEY = 'bench-admin-key-0123456789abcdef'
const PASSWORD = 'a long bench passphrase nobody guesses'
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'

guard(30 * 60_000)

const server = await startChild('gatehouse', [
  'dist/main.js',
  'serve',
  '--host',
  HOST,
  '--port',
  '0',
  '--db',
  join(tmp, 'console.db'),
  '--admin-key',
  ADMIN_KEY,
  '--rate-limit',
  'off',
  '--no-demo',
  '--log-level',
  'warn',
])
const url = server.url
const admin = (method, path, body) => call(url, method, `/admin${path}`, { token: ADMIN_KEY, body })

console.log(`seeding ${fmt.int(USERS)} users…`)
const big = await seedUsers(url, ADMIN_KEY, USERS)
console.log(`  ${big.seconds.toFixed(1)} s`)
const small = expectStatus(
  await admin('POST', '/workspaces', { name: 'Small', slug: 'small', ownerEmail: 'owner@bench.example' }),
  201,
  'small workspace',
).data.workspace
expectStatus(
  await admin('POST', `/workspaces/${small.id}/users`, {
    users: Array.from({ length: 39 }, (_, i) => ({ email: `small${i}@bench.example`, name: `Small User ${i}` })),
  }),
  201,
  'small users',
)

const cookie = await signIn('owner@bench.example')
const browser = await chromium.launch({
  executablePath: CHROMIUM,
  args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking', '--disable-component-update'],
})
const results = {}
try {
  const context = await browser.newContext({ baseURL: url, viewport: { width: 1280, height: 800 } })
  await context.addCookies([{ name: 'gatehouse_session', value: cookie, url }])
  const page = await context.newPage()
  for (const [name, workspaceId] of [
    ['small', small.id],
    ['big', big.workspaceId],
  ]) {
    results[name] = {
      firstRowsMs: await median(() => firstRows(page, workspaceId)),
      searchMs: await median(() => searchRows(page, workspaceId, name === 'big' ? 'User 99999' : 'User 38')),
      usersCsv: await exportCsv(`/console/api/workspaces/${workspaceId}/users.csv`),
      auditCsv: await exportCsv(`/console/api/workspaces/${workspaceId}/audit.csv`),
    }
  }
} finally {
  await browser.close()
}
const initialJs = initialJavaScript()

printTable(
  ['measure', `40 users`, `${fmt.int(USERS)} users`, 'ratio', 'target'],
  [
    row('Users: load to first rows (ms)', 'firstRowsMs', '< 1,000'),
    row('Users: search to rows (ms)', 'searchMs', '< 1,000'),
    csvRow('users.csv: time (ms)', 'usersCsv', 'ms', ''),
    csvRow('users.csv: rows', 'usersCsv', 'rows', ''),
    csvRow('users.csv: server RSS growth (MB)', 'usersCsv', 'rssGrowthMb', 'flat'),
    csvRow('audit.csv: time (ms)', 'auditCsv', 'ms', ''),
    csvRow('audit.csv: rows', 'auditCsv', 'rows', ''),
    csvRow('audit.csv: server RSS growth (MB)', 'auditCsv', 'rssGrowthMb', 'flat'),
  ],
)
console.log(
  `\ninitial JavaScript: ${(initialJs.gzip / 1024).toFixed(1)} KB gzipped (${(initialJs.raw / 1024).toFixed(1)} KB) — target ≤ 200 KB`,
)

check(results.big.firstRowsMs < 1000, `Users first rows on ${fmt.int(USERS)} users under 1 s`)
check(results.big.searchMs < 1000, `Users search on ${fmt.int(USERS)} users under 1 s`)
check(initialJs.gzip <= 200 * 1024, 'initial JavaScript ≤ 200 KB gzipped')
for (const csv of ['usersCsv', 'auditCsv'])
  check(results.big[csv].rssGrowthMb <= results.small[csv].rssGrowthMb + 32, `${csv} memory flat (100k vs 40 rows within 32 MB)`)

mkdirSync(RESULTS, { recursive: true })
writeFileSync(join(RESULTS, 'console.json'), `${JSON.stringify({ users: USERS, runs: RUNS, results, initialJs }, null, 2)}\n`)
await cleanup()

// ── steps ────────────────────────────────────────────────────────────────────────────────────────────────

/** The owner chooses a password with the mailed link, as a person would; answers the session cookie. */
async function signIn(email) {
  expectStatus(await call(url, 'POST', '/console/api/password-resets', { body: { email } }), 202, 'password reset')
  const listed = expectStatus(await admin('GET', '/outbox?pagination[count]=10'), 200, 'outbox')
  const message = listed.data.messages.find((m) => m.to === email)
  const text = expectStatus(await admin('GET', `/outbox/${message.id}`), 200, 'outbox message').data.message.text
  const token = /\/console\/link\/([0-9A-Za-z]+)/.exec(text)?.[1]
  const res = await fetch(`${url}/console/api/links/${token}/password`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ password: PASSWORD }),
  })
  if (res.status !== 200) throw new Error(`set password: ${res.status} ${await res.text()}`)
  const line = res.headers.getSetCookie().find((l) => l.startsWith('gatehouse_session='))
  return /^gatehouse_session=([^;]+)/.exec(line)[1]
}

/** A full page load of the Users page until its table shows rows. */
async function firstRows(page, workspaceId) {
  await page.goto('about:blank')
  const start = performance.now()
  await page.goto(`/console/workspaces/${workspaceId}/users`)
  await page.locator('table tbody tr').first().waitFor()
  return performance.now() - start
}

/** Typing a search on the loaded Users page until the one matching row is all the table shows. */
async function searchRows(page, workspaceId, term) {
  await page.goto(`/console/workspaces/${workspaceId}/users`)
  await page.locator('table tbody tr').first().waitFor()
  const start = performance.now()
  await page.getByLabel('Search users').fill(term)
  await page.waitForFunction(
    (want) => {
      const rows = [...document.querySelectorAll('table tbody tr')]
      return rows.length > 0 && rows.every((r) => r.textContent.includes(want))
    },
    term,
    { polling: 10 },
  )
  return performance.now() - start
}

/** Streams a CSV export to nowhere, sampling the server's RSS every 20 ms. */
async function exportCsv(path) {
  const before = rssMb()
  let peak = before
  const sampler = setInterval(() => {
    peak = Math.max(peak, rssMb())
  }, 20)
  const start = performance.now()
  const res = await fetch(url + path, { headers: { cookie: `gatehouse_session=${cookie}` } })
  if (res.status !== 200) throw new Error(`${path}: ${res.status} ${await res.text()}`)
  let newlines = 0
  for await (const chunk of res.body) for (const byte of chunk) if (byte === 10) newlines++
  const ms = performance.now() - start
  clearInterval(sampler)
  peak = Math.max(peak, rssMb())
  return { ms, rows: newlines - 1, rssGrowthMb: peak - before }
}

function rssMb() {
  const status = readFileSync(`/proc/${server.child.pid}/status`, 'utf8')
  return Number(/VmRSS:\s+(\d+)/.exec(status)[1]) / 1024
}

/** Scripts and module preloads index.html names: what a first visit downloads before any lazy page. */
function initialJavaScript() {
  const dir = join(ROOT, 'dist', 'console')
  const html = readFileSync(join(dir, 'index.html'), 'utf8')
  const files = [...html.matchAll(/(?:src|href)="\/console\/([^"]+\.js)"/g)].map((m) => m[1])
  let raw = 0
  let gzip = 0
  for (const file of files) {
    const body = readFileSync(join(dir, file))
    raw += body.length
    gzip += gzipSync(body, { level: 9 }).length
  }
  return { files, raw, gzip }
}

async function median(run) {
  const times = []
  for (let i = 0; i < RUNS; i++) times.push(await run())
  times.sort((a, b) => a - b)
  return times[Math.floor(times.length / 2)]
}

function row(label, key, target) {
  return [label, fmt.int(results.small[key]), fmt.int(results.big[key]), fmt.ratio(results.big[key], results.small[key]), target]
}

function csvRow(label, key, field, target) {
  const a = results.small[key][field]
  const b = results.big[key][field]
  const show = field === 'rssGrowthMb' ? (n) => n.toFixed(1) : fmt.int
  return [label, show(a), show(b), field === 'rssGrowthMb' ? '' : fmt.ratio(b, a), target]
}
