import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ADMIN_KEY, HttpClient } from '../helpers/gatehouse.js'
import { createTestSchema } from '../helpers/postgres.js'
import { type ServerProcess, spawnServer } from '../helpers/process.js'

// An operator of a PostgreSQL deployment uses the same CLI as on SQLite: every command that takes --db
// takes --database-url (or DATABASE_URL) and then works on PostgreSQL, never on a stray ./gatehouse.db.

const BIN = fileURLToPath(new URL('../../bin/gatehouse.js', import.meta.url))
const SECRET_KEY = randomBytes(32).toString('hex')

interface Run {
  code: number | null
  stdout: string
  stderr: string
}

describe('the CLI on PostgreSQL', () => {
  let schema: Awaited<ReturnType<typeof createTestSchema>>
  let cwd: string
  let replica: ServerProcess | undefined

  const cli = (args: string[], env: Record<string, string> = {}) =>
    new Promise<Run>((resolve) => {
      execFile(
        process.execPath,
        [BIN, ...args],
        { cwd, timeout: 30_000, env: { ...process.env, GATEHOUSE_SECRET_KEY: SECRET_KEY, ...env } },
        (error, stdout, stderr) => resolve({ code: error ? ((error as { code?: number }).code ?? null) : 0, stdout, stderr }),
      )
    })
  const json = (run: Run) => {
    expect(run.stderr).toBe('')
    expect(run.code).toBe(0)
    return JSON.parse(run.stdout)
  }

  beforeAll(async () => {
    schema = await createTestSchema()
    cwd = mkdtempSync(join(tmpdir(), 'gatehouse-cli-pg-'))
  })
  afterAll(async () => {
    await replica?.stop()
    await schema?.drop()
    rmSync(cwd, { recursive: true, force: true })
  })

  it('refuses a schema that is behind, naming the command that brings it up to date', async () => {
    const run = await cli(['workspace', 'list', '--database-url', schema.url])
    expect(run.code).toBe(1)
    expect(run.stderr).toMatch(/^error: The database schema is behind this Gatehouse .*gatehouse migrate/)
  })

  it('migrates, creates a workspace, a member and a token there, which a replica on the same database serves', async () => {
    expect(json(await cli(['migrate', '--database-url', schema.url, '--json'])).applied.length).toBeGreaterThan(0)
    // DATABASE_URL alone, as in a deployment's environment.
    const env = { DATABASE_URL: schema.url }
    const created = json(
      await cli(['workspace', 'create', '--name', 'Ops', '--slug', 'ops', '--owner-email', 'owner@ops.example', '--json'], env),
    )
    json(await cli(['user', 'add', '--workspace', 'ops', '--email', 'member@ops.example', '--name', 'Member', '--json'], env))
    const reader = json(await cli(['token', 'create', '--workspace', 'ops', '--description', 'reader', '--role', 'MEMBER', '--json'], env))
    expect(json(await cli(['workspace', 'list', '--json'], env)).workspaces.map((w: { slug: string }) => w.slug)).toEqual(['ops'])

    replica = await spawnServer(['--database-url', schema.url, '--admin-key', ADMIN_KEY], { GATEHOUSE_SECRET_KEY: SECRET_KEY })
    const users = await new HttpClient(replica.url, created.token).get('/users')
    expect(users.status).toBe(200)
    expect(users.body.data.users.map((u: { email: string }) => u.email).sort()).toEqual(['member@ops.example', 'owner@ops.example'])
    expect((await new HttpClient(replica.url, reader.secret).get('/users')).status).toBe(200)
  }, 90_000) // six CLI processes and a replica, one after another

  it('connects, syncs and lists the directory on PostgreSQL', async () => {
    const url = ['--database-url', schema.url]
    const slug = `remote-${randomBytes(3).toString('hex')}`
    const remote = await new HttpClient((replica as ServerProcess).url, ADMIN_KEY).post('/admin/workspaces', {
      name: 'Remote',
      slug,
      ownerEmail: `owner@${slug}.example`,
    })
    expect(remote.status).toBe(201)
    json(
      await cli([
        'connect',
        '--token',
        remote.body.data.token,
        '--base-url',
        (replica as ServerProcess).url,
        '--json',
        '--allow-remote-host',
        '127.0.0.1',
        ...url,
      ]),
    )
    const sync = await cli(['sync', '--all', '--allow-remote-host', '127.0.0.1', ...url])
    expect(sync.code, sync.stderr).toBe(0)
    const listed = json(await cli(['users', '--json', ...url]))
    expect(listed.users.map((u: { email: string; workspace: { slug: string } }) => `${u.email} ${u.workspace.slug}`)).toEqual([
      `owner@${slug}.example ${slug}`,
    ])
  }, 60_000)

  it('left nothing in the working directory: no SQLite file and no key file was made on the side', () => {
    expect(readdirSync(cwd)).toEqual([])
  })

  it('answers a malformed --database-url with a usage error', async () => {
    const run = await cli(['workspace', 'list', '--database-url', 'mysql://nope'])
    expect(run.code).toBe(2)
    expect(run.stderr).toBe('error: --database-url must be a postgres:// URL\n')
  })
})
