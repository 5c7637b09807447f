import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { ADMIN_KEY, HttpClient } from '../helpers/gatehouse.js'
import { createTestSchema } from '../helpers/postgres.js'
import { type ServerProcess, spawnServer } from '../helpers/process.js'

// docker-compose.yml and the Dockerfile are documentation a user runs as written, but this machine has no
// Docker engine. So this runs what they say without Docker: the migrate job's command, then two replicas with
// the image's command line and the compose file's environment, on the local PostgreSQL and Redis (the
// services' host names exist only inside compose, so the two URLs point here instead; everything else,
// variable names and values included, is taken from the files). A renamed flag or variable fails here.

const ROOT = new URL('../../', import.meta.url)
const MAIN = fileURLToPath(new URL('dist/main.js', ROOT))
const compose = parse(readFileSync(new URL('docker-compose.yml', ROOT), 'utf8'), { merge: true })
const dockerfile = readFileSync(new URL('Dockerfile', ROOT), 'utf8')
const instruction = (name: string): string[] => JSON.parse(new RegExp(`^${name} (\\[.*\\])$`, 'm').exec(dockerfile)?.[1] ?? 'null')

/** The compose file's `${VAR:?…}` and `${VAR:-default}` resolved from `vars`, as compose would from the shell. */
function interpolate(environment: Record<string, string>, vars: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(environment).map(([key, value]) => [
      key,
      String(value).replace(/\$\{(\w+)(?::[?-][^}]*)?\}/g, (_, name: string) => vars[name] ?? ''),
    ]),
  )
}

describe('the two-replica docker-compose example, run without Docker', () => {
  let schema: Awaited<ReturnType<typeof createTestSchema>>
  let replicas: ServerProcess[] = []
  const vars = { GATEHOUSE_SECRET_KEY: randomBytes(32).toString('hex'), GATEHOUSE_ADMIN_KEY: ADMIN_KEY }
  const here = (env: Record<string, string>) => ({
    ...env,
    ...(env.DATABASE_URL ? { DATABASE_URL: schema.url } : {}),
    ...(env.REDIS_URL ? { REDIS_URL: 'redis://127.0.0.1:6379' } : {}),
  })

  beforeAll(async () => {
    schema = await createTestSchema()
  })
  afterAll(async () => {
    await Promise.all(replicas.map((r) => r.stop()))
    await schema?.drop()
  })

  it('builds an image whose entry point is the CLI and whose command serves', () => {
    expect(instruction('ENTRYPOINT')).toEqual(['node', 'dist/main.js'])
    expect(instruction('CMD')[0]).toBe('serve')
    expect(compose.services['gatehouse-1'].build).toBe('.')
    expect(compose.services.migrate.build).toBe('.')
  })

  it('migrates with the migrate job, then starts both replicas, which refuse nothing and share one database', async () => {
    const job = compose.services.migrate
    await promisify(execFile)(process.execPath, [MAIN, ...job.command], {
      env: { ...process.env, ...here(interpolate(job.environment, vars)) },
    })

    // The image's command line, listening on loopback here instead of every interface.
    const cmd = instruction('CMD').slice(1)
    const args = cmd.map((arg, i) => (cmd[i - 1] === '--host' ? '127.0.0.1' : arg))
    replicas = await Promise.all(
      ['gatehouse-1', 'gatehouse-2'].map((name) =>
        spawnServer(
          args,
          { ...here(interpolate(compose.services[name].environment, vars)), GATEHOUSE_PORT: '0', GATEHOUSE_LOG_LEVEL: 'warn' },
          { exactly: true },
        ),
      ),
    )
    for (const replica of replicas) expect((await fetch(`${replica.url}/readyz`)).status).toBe(200)

    const one = new HttpClient(replicas[0]!.url, ADMIN_KEY)
    // GATEHOUSE_DEMO=false: no demo workspace on first start.
    expect((await one.get('/admin/workspaces')).body.data.workspaces).toEqual([])
    const created = await one.post('/admin/workspaces', { name: 'Compose', slug: 'compose', ownerEmail: 'owner@compose.example' })
    expect(created.status).toBe(201)
    const token = created.body.data.token
    expect((await new HttpClient(replicas[1]!.url, token).post('/groups', { name: 'written-through-2' })).status).toBe(200)
    const groups = await new HttpClient(replicas[0]!.url, token).get('/groups')
    expect(groups.body.data.userGroups.map((g: { name: string }) => g.name)).toEqual(['written-through-2'])
    expect(groups.headers.get('x-ratelimit-remaining')).not.toBeNull()
  })

  it('keeps the rate-limit windows in Redis, as the file asks, not in PostgreSQL', async () => {
    const client = new pg.Client({ connectionString: schema.url })
    await client.connect()
    try {
      expect((await client.query('select count(*)::int as n from rate_limits')).rows[0].n).toBe(0)
    } finally {
      await client.end()
    }
  })
})
