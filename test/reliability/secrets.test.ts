import { createDecipheriv, createHash, randomBytes } from 'node:crypto'
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { secretsEqual } from '../../src/auth/secrets.js'
import { resolveServeConfig } from '../../src/config.js'
import { createConnection } from '../../src/directory/connections.js'
import { ValidationError } from '../../src/errors.js'
import { type RunningServer, startServer } from '../../src/server.js'
import { migrateStore } from '../../src/store/open.js'
import { ADMIN_KEY, type Gatehouse, HttpClient, type HttpResult, type SeededWorkspace, startGatehouse } from '../helpers/gatehouse.js'
import { createTestSchema, testStore } from '../helpers/postgres.js'
import { AnswerLog, expectWellFormed, storeDumper } from './support.js'

/*
 * Secrets: Public API tokens, the admin key, directory API keys, remote tokens, the credential key and the
 * cursor-signing secret never appear in logs (trace level), error messages, /openapi.json or any answer;
 * at rest there are only SHA-256 hashes and AES-256-GCM ciphertext; a wrong, loose or malformed key stops
 * startup with a clear message.
 */

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex')

/** Opens a `v1.<iv>.<tag>.<ciphertext>` value with AES-256-GCM, independently of the server's code. */
function openSealed(sealed: string, keyHex: string): string {
  const [version, iv, tag, body] = sealed.split('.') as [string, string, string, string]
  expect(version).toBe('v1')
  expect(Buffer.from(iv, 'base64url')).toHaveLength(12)
  expect(Buffer.from(tag, 'base64url')).toHaveLength(16)
  const decipher = createDecipheriv('aes-256-gcm', Buffer.from(keyHex, 'hex'), Buffer.from(iv, 'base64url'))
  decipher.setAuthTag(Buffer.from(tag, 'base64url'))
  return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8')
}

