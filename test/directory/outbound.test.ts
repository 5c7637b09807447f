import { mkdtempSync, rmSync } from 'node:fs'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { directoryClient } from '../helpers/directory.js'
import { type Gatehouse, type HttpClient, startGatehouse } from '../helpers/gatehouse.js'
import { createTestSchema, testStore } from '../helpers/postgres.js'

/*
 * The directory's way out, end to end: a directory key holder chooses a connection's base URL, so the server
 * must not become their way into anything else it can reach. Every server here is on 127.0.0.1.
 */

type Handler = (req: IncomingMessage, res: ServerResponse) => void

/** A server on loopback that counts the connections made to it and answers with whatever `handle` says. */
class LoopbackServer {
  connections = 0
  requests: string[] = []
  handle: Handler = (_req, res) => res.writeHead(404).end()
  private readonly server: Server = createServer((req, res) => {
    this.requests.push(`${req.method} ${req.url}`)
    this.handle(req, res)
  })

  port = 0

  async start(): Promise<this> {
    this.server.on('connection', () => this.connections++)
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve))
    this.port = (this.server.address() as { port: number }).port
    return this
  }
  get url(): string {
    return `http://127.0.0.1:${this.port}`
  }
  stop(): Promise<void> {
    this.server.closeAllConnections()
    return new Promise((resolve) => this.server.close(() => resolve()))
  }
}

const WORKSPACE = { data: { workspace: { id: 'ws_remote', slug: 'remote', name: 'Remote' } } }
const json = (res: ServerResponse, status: number, body: unknown) =>
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body))

/** A remote that answers GET / like a Segment workspace and everything else as `rest` says. */
const workspaceThen =
  (rest: Handler): Handler =>
  (req, res) =>
    req.url === '/' ? json(res, 200, WORKSPACE) : rest(req, res)

describe('directory remotes: redirects, the allow-list and the size of answers', () => {
  let gh: Gatehouse
  let api: HttpClient
  let remote: LoopbackServer
  /** Another service on this host that a remote must not be able to reach through Gatehouse. */
  let internal: LoopbackServer

  beforeAll(async () => {
    gh = await startGatehouse() // allows 127.0.0.1, where the remotes of these tests are
    api = await directoryClient(gh)
    remote = await new LoopbackServer().start()
    internal = await new LoopbackServer().start()
    internal.handle = (_req, res) => json(res, 200, { secret: 'internal only' })
  })
  afterAll(async () => {
    await gh?.stop()
    await remote?.stop()
    await internal?.stop()
  })
  afterEach(async () => {
    remote.handle = workspaceThen((_req, res) => res.writeHead(404).end())
    await api.delete(`/directory/connections/${await connectionId()}`)
  })

  async function connectionId(): Promise<string> {
    const list = await api.get('/directory/connections')
    return list.body.result.find((c: { base_url: string }) => c.base_url === remote.url)?.id ?? 'none'
  }

  async function connectRemote(): Promise<string> {
    const created = await api.post('/directory/connections', { token: 'sgp_remote', baseUrl: remote.url, name: 'loopback' })
    expect(created.status, created.text).toBe(201)
    return created.body.id
  }

  it('never follows a redirect: the proxy answers the 3xx itself and the service it points at sees nothing', async () => {
    remote.handle = workspaceThen((req, res) =>
      res.writeHead(req.method === 'GET' ? 302 : 307, { location: `${internal.url}/secret` }).end(),
    )
    const id = await connectRemote()
    const read = await api.get(`/directory/connections/${id}/proxy/users`)
    expect(read.status).toBe(302)
    expect(read.text).not.toContain('internal only')
    // A 307 would have replayed the POST and its body to the other service.
    const write = await api.post(`/directory/connections/${id}/proxy/invites`, { invites: [{ email: 'x@example.com' }] })
    expect(write.status).toBe(307)
    expect(internal.connections).toBe(0)
    expect(remote.requests).toContain('POST /invites')
  })

  it('does not follow a redirect when checking a token either: a remote that redirects GET / is not a workspace', async () => {
    remote.handle = (_req, res) => res.writeHead(301, { location: `${internal.url}/` }).end()
    internal.handle = (_req, res) => json(res, 200, WORKSPACE)
    try {
      const res = await api.post('/directory/connections', { token: 'sgp_remote', baseUrl: remote.url })
      expect(res.status).toBe(422)
      expect(res.body.errors[0].message).toBe(`The remote at ${remote.url} answered 301 to GET /: is it a Segment Public API base URL?`)
      expect(internal.connections).toBe(0)
    } finally {
      internal.handle = (_req, res) => json(res, 200, { secret: 'internal only' })
    }
  })

  it('cuts off an answer larger than the limit: 502, and the remote stops sending long before its end', async () => {
    const megabyte = Buffer.alloc(1024 * 1024, 'x')
    let sent = 0
    let endedEarly = false
    // 200 MB without a length, written as fast as it is read; it stops by itself.
    remote.handle = workspaceThen((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' })
      res.on('close', () => {
        endedEarly = sent < 200
      })
      const pump = () => {
        while (sent < 200) {
          sent++
          if (!res.write(megabyte)) return void res.once('drain', pump)
        }
        res.end()
      }
      pump()
    })
    const id = await connectRemote()
    const res = await api.get(`/directory/connections/${id}/proxy/users`)
    expect(res.status).toBe(502)
    expect(res.body.errors).toEqual([
      {
        type: 'bad-gateway',
        status: 502,
        message: `The remote at ${remote.url} answered with more than 10485760 bytes; nothing of it is passed on`,
      },
    ])
    await expect.poll(() => endedEarly).toBe(true)
    expect(sent).toBeLessThan(40)
    // A declared length over the limit is refused before the body is read at all.
    remote.handle = workspaceThen((_req, res) => res.writeHead(200, { 'content-length': String(11 * 1024 * 1024) }).end())
    expect((await api.get(`/directory/connections/${id}/proxy/users`)).status).toBe(502)
    // A sync whose list page is too large fails with that reason, and changes nothing.
    const run = await api.post(`/directory/connections/${id}/sync`)
    expect(run.status).toBe(202)
    await expect.poll(async () => (await api.get(`/directory/sync-runs/${run.body.id}`)).body.state, { timeout: 10_000 }).toBe('failed')
    expect((await api.get(`/directory/sync-runs/${run.body.id}`)).body.error).toMatch(/larger than 10485760 bytes/)
    expect((await api.get(`/directory/connections/${id}`)).body).toMatchObject({ status: 'error' })
  })

  it('keeps no rate budget for base URLs that were only tried, and drops a connection’s budget with it', async () => {
    const budgets = gh.server.directory.budgets
    const before = budgets.size
    for (let i = 0; i < 20; i++) await api.post('/directory/connections', { token: 'sgp_x', baseUrl: `${internal.url}/try-${i}` })
    expect(budgets.size).toBe(before)
    const id = await connectRemote()
    remote.handle = workspaceThen((_req, res) => json(res, 200, { data: { users: [] } }))
    expect((await api.get(`/directory/connections/${id}/proxy/users`)).status).toBe(200)
    expect(budgets.size).toBe(before + 1)
    expect((await api.delete(`/directory/connections/${id}`)).status).toBe(200)
    expect(budgets.size).toBe(before)
  })
})

