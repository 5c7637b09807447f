import { execFile, spawn } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const run = promisify(execFile)
const ROOT = new URL('../..', import.meta.url).pathname
const EXAMPLE_FILE = join(ROOT, 'docs/fixtures.example.json')
const ACME_OWNER_TOKEN = 'sgp_AcmeOwnerToken00000000000000000000000000000000000000000000000001'
/** The packed tarball measured 353 KB when this budget was set (about 20% above). */
const TARBALL_BUDGET_BYTES = 435_000

interface Packed {
  filename: string
  size: number
  unpackedSize: number
  files: { path: string }[]
}

/**
 * What a user gets from `npm install gatehouse`: the tarball `npm pack` makes of the built dist/ (the test
 * suite's pretest builds it; `prepack` does when publishing), installed into an empty project from the registry.
 */
describe('the packed package', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-pack-'))
  const project = join(dir, 'project')
  let packed: Packed

  beforeAll(async () => {
    if (!existsSync(join(ROOT, 'dist/main.js')) || !existsSync(join(ROOT, 'dist/emulator/index.js')))
      throw new Error('dist/ is not built: run `npx tsc -p tsconfig.build.json` first')
    await run(process.execPath, [join(ROOT, 'scripts/emit-types.mjs')], { cwd: ROOT })
    const { stdout } = await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dir], { cwd: ROOT })
    packed = (JSON.parse(stdout) as Packed[])[0] as Packed
  }, 120_000)

  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  it('holds the built server, the binary, the types and the docs, and nothing else, within its size budget', () => {
    const paths = packed.files.map((f) => f.path)
    console.log(
      `npm pack: ${packed.filename} ${(packed.size / 1024).toFixed(0)} KB packed (budget ${(TARBALL_BUDGET_BYTES / 1024).toFixed(0)} KB), ${(packed.unpackedSize / 1024).toFixed(0)} KB unpacked, ${paths.length} files`,
    )
    expect(packed.size).toBeLessThan(TARBALL_BUDGET_BYTES)
    for (const path of [
      'bin/gatehouse.js',
      'dist/main.js',
      'dist/emulator/index.js',
      'dist/emulator/index.d.ts',
      'dist/fixtures/schema.d.ts',
      'dist/store/migrations/0001-iam.js',
      'docs/fixtures.example.json',
      'README.md',
      'package.json',
    ])
      expect(paths).toContain(path)
    if (existsSync(join(ROOT, 'dist/console/index.html'))) expect(paths).toContain('dist/console/index.html')
    const stray = paths.filter(
      (p) => /^(src|test|bench|scripts|console)\//.test(p) || p.endsWith('.map') || p.endsWith('.ts') !== p.endsWith('.d.ts'),
    )
    expect(stray).toEqual([])
    const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'))
    expect(manifest.private).toBeUndefined()
  })

  it('installs into an empty project; `npx gatehouse serve --seed` answers, and so does startGatehouse() imported from it', async () => {
    mkdirSync(project)
    const sqliteVersion = JSON.parse(readFileSync(join(ROOT, 'node_modules/better-sqlite3/package.json'), 'utf8')).version
    writeFileSync(
      join(project, 'package.json'),
      JSON.stringify({ name: 'consumer', version: '1.0.0', private: true, type: 'module', overrides: { 'better-sqlite3': sqliteVersion } }),
    )
    // better-sqlite3's native module: this checkout's build, offered as a local prebuild, so the install does not
    // compile it (minutes) when its download host is out of reach. Everything else comes from the registry.
    const prebuilds = join(dir, 'prebuilds')
    mkdirSync(prebuilds)
    const abi = `node-v${process.versions.modules}-${process.platform}-${process.arch}`
    await run('tar', [
      '-czf',
      join(prebuilds, `better-sqlite3-v${sqliteVersion}-${abi}.tar.gz`),
      '-C',
      join(ROOT, 'node_modules/better-sqlite3'),
      'build/Release/better_sqlite3.node',
    ])
    await run('npm', ['install', join(dir, packed.filename), '--no-audit', '--no-fund'], {
      cwd: project,
      env: { ...process.env, npm_config_better_sqlite3_local_prebuilds: prebuilds },
    })

    // The binary, with the sample fixture, as a CI job runs it.
    const server = spawn('npx', ['gatehouse', 'serve', '--port', '0', '--db', join(project, 'ci.db'), '--seed', EXAMPLE_FILE], {
      cwd: project,
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    try {
      const url = await readyUrl(server)
      const res = await fetch(`${url}/users`, { headers: { authorization: `Bearer ${ACME_OWNER_TOKEN}` } })
      expect(res.status).toBe(200)
      expect(((await res.json()) as { data: { users: unknown[] } }).data.users).toHaveLength(4)
    } finally {
      server.kill('SIGTERM')
    }

    // The API, imported by name from the installed package, typed by its declarations.
    writeFileSync(
      join(project, 'check.ts'),
      `import { startGatehouse, type Gatehouse } from 'gatehouse'
const gh: Gatehouse = await startGatehouse({ seed: ${JSON.stringify(EXAMPLE_FILE)} })
const res = await fetch(gh.url + '/users', { headers: { authorization: 'Bearer ${ACME_OWNER_TOKEN}' } })
const { workspace, token } = await gh.createWorkspace({ plan: 'team' })
await gh.reset()
console.log(JSON.stringify({ status: res.status, slug: workspace.slug, token: token.slice(0, 4) }))
await gh.stop()
`,
    )
    writeFileSync(
      join(project, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: { target: 'ES2022', module: 'nodenext', moduleResolution: 'nodenext', strict: true, outDir: 'out', types: [] },
        files: ['check.ts'],
      }),
    )
    // No @types/node: the default libraries (fetch, console) are enough, so the check is that `gatehouse` resolves with its types.
    await run(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json', '--skipLibCheck', 'false'], {
      cwd: project,
    }).catch((error: { stdout: string }) => {
      throw new Error(`the consumer does not typecheck:\n${error.stdout}`)
    })
    const { stdout } = await run(process.execPath, ['out/check.js'], { cwd: project })
    expect(JSON.parse(stdout)).toEqual({ status: 200, slug: expect.stringMatching(/^ws-/), token: 'sgp_' })
  }, 600_000)
})

function readyUrl(child: ReturnType<typeof spawn>): Promise<string> {
  let text = ''
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`gatehouse serve did not start and seed:\n${text}`)), 60_000)
    const onData = (chunk: Buffer) => {
      text += chunk.toString()
      // Ready, then seeded: the seed goes in once the server listens.
      const match = /Gatehouse ready on (http:\/\/\S+)/.exec(text)
      if (match?.[1] && text.includes('Seeded ')) {
        clearTimeout(timer)
        resolve(match[1])
      }
    }
    child.stdout?.on('data', onData)
    child.stderr?.on('data', onData)
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`gatehouse serve exited with ${code}:\n${text}`))
    })
  })
}