describe('secrets', () => {
  let gh: Gatehouse
  const logLines: string[] = []
  const answers = new AnswerLog()
  /** Every secret the workload handled, by name. */
  const secrets: Record<string, string> = {}
  let ws: SeededWorkspace
  let other: SeededWorkspace
  let dir: HttpClient
  let connectionId: string
  let remoteToken: string

  /** Sends a request, checks the envelope, and records the answer (answers that mint a secret are sent without it). */
  async function send(client: HttpClient, method: string, path: string, body?: unknown): Promise<HttpResult> {
    const res = await client.request(method, path, body)
    expectWellFormed({ what: `${method} ${path}`, status: res.status, text: res.text, method })
    answers.record(`${method} ${path}`, res.text, Object.fromEntries(res.headers))
    return res
  }

  /** The secrets that must not be stored in clear: all but the cursor-signing secret, which the store itself holds. */
  const atRest = () => Object.entries(secrets).filter(([name]) => name !== 'cursor secret')

  async function waitForRun(id: string) {
    for (let i = 0; i < 400; i++) {
      const run = await send(dir, 'GET', `/directory/sync-runs/${id}`)
      if (run.body.state !== 'running') return run.body
      await new Promise((r) => setTimeout(r, 25))
    }
    throw new Error('sync never finished')
  }

  beforeAll(async () => {
    gh = await startGatehouse({ logLevel: 'trace', logStream: { write: (line) => void logLines.push(line) } })
    ws = await gh.workspace()
    other = await gh.workspace()
    secrets['workspace token'] = ws.token
    secrets['other workspace token'] = other.token
    secrets['admin key'] = ADMIN_KEY
    secrets['cursor secret'] = gh.server.store.secret
    secrets['credential key'] = readFileSync(join(dirname(gh.dbFile), 'gatehouse.key'), 'utf8').trim()
    const admin = gh.admin

    const member = await admin.request('POST', `/admin/workspaces/${ws.id}/tokens`, { description: 'member', role: 'MEMBER' })
    secrets['member token'] = member.body.data.secret
    const key = (await admin.request('POST', '/admin/directory/api-keys', { description: 'secrets suite' })).body.data.secret as string
    secrets['directory API key'] = key
    dir = new HttpClient(gh.url, key)
    await gh.addUsers(ws, ['ann@secrets.example', 'bob@secrets.example'])

    // The Public API, with good and wrong credentials.
    const group = await send(ws.http, 'POST', '/groups', { name: 'ops' })
    await send(ws.http, 'POST', `/groups/${group.body.data.userGroup.id}/users`, { emails: ['ann@secrets.example', 'new@secrets.example'] })
    for (const path of ['/', '/users', '/invites', '/groups', '/labels', '/roles', '/audit-events?pagination.count=5', '/users/nope'])
      await send(ws.http, 'GET', path)
    for (const wrong of [key, ADMIN_KEY, `${ws.token}x`, secrets['member token'] as string])
      await send(new HttpClient(gh.url, wrong), 'POST', '/groups', { name: 'x' })
    await send(new HttpClient(gh.url, ws.token), 'GET', '/admin/workspaces')
    await send(new HttpClient(gh.url, ws.token), 'GET', '/directory/connections')
    await send(new HttpClient(gh.url, ADMIN_KEY), 'GET', '/directory/users')
    // A secret in a body field the schema does not know: the 422 names the field, never its value.
    await send(ws.http, 'POST', '/groups', { name: 'x', token: ws.token })

    // The directory: connect, refuse bad tokens, rotate, sync, proxy, act, read.
    const conn = await send(dir, 'POST', '/directory/connections', { token: ws.token, baseUrl: gh.url })
    expect(conn.status, conn.text).toBe(201)
    connectionId = conn.body.id
    for (const token of [`${other.token}x`, `${ws.token}\u00e9`, `Bearer ${ws.token}`, `${ws.token}\r\nX-Evil: 1`, ws.token])
      expect((await send(dir, 'POST', '/directory/connections', { token, baseUrl: gh.url })).status).toBeGreaterThanOrEqual(400)
    expect((await send(dir, 'PUT', `/directory/connections/${connectionId}/token`, { token: other.token })).status).toBe(422)
    const rotated = await admin.request('POST', `/admin/workspaces/${ws.id}/tokens`, { description: 'for the directory' })
    remoteToken = rotated.body.data.secret
    secrets['remote token'] = remoteToken
    expect((await send(dir, 'PUT', `/directory/connections/${connectionId}/token`, { token: remoteToken })).status).toBe(200)
    const run = await send(dir, 'POST', `/directory/connections/${connectionId}/sync`)
    expect((await waitForRun(run.body.id)).state).toBe('succeeded')
    for (const path of ['/proxy/users', '/proxy/users/nope', '/proxy/groups?pagination%5Bcount%5D=1', '/proxy/admin/workspaces'])
      await send(dir, 'GET', `/directory/connections/${connectionId}${path}`)
    await send(dir, 'POST', `/directory/connections/${connectionId}/proxy/groups`, { name: 'via proxy' })
    await send(dir, 'POST', '/directory/actions/invite', { connection_id: connectionId, email: 'carl@secrets.example', dry_run: true })
    await send(dir, 'POST', '/directory/actions/offboard', { email: 'bob@secrets.example', dry_run: true })
    await send(dir, 'POST', '/directory/actions/invite', { connection_id: connectionId, email: 'dora@secrets.example' })
    for (const path of [
      '/connections',
      `/connections/${connectionId}`,
      '/users',
      '/groups',
      '/roles',
      '/workspaces',
      '/people',
      '/events',
      '/sync-runs',
    ])
      await send(dir, 'GET', `/directory${path}`)
    // The remote revokes the token: the next sync fails with the remote's 401, which must not quote the token.
    const revokedId = rotated.body.data.token.id
    expect((await send(admin, 'DELETE', `/admin/workspaces/${ws.id}/tokens/${revokedId}`)).status).toBe(200)
    const failing = await send(dir, 'POST', `/directory/connections/${connectionId}/sync`)
    const failed = await waitForRun(failing.body.id)
    expect(failed.state).toBe('failed')
    await send(dir, 'GET', `/directory/connections/${connectionId}`)
    await send(dir, 'GET', `/directory/connections/${connectionId}/proxy/users`)
    await send(new HttpClient(gh.url, undefined), 'GET', '/openapi.json')
  })

  afterAll(() => gh?.stop())

  it('never writes a secret to the log, even at trace level', () => {
    // The workload was logged at trace level: every request in and every answer out.
    expect(logLines.length).toBeGreaterThan(50)
    expect(logLines.some((l) => l.includes('incoming request'))).toBe(true)
    expect(logLines.some((l) => l.includes('request completed'))).toBe(true)
    for (const line of logLines)
      for (const [name, secret] of Object.entries(secrets))
        expect(line.includes(secret), `the log holds the ${name}: ${line.slice(0, 300)}`).toBe(false)
  })

  it('never answers a secret, in a body, an error message or a header', () => {
    expect(answers.answers.length).toBeGreaterThan(40)
    answers.expectNoSecrets(secrets)
  })

  it('publishes an OpenAPI document without secrets or fields for hashes and ciphertext', async () => {
    const text = await (await fetch(`${gh.url}/openapi.json`)).text()
    for (const [name, secret] of Object.entries(secrets)) expect(text.includes(secret), `openapi.json holds the ${name}`).toBe(false)
    for (const field of ['secret_hash', 'token_ciphertext', 'ciphertext', 'key_check']) expect(text).not.toContain(field)
  })

  it('stores tokens and directory API keys as SHA-256 hashes and remote tokens as AES-256-GCM ciphertext', async () => {
    const dumper = storeDumper(gh)
    const dump = await dumper.dump()
    await dumper.close()
    for (const [name, secret] of atRest()) expect(dump.includes(secret), `the store holds the ${name} in clear`).toBe(false)
    for (const name of ['workspace token', 'member token', 'remote token', 'directory API key'])
      expect(dump, `the store holds the hash of the ${name}`).toContain(sha256(secrets[name] as string))
    const row = await gh.server.store.read((q) => q.connections.find(connectionId))
    expect(row?.token_ciphertext.startsWith('v1.')).toBe(true)
    expect(openSealed(row?.token_ciphertext as string, secrets['credential key'] as string)).toBe(remoteToken)
    // Sealing twice gives two ciphertexts (a fresh IV each time), so equal tokens do not show as equal rows.
    const cipher = gh.server.directory.cipher
    expect(cipher.seal(remoteToken)).not.toBe(cipher.seal(remoteToken))
  })

  it('leaves no secret in the SQLite file, its WAL or its shared memory', async () => {
    if (testStore() === 'postgres') {
      // PostgreSQL: the dump above read every table of the schema; there is no file of ours to read.
      expect(gh.server.store.pgPool).toBeDefined()
      return
    }
    const files = [gh.dbFile, `${gh.dbFile}-wal`, `${gh.dbFile}-shm`].filter((f) => existsSync(f))
    expect(files.length).toBeGreaterThanOrEqual(2)
    for (const file of files) {
      const bytes = readFileSync(file)
      for (const [name, secret] of atRest()) {
        expect(bytes.includes(Buffer.from(secret, 'utf8')), `${file} holds the ${name}`).toBe(false)
        expect(bytes.includes(Buffer.from(secret, 'utf16le')), `${file} holds the ${name} (UTF-16)`).toBe(false)
      }
    }
  })

  it('keeps the created key file private and well-formed', () => {
    const keyFile = join(dirname(gh.dbFile), 'gatehouse.key')
    expect(statSync(keyFile).mode & 0o777).toBe(0o600)
    expect(readFileSync(keyFile, 'utf8').trim()).toMatch(/^[0-9a-f]{64}$/)
  })

  it('refuses a remote token that cannot travel in a header before calling the remote, without quoting it (API and CLI path)', async () => {
    for (const token of [`${ws.token}\r\nX-Evil: 1`, `${ws.token} `, `${ws.token}\u00e9`, `${ws.token}\u0000`]) {
      const refused = await createConnection(gh.server.directory, { token, baseUrl: gh.url }).catch((e: Error) => e)
      expect(refused).toBeInstanceOf(ValidationError)
      expect((refused as Error).message).not.toContain(ws.token)
    }
  })

  it('refuses every wrong admin key alike, whatever its length, and compares it in constant time', async () => {
    const wrong = [
      '',
      'x',
      ADMIN_KEY.slice(0, -1),
      `${ADMIN_KEY}x`,
      `${ADMIN_KEY.slice(0, -1)}X`,
      ADMIN_KEY.toUpperCase(),
      'é'.repeat(ADMIN_KEY.length),
      'k'.repeat(512),
      ws.token,
    ]
    for (const key of wrong) {
      const res = await send(new HttpClient(gh.url, key === '' ? undefined : key), 'GET', '/admin/workspaces')
      expect(res.status, `admin key ${JSON.stringify(key.slice(0, 20))}`).toBe(401)
      expect(res.body.errors[0].message).toBe('Unauthorized: a valid admin key is required')
    }
    expect((await gh.admin.get('/admin/workspaces')).status).toBe(200)
    // secretsEqual hashes both sides first, so timingSafeEqual always compares 32 bytes: no length leak, no throw.
    expect(secretsEqual(ADMIN_KEY, ADMIN_KEY)).toBe(true)
    for (const key of wrong) expect(secretsEqual(key, ADMIN_KEY)).toBe(false)
    const adminRoutes = readFileSync(new URL('../../src/admin/routes.ts', import.meta.url), 'utf8')
    expect(adminRoutes).toMatch(/secretsEqual\(given, adminKey\)/)
    expect(adminRoutes).not.toMatch(/[!=]==\s*adminKey|adminKey\s*[!=]==(?!\s*undefined)/)
  })
})