describe('directory remotes on a server that allows only Segment', () => {
  let gh: Gatehouse
  let api: HttpClient
  const servers: LoopbackServer[] = []

  beforeAll(async () => {
    gh = await startGatehouse({ allowRemoteHosts: [] })
    api = await directoryClient(gh)
  })
  afterAll(async () => {
    await gh?.stop()
    await Promise.all(servers.map((s) => s.stop()))
  })

  it('gives one answer for every loopback target, open, closed or workspace-like, before any connection (no port scanning)', async () => {
    const workspaceLike = await new LoopbackServer().start()
    workspaceLike.handle = (_req, res) => json(res, 200, WORKSPACE)
    const notFound = await new LoopbackServer().start()
    const closed = await new LoopbackServer().start()
    await closed.stop()
    servers.push(workspaceLike, notFound)
    const targets = [workspaceLike, notFound, closed].flatMap((s) => [
      `http://127.0.0.1:${s.port}`,
      `http://2130706433:${s.port}`,
      `http://0x7f.1:${s.port}`,
      `http://[::1]:${s.port}`,
      `http://0.0.0.0:${s.port}`,
      `http://localhost:${s.port}`,
    ])
    const answers = new Set<string>()
    for (const baseUrl of targets) {
      const res = await api.post('/directory/connections', { token: 'sgp_probe', baseUrl })
      expect(res.status, baseUrl).toBe(422)
      expect(res.body.errors[0].field).toBe('baseUrl')
      // The answer names the host it was given, and nothing about what is there.
      answers.add(res.body.errors[0].message.replace(/^Remote host \S+ is not allowed/, 'Remote host H is not allowed'))
    }
    expect([...answers]).toEqual([
      "Remote host H is not allowed: Gatehouse connects only to Segment's API hosts and hosts its operator allows (--allow-remote-host)",
    ])
    expect(workspaceLike.connections + notFound.connections).toBe(0)
  })
})

describe('stored connections on a host the allow-list no longer names', () => {
  it('are in status error with the reason after a restart, send nothing, and come back when allowed again', async () => {
    const remote = await new LoopbackServer().start()
    remote.handle = workspaceThen((_req, res) => json(res, 200, { data: { users: [] } }))
    // Three starts on one store: the SQLite file (and the key beside it), or one PostgreSQL schema.
    const dir = mkdtempSync(join(tmpdir(), 'gatehouse-allow-'))
    const schema = testStore() === 'postgres' ? await createTestSchema() : undefined
    const store = { dbFile: join(dir, 'gatehouse.db'), ...(schema ? { databaseUrl: schema.url } : {}) }
    let gh = await startGatehouse(store)
    try {
      let api = await directoryClient(gh)
      const created = await api.post('/directory/connections', { token: 'sgp_remote', baseUrl: remote.url })
      expect(created.status).toBe(201)
      const id = created.body.id
      await gh.server.stop()

      gh = await startGatehouse({ ...store, allowRemoteHosts: [] })
      api = await directoryClient(gh)
      const connection = (await api.get(`/directory/connections/${id}`)).body
      expect(connection.status).toBe('error')
      expect(connection.status_detail).toBe(
        `Remote host 127.0.0.1:${remote.port} is not allowed: Gatehouse connects only to Segment's API hosts and hosts its operator allows (--allow-remote-host)`,
      )
      const seen = remote.connections
      const proxied = await api.get(`/directory/connections/${id}/proxy/users`)
      expect(proxied.status).toBe(409)
      expect(proxied.body.errors[0].message).toContain('is not allowed')
      const sync = await api.post(`/directory/connections/${id}/sync`)
      expect(sync.status).toBe(409)
      expect(sync.body.errors[0].message).toContain('cannot sync: Remote host')
      expect(remote.connections).toBe(seen)
      await gh.server.stop()

      gh = await startGatehouse(store)
      api = await directoryClient(gh)
      expect((await api.get(`/directory/connections/${id}`)).body).toMatchObject({ status: 'active', status_detail: null })
      expect((await api.get(`/directory/connections/${id}/proxy/users`)).status).toBe(200)
    } finally {
      await gh.stop()
      await remote.stop()
      await schema?.drop()
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
