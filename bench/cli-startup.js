// `npm run bench:cli`: how long a CLI command takes from start to exit, against a bare `node -e 0` measured in
// the same run (the floor no CLI on Node can go below). Every command loads only what it runs: `--help` and
// usage errors load no store and no HTTP server; store commands load the store, not the server.
// BENCH_RUNS=10 runs per command (after one unmeasured run); a temporary SQLite file, removed at the end.
import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { cleanup, fmt, numberFrom, printTable, ROOT } from './lib.js'

const RUNS = numberFrom('BENCH_RUNS', 10, 1)
if (!existsSync(join(ROOT, 'dist', 'main.js'))) throw new Error('dist/main.js is missing: run `npm run build` first')
const dir = mkdtempSync(join(tmpdir(), 'gatehouse-cli-bench-'))
const db = join(dir, 'bench.db')
const gatehouse = (...args) => [join(ROOT, 'bin', 'gatehouse.js'), ...args]
const commands = [
  { label: 'node -e 0 (baseline)', args: ['-e', '0'], exit: 0 },
  { label: 'gatehouse --help', args: gatehouse('--help'), exit: 0 },
  { label: 'gatehouse workspace list (SQLite)', args: gatehouse('workspace', 'list', '--db', db), exit: 0 },
  { label: 'gatehouse serve --port x (usage error)', args: gatehouse('serve', '--port', 'x'), exit: 2 },
]

function time({ args, exit }) {
  const start = performance.now()
  const res = spawnSync(process.execPath, args, {
    cwd: dir,
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, GATEHOUSE_DEMO: 'false' },
  })
  const ms = performance.now() - start
  if (res.status !== exit) throw new Error(`${args.join(' ')} exited ${res.status}: ${res.stderr}`)
  return ms
}

try {
  const rows = commands.map((c) => {
    time(c) // warms the file cache (and creates the SQLite file)
    const runs = Array.from({ length: RUNS }, () => time(c)).sort((a, b) => a - b)
    return { ...c, median: runs[Math.floor(runs.length / 2)], min: runs[0] }
  })
  const base = rows[0].median
  printTable(
    ['Command', 'median ms', 'min ms', 'vs baseline'],
    rows.map((r) => [r.label, fmt.int(r.median), fmt.int(r.min), fmt.ratio(r.median, base)]),
  )
} finally {
  rmSync(dir, { recursive: true, force: true })
  await cleanup()
}
