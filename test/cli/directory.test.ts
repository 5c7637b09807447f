import { execFile } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { invite, seedRemote } from '../directory/sync-helpers.js'
import { ADMIN_KEY, type Gatehouse, HttpClient, type SeededWorkspace, startGatehouse } from '../helpers/gatehouse.js'
import { spawnServer } from '../helpers/process.js'

const BIN = fileURLToPath(new URL('../../bin/gatehouse.js', import.meta.url))
const DIST = fileURLToPath(new URL('../../dist/main.js', import.meta.url))

interface CliResult {
  code: number
  stdout: string
  stderr: string
}

/** Runs the built CLI (`npm run build` first, as `npm test` does) as a separate process. */
function gatehouse(args: string[], stdin?: string): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, [BIN, ...args], { timeout: 30_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0
      resolve({ code, stdout: String(stdout), stderr: String(stderr) })
    })
    if (stdin !== undefined) child.stdin?.end(stdin)
    else child.stdin?.end()
  })
}

// The CLI works on the SQLite file beside a running server (WAL), so this suite runs on SQLite only. The
// server doubles as the remote: its workspaces are connected by URL, as a real Segment workspace would be.
describe('gatehouse connect, connections, users, person, apikey (built binary)', () => {
  let gh: Gatehouse
  let A: SeededWorkspace
  let B: SeededWorkspace
  const cli = (...args: string[]) => gatehouse([...args, '--db', gh.dbFile])
  // Commands that call the remote (here a server on loopback) must be allowed to reach it.
  const LOOPBACK = ['--allow-remote-host', '127.0.0.1']

  beforeAll(async () => {
    if (!existsSync(DIST)) throw new Error('dist/ is missing: run `npm run build` first (npm test does)')
    gh = await startGatehouse()
    A = await gh.workspace({ name: 'Alpha' })
    B = await gh.workspace({ name: 'Beta' })
    await seedRemote(gh, A, 'a')
    await seedRemote(gh, B, 'b')
    await gh.addUsers(A, ['shared.person@example.com'])
    await invite(B, ['Shared.Person@Example.com'])
  })
  afterAll(() => gh?.stop())

  it('connect checks the token, stores it sealed and prints the connection, never the token', async () => {
    const res = await cli('connect', '--token', A.token, '--base-url', gh.url, '--name', 'alpha', ...LOOPBACK)
    expect(res.stderr).toBe('')
    expect(res.code).toBe(0)
    expect(res.stdout).toMatch(
      new RegExp(`^Connected alpha \\(\\w+\\): workspace ${A.slug} "Alpha" \\(${A.id}\\) at ${gh.url}\\.\nThe token is stored sealed`),
    )
    expect(res.stdout).not.toContain(A.token)

    // The token may come on stdin, out of the shell's history and the process list.
    const json = await gatehouse(
      ['connect', '--token', '-', '--base-url', `${gh.url}/`, '--name', 'beta', '--json', '--db', gh.dbFile, ...LOOPBACK],
      `${B.token}\n`,
    )
    expect(json.code).toBe(0)
    const { connection } = JSON.parse(json.stdout)
    expect(connection).toMatchObject({
      name: 'beta',
      base_url: gh.url,
      status: 'active',
      workspace: { id: B.id, slug: B.slug, name: 'Beta' },
    })
    expect(json.stdout).not.toContain(B.token)
    const row = await gh.server.store.read((q) => q.connections.find(connection.id))
    expect(gh.server.directory.cipher.open(row?.token_ciphertext as string)).toBe(B.token)
  })

  it('connect fails with one clear line: exit 1 for a rejected token or a duplicate, 2 for bad arguments', async () => {
    expect(await cli('connect', '--token', 'sgp_wrong', '--base-url', gh.url, ...LOOPBACK)).toEqual({
      code: 1,
      stdout: '',
      stderr: 'error: The remote rejected the token (it answered 401): check the token and the base URL\n',
    })
    const duplicate = await cli('connect', '--token', A.token, '--base-url', gh.url, ...LOOPBACK)
    expect(duplicate.code).toBe(1)
    expect(duplicate.stderr).toMatch(new RegExp(`^error: Workspace ${A.slug} at ${gh.url} is already connected as alpha \\(\\w+\\)\n$`))
    expect(await cli('connect', '--token', A.token, '--base-url', 'not a url')).toMatchObject({
      code: 1,
      stderr: 'error: baseUrl must be an http(s) URL such as https://api.segmentapis.com\n',
    })
    expect((await cli('connect', '--base-url', gh.url)).code).toBe(2)
  })

  it('connections prints a table of every connection and its sync state', async () => {
    const res = await cli('connections')
    expect(res.code).toBe(0)
    const [header, ...lines] = res.stdout.trimEnd().split('\n')
    expect(header).toMatch(/^ID\s+NAME\s+WORKSPACE\s+STATUS\s+LAST COMPLETE SYNC\s+BASE URL$/)
    expect(lines).toHaveLength(2)
    expect(lines.find((l) => l.includes(' alpha '))).toMatch(new RegExp(`\\s${A.slug}\\s+active\\s+never\\s+${gh.url}$`))
    expect(JSON.parse((await cli('connections', '--json')).stdout).connections).toHaveLength(2)
  })

  it('users prints the synced directory as a readable table, and filters it', async () => {
    const synced = await cli('sync', '--all', ...LOOPBACK)
    expect(synced.code, synced.stderr).toBe(0)

    const res = await cli('users')
    expect(res.code).toBe(0)
    const [header, ...lines] = res.stdout.trimEnd().split('\n')
    expect(header).toMatch(/^EMAIL\s+NAME\s+STATUS\s+WORKSPACE\s+ROLES\s+GROUPS$/)
    // 7 accounts per seeded workspace, plus the shared person in each.
    expect(lines).toHaveLength(16)
    expect(lines.find((l) => l.startsWith('a.ada@example.com'))).toMatch(
      new RegExp(`^a\\.ada@example\\.com\\s+a\\.ada\\s+active\\s+${A.slug}\\s+Source Admin, Function Admin \\(via a-eng\\)\\s+a-eng$`),
    )
    expect(lines.find((l) => l.startsWith('b.ivy@example.com'))).toMatch(
      new RegExp(`^b\\.ivy@example\\.com\\s+-\\s+invited\\s+${B.slug}\\s+Function Admin \\(via b-eng\\)\\s+b-eng$`),
    )

    const one = await cli('users', '--email', 'A.ADA@example.com')
    expect(one.stdout.trimEnd().split('\n')).toHaveLength(2)
    const invited = (await cli('users', '--status', 'invited', '--connection', 'beta')).stdout.trimEnd().split('\n').slice(1)
    expect(invited).toHaveLength(4)
    for (const line of invited) expect(line).toMatch(new RegExp(`\\sinvited\\s+${B.slug}\\s`))
    const json = JSON.parse((await cli('users', '--json', '--role', 'source admin')).stdout)
    expect(json.users.map((u: any) => u.email).sort()).toEqual(['a.ada@example.com', 'b.ada@example.com'])
    expect(await cli('users', '--connection', 'nope')).toMatchObject({ code: 1, stderr: 'error: Connection nope not found\n' })
    expect((await cli('users', '--status', 'gone')).code).toBe(2)
  })

  it("person prints one person's accounts across every workspace", async () => {
    const res = await cli('person', 'Shared.Person@example.com')
    expect(res.code, res.stderr).toBe(0)
    const [title, header, ...rows] = res.stdout.trimEnd().split('\n')
    expect(title).toBe('shared.person@example.com (shared.person): 2 accounts')
    expect(header).toMatch(/^WORKSPACE\s+EMAIL\s+STATUS\s+ROLES\s+GROUPS$/)
    expect(rows.sort()).toEqual([
      expect.stringMatching(new RegExp(`^${A.slug}\\s+shared\\.person@example\\.com\\s+active\\s`)),
      expect.stringMatching(new RegExp(`^${B.slug}\\s+Shared\\.Person@Example\\.com\\s+invited\\s`)),
    ])
    const json = JSON.parse((await cli('person', 'shared.person@example.com', '--json')).stdout)
    expect(json.person.accounts.map((a: any) => a.workspace.id).sort()).toEqual([A.id, B.id].sort())
    expect(await cli('person', 'nobody@example.com')).toEqual({
      code: 1,
      stdout: '',
      stderr: 'error: Person nobody@example.com not found\n',
    })
    expect((await cli('person', 'not-an-email')).code).toBe(2)
  })

  it('apikey create prints a secret, once, that opens the directory API and is stored only as a hash', async () => {
    const res = await cli('apikey', 'create', '--description', 'ci')
    expect(res.code).toBe(0)
    const secret = /^Secret \(shown once\): (ghk_\S+)$/m.exec(res.stdout)?.[1] as string
    expect(secret).toEqual(expect.any(String))
    const users = await new HttpClient(gh.url, secret).get('/directory/users?limit=1')
    expect(users.status).toBe(200)
    const keys = JSON.parse((await cli('apikey', 'list', '--json')).stdout).apiKeys
    expect(keys.map((k: any) => k.description)).toContain('ci')
    expect(JSON.stringify(keys)).not.toContain(secret)
    const json = JSON.parse((await cli('apikey', 'create', '--json')).stdout)
    expect(json).toEqual({
      apiKey: { id: expect.any(String), description: 'created with the CLI', created_at: expect.any(String) },
      secret: expect.stringMatching(/^ghk_/),
    })
    const id = (keys.find((k: any) => k.description === 'ci') as { id: string }).id
    expect((await cli('apikey', 'revoke', id)).code).toBe(0)
    expect((await new HttpClient(gh.url, secret).get('/directory/users')).status).toBe(401)
  })

  it('a server logging at trace level never logs a token it connects, rotates, syncs or proxies with', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gatehouse-log-'))
    const server = await spawnServer([
      '--db',
      join(dir, 'g.db'),
      '--admin-key',
      ADMIN_KEY,
      '--rate-limit',
      'off',
      '--log-level',
      'trace',
      '--sync-interval',
      '1',
    ])
    try {
      const admin = new HttpClient(server.url, ADMIN_KEY)
      const ws = (
        await admin.post('/admin/workspaces', { name: 'Logged', slug: 'logged', ownerEmail: 'o@logged.example', plan: 'business' })
      ).body.data
      const second = (await admin.post(`/admin/workspaces/${ws.workspace.id}/tokens`, { description: 'second' })).body.data.secret
      const api = new HttpClient(server.url, (await admin.post('/admin/directory/api-keys', { description: 'log' })).body.data.secret)
      const conn = await api.post('/directory/connections', { token: ws.token, baseUrl: server.url })
      expect(conn.status).toBe(201)
      expect((await api.post('/directory/connections', { token: 'sgp_wrong_token_for_logs', baseUrl: server.url })).status).toBe(422)
      expect((await api.put(`/directory/connections/${conn.body.id}/token`, { token: second })).status).toBe(200)
      expect((await api.get(`/directory/connections/${conn.body.id}/proxy/users`)).status).toBe(200)
      // The scheduler (every second here) syncs the connection with the stored token.
      const deadline = Date.now() + 10_000
      while ((await api.get(`/directory/connections/${conn.body.id}`)).body.last_complete_sync_at === null) {
        if (Date.now() > deadline) throw new Error('the scheduled sync did not complete')
        await new Promise((r) => setTimeout(r, 100))
      }
    } finally {
      await server.stop()
      rmSync(dir, { recursive: true, force: true })
    }
    const logged = server.output()
    expect(logged).toMatch(/incoming request/)
    expect(logged).not.toMatch(/sgp_/)
  })
})
