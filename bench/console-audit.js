// The console's Audit Trail at scale, on SQLite and PostgreSQL: a filtered page of 100,000 events (time per
// filter, and the plan: which index serves it), and the CSV export of 200,000 events (peak RSS growth while it
// streams to a slow reader). Run: `npx tsc -p tsconfig.build.json && node --expose-gc bench/console-audit.js`
// (DATABASE_URL to override PostgreSQL; BENCH_STORES=sqlite to skip it). Private files and schemas, removed after.
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import Database from 'better-sqlite3'
import { Kysely, PostgresDialect, SqliteDialect } from 'kysely'
import pg from 'pg'
import { auditCsv } from '../dist/accounts/console/audit.js'
import { migrateStore, openStore } from '../dist/store/open.js'
import { auditQueries } from '../dist/store/queries/audit.js'

const PAGE_EVENTS = Number(process.env.BENCH_PAGE_EVENTS ?? 100_000)
const CSV_EVENTS = Number(process.env.BENCH_CSV_EVENTS ?? 200_000)
const TYPES = ['Policy Created', 'Policy Deleted', 'User Added To Workspace', 'User Deleted', 'Invite Deleted', 'Label Created']
/** From here on, the newest tenth of the CSV workspace's events. */
const TENTH_FROM = new Date(Date.parse('2026-01-01T00:00:00Z') + CSV_EVENTS * 900).toISOString()
const base = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test'

/** n events for workspace `ws`, one a second from 2026-01-01; one in 10,000 is of the rare type. */
function* events(ws, n) {
  for (let g = 0; g < n; g++)
    yield {
      id: `${ws}${String(g).padStart(24, '0')}`,
      workspace_id: ws,
      timestamp: new Date(Date.parse('2026-01-01T00:00:00Z') + g * 1000).toISOString(),
      type: g % 10_000 === 0 ? 'Rare Event' : TYPES[g % TYPES.length],
      actor: `user-${g % 50}`,
      actor_email: `person${g % 50}@bench.example`,
      resource_id: `res-${g % 5000}`,
      resource_type: 'user',
      resource_name: `Resource ${g % 5000} =SUM(A1)`,
    }
}

async function seed(store, ws, n) {
  await store.write((q) =>
    q.workspaces.insert({ id: ws, slug: ws.toLowerCase(), name: ws, plan: 'business', created_at: '2026-01-01T00:00:00.000Z' }),
  )
  let batch = []
  for (const e of events(ws, n)) {
    batch.push(e)
    if (batch.length === 5000) {
      const rows = batch
      await store.write((q) => q.audit.insertMany(rows))
      batch = []
    }
  }
  if (batch.length > 0) await store.write((q) => q.audit.insertMany(batch))
}

const FILTERS = {
  'none (newest page)': {},
  'type (one, common)': { types: ['Policy Created'] },
  'type (one, rare: 10 in 100k)': { types: ['Rare Event'] },
  'types (two)': { types: ['Policy Created', 'User Deleted'] },
  'actor id': { actor: 'user-7' },
  'actor email': { actor: 'Person7@bench.example' },
  'resource id': { resource: 'res-42' },
  'resource name contains': { resource: 'resource 4242 ' },
  'time range (one hour)': { from: '2026-01-01T10:00:00.000Z', to: '2026-01-01T11:00:00.000Z' },
  'type + actor + range': { types: ['Policy Created'], actor: 'user-6', from: '2026-01-01T00:00:00.000Z', to: '2026-01-02T00:00:00.000Z' },
  'no match (scans the workspace)': { actor: 'nobody' },
}

async function measurePages(name, store, kysely, explain) {
  console.log(`\n${name}: a page of 50 from ${PAGE_EVENTS.toLocaleString()} events`)
  const captured = []
  const logged = auditQueries(kysely(captured))
  for (const [label, f] of Object.entries(FILTERS)) {
    const filter = { workspaceId: 'P', ...f }
    const seek = { direction: 'after', key: null, limit: 50 }
    const times = []
    let rows = 0
    for (let i = 0; i < 7; i++) {
      const t = process.hrtime.bigint()
      rows = (await store.read((q) => q.audit.listConsole(filter, seek))).rows.length
      times.push(Number(process.hrtime.bigint() - t) / 1e6)
    }
    times.sort((a, b) => a - b)
    captured.length = 0
    await logged.listConsole(filter, seek)
    const plan = await explain(captured[0])
    console.log(`  ${label.padEnd(34)} ${times[3].toFixed(2).padStart(8)} ms  ${String(rows).padStart(3)} rows  ${plan}`)
  }
}

