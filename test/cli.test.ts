import { type ChildProcess, execFile, spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Command } from 'commander'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { buildProgram } from '../src/cli/program.js'
import { ADMIN_KEY, HttpClient } from './helpers/gatehouse.js'
import { type ServerProcess, spawnServer } from './helpers/process.js'

// The built binary, run as an operator would: `node bin/gatehouse.js …` from the repository root, on a
// temporary SQLite file, often while a server runs on the same file.

const ROOT = fileURLToPath(new URL('..', import.meta.url))

interface CliResult {
  code: number | null
  stdout: string
  stderr: string
}

function cli(...args: string[]): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['bin/gatehouse.js', ...args], { cwd: ROOT, timeout: 20_000 }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : null
      resolve({ code, stdout, stderr })
    })
  })
}

/** Exit code 0, nothing on stderr, exactly one line on stdout holding one JSON object. */
function jsonOf(res: CliResult): any {
  expect(res.stderr).toBe('')
  expect(res.code).toBe(0)
  expect(res.stdout.endsWith('\n')).toBe(true)
  expect(res.stdout.trimEnd().split('\n')).toHaveLength(1)
  const value = JSON.parse(res.stdout)
  expect(value).toBeTypeOf('object')
  return value
}

/** A usage error: exit 2, nothing on stdout, one line on stderr naming the argument. */
function expectUsageError(res: CliResult, names: string | RegExp) {
  expect(res.code, res.stderr).toBe(2)
  expect(res.stdout).toBe('')
  const lines = res.stderr.trimEnd().split('\n')
  expect(lines, res.stderr).toHaveLength(1)
  expect(lines[0]).toMatch(/^error: /)
  expect(lines[0]).toMatch(names)
}

/** Every command path of the program: [], ['serve'], ['workspace'], ['workspace', 'create'], … */
function commandPaths(cmd: Command, prefix: string[] = []): string[][] {
  return [prefix, ...cmd.commands.flatMap((sub) => commandPaths(sub, [...prefix, sub.name()]))]
}

