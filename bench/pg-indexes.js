// Measures the queries behind pagination and the audit trail at scale on PostgreSQL: 1,000,000 users and
// 10,000,000 audit events in one workspace, inserted with generate_series, then EXPLAIN ANALYZE of each
// query shape the API runs. Run: `npm run build && node bench/pg-indexes.js` (DATABASE_URL to override).
// Bounded: a private schema, dropped at the end. Sizes: BENCH_USERS, BENCH_EVENTS.
import { randomBytes } from 'node:crypto'
import pg from 'pg'
import { migrateStore } from '../dist/store/open.js'

const base = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test'
const USERS = Number(process.env.BENCH_USERS ?? 1_000_000)
const EVENTS = Number(process.env.BENCH_EVENTS ?? 10_000_000)
const schema = `gh_bench_${randomBytes(4).toString('hex')}`
const url = `${base}${base.includes('?') ? '&' : '?'}options=${encodeURIComponent(`-c search_path=${schema}`)}`

const admin = new pg.Client({ connectionString: base })
await admin.connect()
await admin.query(`create schema ${schema}`)
const db = new pg.Client({ connectionString: url })
try {
  await migrateStore({ postgresUrl: url })
  await db.connect()
  const t0 = Date.now()
  await db.query(
    `insert into workspaces (id, slug, name, plan, created_at, user_count) values ('W', 'bench', 'Bench', 'business', '2026-01-01T00:00:00.000Z', ${USERS})`,
  )
  // Ids are zero-padded so text order is numeric order, like Gatehouse's time-ordered ids.
  await db.query(`insert into users (id, workspace_id, email, email_key, name, created_at)
    select lpad(g::text, 27, '0'), 'W', 'u' || g || '@bench.example', 'u' || g || '@bench.example', 'User ' || g, '2026-01-01T00:00:00.000Z'
    from generate_series(1, ${USERS}) g`)
  const tUsers = Date.now()
  await db.query(`insert into audit_events (id, workspace_id, timestamp, type, actor, resource_id, resource_type, resource_name)
    select lpad(g::text, 27, '0'), 'W',
      to_char(timestamp '2026-01-01' + (g || ' seconds')::interval, 'YYYY-MM-DD"T"HH24:MI:SS.000"Z"'),
      'Policy Created', 'token', 'r' || (g % 50000), (array['user','user_group','policy','invite','label'])[1 + g % 5], 'name'
    from generate_series(1, ${EVENTS}) g`)
  await db.query('analyze')
  const tEvents = Date.now()
  console.log(
    `seeded ${USERS.toLocaleString()} users in ${((tUsers - t0) / 1000).toFixed(1)} s, ${EVENTS.toLocaleString()} audit events in ${((tEvents - tUsers) / 1000).toFixed(1)} s`,
  )

  const deepKey = String(Math.floor(USERS * 0.99)).padStart(27, '0')
  const lastTs = await db.query('select max(timestamp) t from audit_events')
  const queries = [
    ['users: first page (100)', `select * from users where workspace_id = 'W' order by id limit 101`],
    ['users: page 99% deep (100)', `select * from users where workspace_id = 'W' and id > '${deepKey}' order by id limit 101`],
    ['users: totalEntries (count column)', `select user_count from workspaces where id = 'W'`],
    ['users: COUNT(*) (what the column avoids)', `select count(*) from users where workspace_id = 'W'`],
    ['users: by email', `select * from users where workspace_id = 'W' and email_key = 'u777777@bench.example'`],
    [
      'audit: newest page (200)',
      `select * from audit_events where workspace_id = 'W' and timestamp <= '${lastTs.rows[0].t}' order by timestamp desc, id desc limit 201`,
    ],
    [
      'audit: page in the middle of the trail',
      `select * from audit_events where workspace_id = 'W' and timestamp <= '9999' and (timestamp, id) < ('2026-03-01T00:00:00.000Z', '9') order by timestamp desc, id desc limit 201`,
    ],
    [
      'audit: by resourceId',
      `select * from audit_events where workspace_id = 'W' and timestamp <= '9999' and resource_id = 'r4242' order by timestamp desc, id desc limit 201`,
    ],
    [
      'audit: by resourceType',
      `select * from audit_events where workspace_id = 'W' and timestamp <= '9999' and resource_type = 'label' order by timestamp desc, id desc limit 201`,
    ],
    [
      'audit: time range (one day)',
      `select * from audit_events where workspace_id = 'W' and timestamp > '2026-02-01T00:00:00.000Z' and timestamp <= '2026-02-02T00:00:00.000Z' order by timestamp desc, id desc limit 201`,
    ],
  ]
  console.log('| query | time (ms) | plan |\n|---|---|---|')
  for (const [name, sql] of queries) {
    await db.query(sql) // warm
    const { rows } = await db.query(`explain (analyze, format json) ${sql}`)
    const plan = rows[0]['QUERY PLAN'][0]
    const node = (n) =>
      n.Plans
        ? `${n['Node Type']}${n['Index Name'] ? ` (${n['Index Name']})` : ''} ← ${n.Plans.map(node).join(', ')}`
        : `${n['Node Type']}${n['Index Name'] ? ` (${n['Index Name']})` : ''}`
    console.log(`| ${name} | ${plan['Execution Time'].toFixed(2)} | ${node(plan.Plan)} |`)
  }
} finally {
  await db.end().catch(() => {})
  await admin.query(`drop schema if exists ${schema} cascade`)
  await admin.end()
}