async function measureCsv(name, store, filter = {}) {
  global.gc?.()
  const before = process.memoryUsage()
  let peakRss = before.rss
  let peakHeap = before.heapUsed
  const sampler = setInterval(() => {
    const m = process.memoryUsage()
    peakRss = Math.max(peakRss, m.rss)
    peakHeap = Math.max(peakHeap, m.heapUsed)
  }, 20)
  let bytes = 0
  let lines = 0
  const t = Date.now()
  // A reader slower than the store: each chunk is taken a tick later, so backpressure is what bounds memory.
  const slow = new Writable({
    highWaterMark: 16 * 1024,
    write(chunk, _enc, done) {
      bytes += chunk.length
      for (const c of chunk) if (c === 10) lines++
      setImmediate(done)
    },
  })
  await pipeline(auditCsv(store, { workspaceId: 'C', ...filter }), slow)
  clearInterval(sampler)
  const mb = (n) => `${(n / 1024 / 1024).toFixed(1)} MB`
  console.log(
    `\n${name}: CSV of ${(lines - 1).toLocaleString()} events, ${mb(bytes)} in ${((Date.now() - t) / 1000).toFixed(1)} s; RSS ${mb(before.rss)} → peak ${mb(peakRss)} (+${mb(peakRss - before.rss)}), heap ${mb(before.heapUsed)} → peak ${mb(peakHeap)}`,
  )
}

async function onSqlite() {
  const dir = mkdtempSync(join(tmpdir(), 'gh-bench-audit-'))
  const file = join(dir, 'bench.db')
  try {
    await migrateStore({ sqliteFile: file })
    const store = await openStore({ sqliteFile: file })
    await seed(store, 'P', PAGE_EVENTS)
    await seed(store, 'C', CSV_EVENTS)
    const raw = new Database(file)
    const kysely = (captured) =>
      new Kysely({ dialect: new SqliteDialect({ database: raw }), log: (e) => e.level === 'query' && captured.push(e.query) })
    const explain = async (query) =>
      raw
        .prepare(`explain query plan ${query.sql}`)
        .all(...query.parameters)
        .map((r) => r.detail)
        .join('; ')
    await measurePages('SQLite', store, kysely, explain)
    // The same export of a tenth of the events first: a flat export peaks the same whatever the range.
    await measureCsv('SQLite', store, { from: TENTH_FROM })
    await measureCsv('SQLite', store)
    raw.close()
    await store.close()
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

async function onPostgres() {
  const schema = `gh_bench_${randomBytes(4).toString('hex')}`
  const url = `${base}${base.includes('?') ? '&' : '?'}options=${encodeURIComponent(`-c search_path=${schema}`)}`
  const admin = new pg.Client({ connectionString: base })
  await admin.connect()
  await admin.query(`create schema ${schema}`)
  const pool = new pg.Pool({ connectionString: url, max: 2 })
  try {
    await migrateStore({ postgresUrl: url })
    const store = await openStore({ postgresUrl: url })
    await seed(store, 'P', PAGE_EVENTS)
    await seed(store, 'C', CSV_EVENTS)
    await pool.query('analyze')
    const kysely = (captured) =>
      new Kysely({ dialect: new PostgresDialect({ pool }), log: (e) => e.level === 'query' && captured.push(e.query) })
    const explain = async (query) => {
      const { rows } = await pool.query(`explain ${query.sql}`, query.parameters)
      return rows
        .map((r) => r['QUERY PLAN'].trim())
        .filter((l) => /Scan|Sort/.test(l))
        .map((l) => l.replace(/^->\s*/, '').replace(/\s+\(cost.*$/, ''))
        .join(' ← ')
    }
    await measurePages('PostgreSQL', store, kysely, explain)
    await measureCsv('PostgreSQL', store, { from: TENTH_FROM })
    await measureCsv('PostgreSQL', store)
    await store.close()
  } finally {
    await pool.end()
    await admin.query(`drop schema ${schema} cascade`)
    await admin.end()
  }
}

const stores = (process.env.BENCH_STORES ?? 'sqlite,postgres').split(',')
if (stores.includes('sqlite')) await onSqlite()
if (stores.includes('postgres')) await onPostgres()
