// `npm run bench:emulator`: Gatehouse as a test emulator, in this process, on in-memory SQLite (the defaults of
// `startGatehouse()`), built from dist/ as the package ships it.
//   - start: from calling startGatehouse() to the first 200 of the Public API (GET /users with a token the seed
//     fixed). The first start also loads the modules (a test worker's first emulator); the others are warm.
//     Target: ≤ 0.3 s.
//   - reset: POST /admin/reset of a 1,000-user fixture (Workspace Member each, three groups), as `reset()`
//     between tests. Target: well under 100 ms.
// BENCH_RUNS=10 warm starts, BENCH_RESETS=20 resets.
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const ROOT = join(fileURLToPath(new URL('.', import.meta.url)), '..')
const ENTRY = join(ROOT, 'dist', 'emulator', 'index.js')
if (!existsSync(ENTRY)) throw new Error('dist/emulator/index.js is missing: run `npm run build` first')
const runs = (name, fallback) => Math.max(1, Number(process.env[name] ?? fallback) || fallback)
const RUNS = runs('BENCH_RUNS', 10)
const RESETS = runs('BENCH_RESETS', 20)
const TOKEN = `sgp_${'T'.repeat(64)}`

const small = {
  workspaces: [
    {
      slug: 'bench',
      name: 'Bench',
      users: [{ email: 'owner@bench.example', permissions: [{ role: 'Workspace Owner' }] }],
      tokens: [{ description: 'bench', secret: TOKEN }],
    },
  ],
}

function big(count) {
  const emails = Array.from({ length: count }, (_, i) => `user${i}@big.example`)
  return {
    workspaces: [
      {
        slug: 'big',
        name: 'Big',
        users: [
          { email: 'owner@big.example', permissions: [{ role: 'Workspace Owner' }] },
          ...emails.map((email, i) => ({ email, name: `User ${i}`, permissions: [{ role: 'Workspace Member' }] })),
        ],
        groups: ['a', 'b', 'c'].map((name, g) => ({ name, members: emails.filter((_, i) => i % 3 === g) })),
        tokens: [{ description: 'bench', secret: TOKEN }],
      },
    ],
  }
}

const median = (list) => [...list].sort((a, b) => a - b)[Math.floor(list.length / 2)]
const ms = (n) => `${n.toFixed(1)} ms`

async function startToFirst200(load) {
  const started = performance.now()
  const { startGatehouse } = await load()
  const gh = await startGatehouse({ seed: small })
  const res = await fetch(`${gh.url}/users`, { headers: { authorization: `Bearer ${TOKEN}` } })
  if (res.status !== 200) throw new Error(`GET /users answered ${res.status}`)
  await res.arrayBuffer()
  const elapsed = performance.now() - started
  await gh.stop()
  return elapsed
}

const load = () => import(ENTRY)
const cold = await startToFirst200(load)
const warm = []
for (let i = 0; i < RUNS; i++) warm.push(await startToFirst200(load))

const { startGatehouse } = await load()
const seedStarted = performance.now()
const gh = await startGatehouse({ seed: big(1000), rateLimit: 'off' })
const seeded = performance.now() - seedStarted
const resets = []
try {
  for (let i = 0; i < RESETS; i++) {
    const started = performance.now()
    await gh.reset()
    resets.push(performance.now() - started)
  }
} finally {
  await gh.stop()
}

console.log('Gatehouse as a test emulator (in-process, in-memory SQLite)')
console.log(`  startGatehouse() → first 200, first start (loads the modules): ${ms(cold)}   target ≤ 300 ms`)
console.log(`  startGatehouse() → first 200, warm, median of ${RUNS}: ${ms(median(warm))} (best ${ms(Math.min(...warm))})`)
console.log(`  seeding a 1,000-user fixture at start: ${ms(seeded)}`)
console.log(
  `  reset() of the 1,000-user fixture, median of ${RESETS}: ${ms(median(resets))} (best ${ms(Math.min(...resets))})   target well under 100 ms`,
)