describe('the gatehouse CLI', () => {
  let dir: string
  let files = 0
  const servers: ServerProcess[] = []
  const children: ChildProcess[] = []

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'gatehouse-cli-'))
  })
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => s.kill()))
    for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
  })
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  const freshDb = () => join(dir, `cli-${++files}.db`)

  async function serveOn(db: string): Promise<ServerProcess> {
    const server = await spawnServer(['--db', db, '--admin-key', ADMIN_KEY])
    servers.push(server)
    return server
  }

  it('creates a workspace with --json as exactly one JSON object whose token works on a server running on the same file', async () => {
    const db = freshDb()
    const server = await serveOn(db)
    const created = jsonOf(
      await cli(
        'workspace',
        'create',
        '--name',
        'Acme Inc',
        '--slug',
        'acme',
        '--owner-email',
        'Ops@Acme.example',
        '--owner-name',
        'Ops',
        '--db',
        db,
        '--json',
      ),
    )
    expect(created).toEqual({
      workspace: { id: expect.any(String), slug: 'acme', name: 'Acme Inc' },
      token: expect.stringMatching(/^\S{20,}$/),
      owner: { id: expect.any(String), email: 'Ops@Acme.example', name: 'Ops' },
    })
    const api = new HttpClient(server.url, created.token)
    const workspace = await api.get('/')
    expect(workspace.status, workspace.text).toBe(200)
    expect(workspace.body.data.workspace).toEqual(created.workspace)
    const users = await api.get('/users')
    expect(users.body.data.users).toEqual([
      {
        ...created.owner,
        permissions: [
          {
            roleName: 'Workspace Owner',
            roleId: '1WDUuRLxv84rrfCNUwvkrRtkxnS',
            resources: [{ id: created.workspace.id, type: 'WORKSPACE' }],
          },
        ],
      },
    ])
    // The token can write too (an OWNER token).
    expect((await api.post('/labels', { label: { key: 'made', value: 'by-cli' } })).status).toBe(201)
  })

  it('lists every workspace with --json, with its plan', async () => {
    const db = freshDb()
    expect(jsonOf(await cli('workspace', 'list', '--db', db, '--json'))).toEqual({ workspaces: [] })
    const a = jsonOf(
      await cli('workspace', 'create', '--name', 'A', '--slug', 'list-a', '--owner-email', 'a@a.example', '--db', db, '--json'),
    )
    const b = jsonOf(
      await cli(
        'workspace',
        'create',
        '--name',
        'B',
        '--slug',
        'list-b',
        '--owner-email',
        'b@b.example',
        '--plan',
        'team',
        '--db',
        db,
        '--json',
      ),
    )
    const listed = jsonOf(await cli('workspace', 'list', '--db', db, '--json'))
    expect(listed).toEqual({
      workspaces: [
        { ...a.workspace, plan: 'business' },
        { ...b.workspace, plan: 'team' },
      ],
    })
  })

  it('creates a token the running server accepts, and revokes it so the server answers 401', async () => {
    const db = freshDb()
    const server = await serveOn(db)
    const created = jsonOf(
      await cli('workspace', 'create', '--name', 'T', '--slug', 'tokens', '--owner-email', 'o@t.example', '--db', db, '--json'),
    )
    const made = jsonOf(await cli('token', 'create', '--workspace', 'tokens', '--description', 'ci', '--db', db, '--json'))
    expect(made).toEqual({ token: { id: expect.any(String), description: 'ci', role: 'OWNER' }, secret: expect.any(String) })
    const api = new HttpClient(server.url, made.secret)
    expect((await api.get('/')).status).toBe(200)

    const revoked = jsonOf(await cli('token', 'revoke', '--workspace', 'tokens', '--token', made.token.id, '--db', db, '--json'))
    expect(revoked).toEqual({ status: 'SUCCESS', token: { id: made.token.id } })
    const refused = await api.get('/')
    expect(refused.status).toBe(401)
    expect(refused.body.errors[0]).toMatchObject({ type: 'unauthorized' })
    // The workspace's own token is untouched; revoking twice is an error, not a usage error.
    expect((await new HttpClient(server.url, created.token).get('/')).status).toBe(200)
    const again = await cli('token', 'revoke', '--workspace', 'tokens', '--token', made.token.id, '--db', db, '--json')
    expect(again.code).toBe(1)
    expect(again.stdout).toBe('')
    expect(again.stderr.trimEnd().split('\n')).toEqual([expect.stringMatching(new RegExp(`^error: .*${made.token.id}`))])

    // By workspace id as well as slug; a MEMBER token reads but may not write.
    const member = jsonOf(await cli('token', 'create', '--workspace', created.workspace.id, '--role', 'MEMBER', '--db', db, '--json'))
    expect(member.token.role).toBe('MEMBER')
    const reader = new HttpClient(server.url, member.secret)
    expect((await reader.get('/users')).status).toBe(200)
    expect((await reader.post('/labels', { label: { key: 'no', value: 'way' } })).status).toBe(401)
  })

  it('adds a user the running server lists, accepting a pending invite with its permissions', async () => {
    const db = freshDb()
    const server = await serveOn(db)
    const created = jsonOf(
      await cli('workspace', 'create', '--name', 'U', '--slug', 'users', '--owner-email', 'o@u.example', '--db', db, '--json'),
    )
    const api = new HttpClient(server.url, created.token)
    const invited = await api.post('/invites', {
      invites: [{ email: 'pat@u.example', permissions: [{ roleId: '1aEWAcU0fArxScocwH9xxLgW7r3' }] }],
    })
    expect(invited.status, invited.text).toBe(201)

    const added = jsonOf(
      await cli('user', 'add', '--workspace', 'users', '--email', 'pat@u.example', '--name', 'Pat', '--db', db, '--json'),
    )
    expect(added).toEqual({ user: { id: expect.any(String), email: 'pat@u.example', name: 'Pat' } })
    const user = await api.get(`/users/${added.user.id}`)
    expect(user.status, user.text).toBe(200)
    expect(user.body.data.user).toEqual({
      ...added.user,
      permissions: [
        {
          roleName: 'Minimal Workspace Access',
          roleId: '1aEWAcU0fArxScocwH9xxLgW7r3',
          resources: [{ id: created.workspace.id, type: 'WORKSPACE' }],
        },
      ],
    })
    expect((await api.get('/invites')).body.data.invites).toEqual([])
    // Adding a member again answers the same user.
    expect(jsonOf(await cli('user', 'add', '--workspace', 'users', '--email', 'PAT@u.example', '--db', db, '--json'))).toEqual(added)
  })

  it('exits 2 with a one-line error naming the argument for bad arguments, and changes nothing', async () => {
    const db = freshDb()
    jsonOf(await cli('workspace', 'create', '--name', 'Base', '--slug', 'base', '--owner-email', 'o@b.example', '--db', db, '--json'))
    const create = ['workspace', 'create', '--name', 'N', '--owner-email', 'e@x.example', '--db', db]
    const cases: [string[], RegExp][] = [
      [create, /--slug/],
      [[...create, '--slug', 's1', '--plan', 'gold'], /--plan.*gold/],
      [['workspace', 'create', '--name', 'N', '--slug', 's2', '--owner-email', 'not-an-email', '--db', db], /--owner-email.*not-an-email/],
      [[...create, '--slug', 'Not A Slug'], /--slug.*Not A Slug/],
      [['workspace', 'create', '--name', '', '--slug', 's4', '--owner-email', 'e@x.example', '--db', db], /--name/],
      [[...create, '--slug', 's3', '--colour', 'red'], /unknown option '--colour'/],
      [['token', 'create', '--db', db], /--workspace/],
      [['token', 'create', '--workspace', 'base', '--role', 'ADMIN', '--db', db], /--role.*ADMIN/],
      [['token', 'create', '--workspace', 'base', '--description', '', '--db', db], /--description/],
      [['token', 'revoke', '--workspace', 'base', '--db', db], /--token/],
      [['user', 'add', '--workspace', 'base', '--email', 'bad@', '--db', db], /--email.*bad@/],
      [['serve', '--port', 'eighty', '--db', db, '--no-demo'], /--port/],
    ]
    const results = await Promise.all(cases.map(([args]) => cli(...args)))
    results.forEach((res, i) => {
      const [args, names] = cases[i] as [string[], RegExp]
      expect(res.code, args.join(' ')).toBe(2)
      expectUsageError(res, names)
    })
    const listed = jsonOf(await cli('workspace', 'list', '--db', db, '--json'))
    expect(listed.workspaces.map((w: any) => w.slug)).toEqual(['base'])
  })

  it('prints help and exits 0 for --help on every command', async () => {
    const paths = commandPaths(buildProgram())
    expect(paths.map((p) => p.join(' '))).toEqual(expect.arrayContaining(['', 'serve', 'workspace create', 'token revoke', 'user add']))
    // A few at a time: thirty processes at once on two busy cores ran past the per-process timeout.
    const results: CliResult[] = []
    for (let i = 0; i < paths.length; i += 4)
      results.push(...(await Promise.all(paths.slice(i, i + 4).map((path) => cli(...path, '--help')))))
    results.forEach((res, i) => {
      const path = (paths[i] as string[]).filter((p) => p !== 'help')
      expect(res.code, path.join(' ')).toBe(0)
      expect(res.stderr).toBe('')
      expect(res.stdout).toMatch(new RegExp(`^Usage: gatehouse${path.map((p) => ` ${p}`).join('')}`))
    })
  }, 90_000) // one process per command (25+): slow on two busy cores

  it('refuses a duplicate slug with a non-zero exit and one clear line', async () => {
    const db = freshDb()
    jsonOf(await cli('workspace', 'create', '--name', 'One', '--slug', 'taken', '--owner-email', 'a@one.example', '--db', db, '--json'))
    const res = await cli('workspace', 'create', '--name', 'Two', '--slug', 'taken', '--owner-email', 'b@two.example', '--db', db, '--json')
    expect(res.code).not.toBe(0)
    expect(res.stdout).toBe('')
    expect(res.stderr).toBe('error: A workspace with slug taken already exists\n')
    expect(jsonOf(await cli('workspace', 'list', '--db', db, '--json')).workspaces.map((w: any) => w.name)).toEqual(['One'])
  })

  it('seeds a demo workspace on first start and prints a token, a curl line that answers 200 and an SDK snippet', async () => {
    const db = freshDb()
    const startDemo = async () => {
      const child = spawn(process.execPath, ['dist/main.js', 'serve', '--port', '0', '--db', db, '--log-level', 'warn'], {
        cwd: ROOT,
        stdio: ['ignore', 'pipe', 'pipe'],
      })
      children.push(child)
      let out = ''
      child.stdout.on('data', (chunk: Buffer) => {
        out += chunk.toString()
      })
      child.stderr.on('data', (chunk: Buffer) => {
        out += chunk.toString()
      })
      for (let i = 0; i < 400 && !/Gatehouse ready on \S+/.test(out); i++) {
        if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}:\n${out}`)
        await new Promise((r) => setTimeout(r, 25))
      }
      expect(out).toMatch(/Gatehouse ready on http:\/\/127\.0\.0\.1:\d+ /)
      return { child, out }
    }

    const { child, out } = await startDemo()
    const url = /Gatehouse ready on (http:\/\/\S+)/.exec(out)?.[1] as string
    const curl = /^ {2}curl -s -H "Authorization: Bearer (\S+)" (http:\/\/\S+)$/m.exec(out)
    expect(curl, out).not.toBeNull()
    const [, token, target] = curl as RegExpExecArray
    expect(target).toBe(`${url}/users`)
    expect(out).toContain(`\n  ${token}\n`)
    expect(out).toContain(`configureApis('${token}')`)
    expect(out).toContain(`basePath = '${url}'`)
    expect(out).toContain("require('@segment/public-api-sdk-typescript')")

    const res = await fetch(target as string, { headers: { Authorization: `Bearer ${token}` } })
    expect(res.status).toBe(200)
    const body = (await res.json()) as any
    // The demo workspace holds dozens of people to look at in the console; its owner among them.
    expect(body.data.users.map((u: any) => u.email)).toContain('owner@demo.example')
    expect(body.data.users.length).toBeGreaterThan(10)
    expect(out).toMatch(/Sign in to the console \(once, within 24 hours\): http:\/\/127\.0\.0\.1:\d+\/console\/link\/\w+/)

    // A second start on the same file prints no new token.
    child.kill('SIGTERM')
    await new Promise((r) => child.once('exit', r))
    const second = await startDemo()
    expect(second.out).not.toMatch(/curl/)
    expect(second.out).not.toMatch(/Bearer/)
  })

  it('honours GATEHOUSE_DEMO=false and GATEHOUSE_SYNC_SCHEDULER=off as --no-demo and --no-sync-scheduler do', async () => {
    const start = async (args: string[], env: Record<string, string>) => {
      const server = await spawnServer(
        ['--db', freshDb(), ...args],
        { GATEHOUSE_PORT: '0', GATEHOUSE_LOG_LEVEL: 'warn', ...env },
        { exactly: true },
      )
      await server.stop()
      return server.output()
    }
    const quiet = await start([], { GATEHOUSE_DEMO: 'false', GATEHOUSE_SYNC_SCHEDULER: 'off' })
    expect(quiet).not.toMatch(/demo workspace/)
    expect(quiet).toMatch(/Gatehouse ready on .*, sync scheduler off\)/)
    const flagged = await start(['--no-demo', '--no-sync-scheduler'], {})
    expect(flagged).not.toMatch(/demo workspace/)
    expect(flagged).toMatch(/sync scheduler off\)/)
    const defaults = await start([], {})
    expect(defaults).toMatch(/Created the demo workspace/)
    expect(defaults).not.toMatch(/sync scheduler off/)
  })
})
