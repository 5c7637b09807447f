// Directory sync benchmark: 3 remote workspaces × 20,000 users, 200 groups each (100 members and a few
// invites per group), served by a real Gatehouse process with rate limits off; the directory syncs them
// in this process on its own SQLite file. Prints the first sync, a no-change sync (audit trail + totals),
// and a no-change sync forced to read in full, with requests against the minimum the page size allows.
// Run: `npm run build && node bench/sync.js` (BENCH_USERS, BENCH_GROUPS, BENCH_WORKSPACES to resize).
import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { resolveServeConfig } from '../dist/config.js'
import { newConnectionRow } from '../dist/directory/connections.js'
import { runSync } from '../dist/directory/sync/run.js'
import { openDirectory } from '../dist/server.js'
import { openStore } from '../dist/store/open.js'

const USERS = Number(process.env.BENCH_USERS ?? 20_000)
const GROUPS = Number(process.env.BENCH_GROUPS ?? 200)
const WORKSPACES = Number(process.env.BENCH_WORKSPACES ?? 3)
const INVITES = Math.round(USERS / 40)
const MEMBERS_PER_GROUP = Math.floor(USERS / GROUPS)
const PAGE = 1000
const ADMIN = `bench-admin-${randomBytes(8).toString('hex')}`
const dir = mkdtempSync(join(tmpdir(), 'gatehouse-syncbench-'))

function startRemote() {
  const child = spawn(
    process.execPath,
    [
      'dist/main.js',
      'serve',
      '--port',
      '0',
      '--db',
      join(dir, 'remote.db'),
      '--admin-key',
      ADMIN,
      '--rate-limit',
      'off',
      '--log-level',
      'warn',
      '--no-demo',
    ],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  )
  return new Promise((resolve, reject) => {
    let out = ''
    child.stdout.on('data', (d) => {
      out += d
      const m = /Gatehouse ready on (http:\/\/\S+)/.exec(out)
      if (m) resolve({ child, url: m[1] })
    })
    child.once('exit', (code) => reject(new Error(`remote exited ${code}`)))
  })
}

async function call(url, token, method, path, body) {
  const res = await fetch(url + path, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  })
  const json = await res.json()
  if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`)
  return json.data
}

async function seed(url, n) {
  const slug = `bench-${n}`
  const { workspace, token } = await call(url, ADMIN, 'POST', '/admin/workspaces', {
    name: `Bench ${n}`,
    slug,
    ownerEmail: `owner@${slug}.example`,
  })
  const emails = Array.from({ length: USERS - 1 }, (_, i) => `user${i}@${slug}.example`)
  for (let i = 0; i < emails.length; i += 1000)
    await call(url, ADMIN, 'POST', `/admin/workspaces/${workspace.id}/users`, {
      users: emails.slice(i, i + 1000).map((email) => ({ email, name: email })),
    })
  const invites = Array.from({ length: INVITES }, (_, i) => `invitee${i}@${slug}.example`)
  for (let i = 0; i < invites.length; i += 1000)
    await call(url, token, 'POST', '/invites', { invites: invites.slice(i, i + 1000).map((email) => ({ email })) })
  for (let g = 0; g < GROUPS; g++) {
    const { userGroup } = await call(url, token, 'POST', '/groups', { name: `group-${g}` })
    const members = emails.slice(g * MEMBERS_PER_GROUP, (g + 1) * MEMBERS_PER_GROUP)
    await call(url, token, 'POST', `/groups/${userGroup.id}/users`, { emails: [...members, invites[g % invites.length]] })
  }
  return { workspace, token }
}

const minimumRequests = () => {
  const pages = (n) => Math.max(1, Math.ceil(n / PAGE))
  // GET /, roles, users, invites, groups, then per group its members and its invites; + the audit watermark
  return 1 + 1 + 1 + pages(USERS) + pages(INVITES) + pages(GROUPS) + GROUPS * (pages(MEMBERS_PER_GROUP) + 1)
}

const { child, url } = await startRemote()
let store
let ctx
try {
  const t0 = Date.now()
  const remotes = []
  for (let n = 0; n < WORKSPACES; n++) remotes.push(await seed(url, n))
  console.log(
    `seeded ${WORKSPACES} workspaces × ${USERS.toLocaleString()} users, ${GROUPS} groups, ${INVITES} invites in ${((Date.now() - t0) / 1000).toFixed(1)} s`,
  )

  // The remotes are this bench's own server on loopback, which only an allow-list entry lets the directory reach.
  const config = resolveServeConfig(
    { db: join(dir, 'directory.db'), secretKeyFile: join(dir, 'gatehouse.key'), allowRemoteHost: ['127.0.0.1'] },
    {},
  )
  store = await openStore({ sqliteFile: config.db })
  ctx = await openDirectory(store, config)
  const connections = []
  for (const { workspace, token } of remotes) {
    const row = newConnectionRow({
      name: workspace.slug,
      baseUrl: url,
      sealedToken: ctx.cipher.seal(token),
      workspace,
      now: new Date().toISOString(),
    })
    await store.write((q) => q.connections.insert(row))
    connections.push(row)
  }

  const syncAll = async () => {
    const started = Date.now()
    const runs = await Promise.all(connections.map((c) => runSync(ctx, c.id, { trigger: 'bench' })))
    for (const r of runs) if (r.state !== 'succeeded') throw new Error(`run ${r.id} ${r.state}: ${r.error}`)
    const stats = runs.map((r) => JSON.parse(r.stats))
    return {
      ms: Date.now() - started,
      requests: stats.reduce((n, s) => n + s.requests, 0),
      mode: stats.map((s) => s.mode).join(','),
      users: stats.reduce((n, s) => n + s.seen.users, 0),
    }
  }
  const first = await syncAll()
  const quiet = await syncAll()
  ctx.config.fullSyncEveryMs = 0
  const forced = await syncAll()

  const minimum = minimumRequests() * WORKSPACES
  const rows = [
    ['first sync (full read, all rows written)', first],
    ['no-change sync (audit trail + totals)', quiet],
    ['no-change sync forced to read in full', forced],
  ]
  console.log('\n| run | time (s) | requests | requests / minimum | speed-up vs first |\n|---|---|---|---|---|')
  for (const [name, r] of rows)
    console.log(
      `| ${name} | ${(r.ms / 1000).toFixed(2)} | ${r.requests} | ${(r.requests / minimum).toFixed(3)} | ${(first.ms / r.ms).toFixed(1)}× |`,
    )
  console.log(
    `\nminimum requests for a full read at ${PAGE} per page: ${minimum} (${WORKSPACES} × ${minimum / WORKSPACES}); users synced: ${first.users.toLocaleString()}`,
  )
  console.log(
    `targets: first-sync requests ≤ 1.05 × minimum: ${first.requests <= 1.05 * minimum ? 'PASS' : 'MISS'}; no-change sync ≥ 5× faster: ${first.ms / quiet.ms >= 5 ? 'PASS' : 'MISS'}`,
  )
} finally {
  await ctx?.outbound.close()
  await store?.close()
  child.kill('SIGTERM')
  rmSync(dir, { recursive: true, force: true })
}