describe('the credential key at startup', () => {
  const dirs: string[] = []
  const drops: (() => Promise<void>)[] = []
  afterAll(async () => {
    for (const drop of drops) await drop()
    for (const d of dirs) rmSync(d, { recursive: true, force: true })
  })

  /** A store (SQLite file, or a PostgreSQL schema) that several servers open in turn, with the key each is given. */
  async function sharedStore() {
    const dir = mkdtempSync(join(tmpdir(), 'gatehouse-keys-'))
    dirs.push(dir)
    const pg = testStore() === 'postgres' ? await createTestSchema() : undefined
    if (pg) {
      drops.push(pg.drop)
      await migrateStore({ postgresUrl: pg.url })
    }
    const db = join(dir, 'gatehouse.db')
    return {
      dir,
      start(key: { env?: string; file?: string }): Promise<RunningServer> {
        const config = resolveServeConfig(
          {
            host: '127.0.0.1',
            port: '0',
            db,
            ...(pg ? { databaseUrl: pg.url } : {}),
            adminKey: ADMIN_KEY,
            rateLimit: 'off',
            logLevel: 'silent',
            demo: false,
            syncScheduler: false,
            allowRemoteHost: ['127.0.0.1'],
            ...(key.file ? { secretKeyFile: key.file } : {}),
          },
          key.env ? { GATEHOUSE_SECRET_KEY: key.env } : {},
        )
        return startServer(config, () => {})
      },
    }
  }

  /** Connects a workspace of the server to its own directory, so the store holds a sealed token. */
  async function connectSelf(server: RunningServer): Promise<void> {
    const admin = new HttpClient(server.url, ADMIN_KEY)
    const created = await admin.post('/admin/workspaces', {
      name: 'Keys',
      slug: `keys-${randomBytes(3).toString('hex')}`,
      ownerEmail: 'o@keys.example',
    })
    const key = (await admin.post('/admin/directory/api-keys', { description: 'keys' })).body.data.secret
    const conn = await new HttpClient(server.url, key).post('/directory/connections', {
      token: created.body.data.token,
      baseUrl: server.url,
    })
    expect(conn.status, conn.text).toBe(201)
  }

  const MISMATCH = /The secret key does not match the key this database was created with/
  const hex = () => randomBytes(32).toString('hex')

  it('refuses to start with another key than the one the store was sealed with, and starts again with the right one', async () => {
    const store = await sharedStore()
    const [keyA, keyB] = [hex(), hex()]
    const first = await store.start({ env: keyA })
    await connectSelf(first)
    const sealed = (await first.store.read((q) => q.connections.list({ direction: 'after', key: null, limit: 1 }))).rows[0]
    await first.stop()
    const refused = store.start({ env: keyB })
    await expect(refused).rejects.toThrow(MISMATCH)
    const message = await refused.catch((e: Error) => e.message)
    expect(message).not.toContain(keyA)
    expect(message).not.toContain(keyB)
    // The refused start closed what it opened: the right key opens the store and its sealed token again.
    const again = await store.start({ env: keyA })
    try {
      expect(again.directory.cipher.open(sealed?.token_ciphertext as string)).toMatch(/^sgp_/)
      expect(openSealed(sealed?.token_ciphertext as string, keyA)).toMatch(/^sgp_/)
    } finally {
      await again.stop()
    }
  })

  it('refuses a replaced key file with the same clear message', async () => {
    const store = await sharedStore()
    const file = join(store.dir, 'custom.key')
    const first = await store.start({ file })
    expect(statSync(file).mode & 0o777).toBe(0o600)
    await connectSelf(first)
    await first.stop()
    const original = readFileSync(file, 'utf8')
    writeFileSync(file, `${hex()}\n`, { mode: 0o600 })
    await expect(store.start({ file })).rejects.toThrow(MISMATCH)
    writeFileSync(file, original, { mode: 0o600 })
    await (await store.start({ file })).stop()
  })

  it('refuses a key file that others can read, naming the fix', async () => {
    const store = await sharedStore()
    const file = join(store.dir, 'loose.key')
    writeFileSync(file, `${hex()}\n`, { mode: 0o600 })
    chmodSync(file, 0o644)
    await expect(store.start({ file })).rejects.toThrow(`Key file ${file} is readable by others; run: chmod 600 ${file}`)
  })

  it('refuses a malformed key, from the file or the environment, without echoing it', async () => {
    const store = await sharedStore()
    for (const content of ['not a key', '', 'abcd'.repeat(15), `${hex()}ff`, 'zz'.repeat(32)]) {
      const file = join(store.dir, 'bad.key')
      writeFileSync(file, content, { mode: 0o600 })
      const message = await store.start({ file }).then(
        (s) => s.stop().then(() => 'started'),
        (e: Error) => e.message,
      )
      expect(message, `key file holding ${JSON.stringify(content)}`).toBe(
        `key file ${file} must hold a 256-bit key: 64 hex characters or 32 bytes in base64`,
      )
    }
    for (const env of ['not-a-key', 'abcd'.repeat(15), `${hex()}ff`]) {
      const message = await store.start({ env }).then(
        (s) => s.stop().then(() => 'started'),
        (e: Error) => e.message,
      )
      expect(message).toBe('GATEHOUSE_SECRET_KEY must hold a 256-bit key: 64 hex characters or 32 bytes in base64')
      expect(message).not.toContain(env)
    }
  })

  it('refuses a missing key file for a sealed store instead of writing a new key', async () => {
    const store = await sharedStore()
    const file = join(store.dir, 'moved.key')
    const first = await store.start({ file })
    await connectSelf(first)
    await first.stop()
    rmSync(file)
    await expect(store.start({ file })).rejects.toThrow(/does not exist/)
    expect(existsSync(file)).toBe(false)
  })
})
