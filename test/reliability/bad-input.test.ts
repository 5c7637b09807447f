import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Browser, GOOD_PASSWORD, lastMail, storeSql } from '../accounts/support.js'
import { directoryClient } from '../helpers/directory.js'
import { ADMIN_KEY, type Gatehouse, type HttpClient, type SeededWorkspace, startGatehouse } from '../helpers/gatehouse.js'
import {
  AnswerLog,
  anyJson,
  anyString,
  brokenJson,
  deepJson,
  type Exchange,
  encodeAny,
  expectWellFormed,
  fcParams,
  fuzzRuns,
  type JsonSchema,
  nastyString,
  type Operation,
  type Overrides,
  publishedOperations,
  rawExchange,
  rawRequest,
  type StoreDumper,
  storeDumper,
  valueFor,
} from './support.js'

/*
 * Generated requests against every route the server publishes (read from /openapi.json at run time, so
 * new routes are fuzzed too), the operator API and the directory API. Properties: never a 5xx; every error
 * is the envelope with a 4xx equal to the HTTP status; a rejected request leaves the store byte-for-byte as
 * it was; the server keeps answering /healthz. FUZZ_RUNS=<n> runs each property n times (FUZZ_SEED replays).
 */

const OWNER_ROLE = '1WDUuRLxv84rrfCNUwvkrRtkxnS'
const SOURCE_ADMIN = '2Gh0wIFcqhZ8T8NVOGE5k4dKcXr'

interface Req {
  method: string
  path: string
  headers: [string, string][]
  body?: string | undefined
}

type Kind = 'public' | 'admin' | 'directory' | 'console'

const kindOf = (path: string): Kind =>
  path.startsWith('/admin') ? 'admin' : path.startsWith('/directory') ? 'directory' : path.startsWith('/console/api') ? 'console' : 'public'

/**
 * Tables a refused console request may change by design: the security log records refusals (a failed sign-in, a
 * wrong code), a session notes it was seen (once a minute), an emailed code counts wrong attempts.
 */
const CONSOLE_BOOKKEEPING = ['account_events', 'account_sessions', 'account_codes']

/** Console requests that would end the fuzzer's own session (the rest of the run would only meet 401s): sent as GETs. */
const ENDS_THE_SESSION = /^(DELETE \/console\/api\/session|POST \/console\/api\/account\/sessions\/revoke-all)$/
const keepingTheSession = (method: string, path: string) => (ENDS_THE_SESSION.test(`${method} ${path}`) ? 'GET' : method)

describe('bad input', () => {
  let gh: Gatehouse
  let dumper: StoreDumper
  let dir: HttpClient
  let a: SeededWorkspace
  let b: SeededWorkspace
  let team: SeededWorkspace
  let memberToken: string
  let ops: Operation[]
  /** Real ids and names to put in paths and bodies, so requests reach past the 404s. */
  const pool: Record<string, string[]> = {}
  const answers = new AnswerLog()
  let current = ''
  /** How often each status came back: shows the generators get past authentication and validation. */
  const statuses = new Map<number, number>()
  let sent = 0
  /** The console session the console routes are fuzzed with: workspace A's owner, signed in with a password. */
  const person = { cookie: '', csrf: '' }

  beforeAll(async () => {
    gh = await startGatehouse()
    dumper = storeDumper(gh)
    dir = await directoryClient(gh)
    ;[a, b, team] = [await gh.workspace(), await gh.workspace(), await gh.workspace({ plan: 'team' })]
    const users = await gh.addUsers(a, ['ann@fuzz.example', 'bob@fuzz.example', 'cy@fuzz.example'])
    const usersB = await gh.addUsers(b, ['dee@fuzz.example', 'eve@fuzz.example'])
    const ok = async (p: Promise<{ status: number; text: string; body: any }>) => {
      const r = await p
      if (r.status >= 300) throw new Error(`seeding failed: ${r.status} ${r.text}`)
      return r.body
    }
    await ok(a.http.post('/invites', { invites: [{ email: 'ivy@fuzz.example', permissions: [{ roleId: OWNER_ROLE }] }] }))
    await ok(a.http.post('/labels', { label: { key: 'team', value: 'core' } }))
    const groupA = (await ok(a.http.post('/groups', { name: 'ops' }))).data.userGroup.id
    await ok(a.http.post(`/groups/${groupA}/users`, { emails: ['ann@fuzz.example', 'ivy@fuzz.example'] }))
    await ok(
      a.http.post(`/users/${users[1]?.id}/permissions`, {
        permissions: [{ roleId: SOURCE_ADMIN, resources: [{ id: a.id, type: 'WORKSPACE', labels: [{ key: 'team', value: 'core' }] }] }],
      }),
    )
    const groupB = (await ok(b.http.post('/groups', { name: 'ops' }))).data.userGroup.id
    await ok(b.http.post(`/groups/${groupB}/users`, { emails: ['dee@fuzz.example'] }))
    memberToken = (await ok(gh.admin.post(`/admin/workspaces/${a.id}/tokens`, { description: 'member', role: 'MEMBER' }))).data.secret
    const spare = (await ok(gh.admin.post(`/admin/workspaces/${a.id}/tokens`, { description: 'spare' }))).data.token.id
    // The directory: workspace B connected (the same server plays the remote) and synced.
    const connection = await ok(dir.post('/directory/connections', { token: b.token, baseUrl: gh.url, name: 'fuzz-b' }))
    const run = await ok(dir.post(`/directory/connections/${connection.id}/sync`))
    await waitForRun(run.id)
    const dirUsers = (await ok(dir.get('/directory/users'))).result
    const dirGroups = (await ok(dir.get('/directory/groups'))).result
    const dirRoles = (await ok(dir.get('/directory/roles?limit=3'))).result

    Object.assign(pool, {
      userId: [...users, ...usersB].map((u) => u.id).concat(a.owner.id),
      userGroupId: [groupA, groupB],
      key: ['environment', 'team'],
      value: ['dev', 'prod', 'core'],
      workspaceId: [a.id, a.slug, b.id],
      tokenId: [spare],
      faultId: [],
      id: [connection.id, run.id, ...dirUsers.map((u: any) => u.id), ...dirGroups.map((g: any) => g.id), ...dirRoles.map((r: any) => r.id)],
      email: ['dee@fuzz.example', 'eve@fuzz.example', 'ann@fuzz.example'],
      connection_id: [connection.id],
      user_id: dirUsers.map((u: any) => u.id),
      group_ids: dirGroups.map((g: any) => g.id),
    })
    // Cursors the server issued, for other lists than the one they page: a 422, never a wrong page or a 500.
    const cursors: string[] = []
    for (const path of ['/users', '/groups', '/invites', '/roles', '/audit-events'])
      for (const [k, v] of Object.entries((await ok(a.http.get(`${path}?pagination.count=1`))).data.pagination))
        if (typeof v === 'string' && k !== 'totalEntries') cursors.push(v)
    for (const path of ['/directory/users', '/directory/groups', '/directory/roles', '/directory/people', '/directory/sync-runs'])
      cursors.push((await ok(dir.get(`${path}?limit=1`))).next_cursor ?? 'none')
    pool.cursor = cursors
    await signInToConsole()
    ops = await publishedOperations(gh.url)
    // Routes the document hides: they get bad input too.
    const hidden: Operation[] = [
      { method: 'GET', path: '/healthz', pathParams: [], query: [], body: undefined },
      { method: 'GET', path: '/readyz', pathParams: [], query: [], body: undefined },
      { method: 'GET', path: '/openapi.json', pathParams: [], query: [], body: undefined },
      { method: 'POST', path: '/directory/connections/{id}/proxy/{rest}', pathParams: ['id', 'rest'], query: [], body: { type: 'object' } },
      { method: 'GET', path: '/{unknown}', pathParams: ['unknown'], query: [], body: undefined },
    ]
    ops.push(...hidden)
    current = await dumper.dump()
  })

  afterAll(async () => {
    await dumper?.close()
    await gh?.stop()
  })

  /** A's owner chooses a password through a mailed link, which signs them in. */
  async function signInToConsole(): Promise<void> {
    const browser = new Browser(gh.url)
    const sql = storeSql(gh)
    expect((await browser.post('/console/api/password-resets', { email: a.owner.email })).status).toBe(202)
    const token = (await lastMail(gh, sql, a.owner.email)).token
    sql.close()
    const set = await browser.post(`/console/api/links/${token}/password`, { password: GOOD_PASSWORD })
    expect(set.status, set.text).toBe(200)
    person.cookie = browser.cookie as string
    person.csrf = browser.csrf as string
  }

  async function waitForRun(id: string): Promise<void> {
    for (let i = 0; i < 400; i++) {
      const res = await dir.get(`/directory/sync-runs/${id}`)
      if (res.status !== 200 || res.body.state !== 'running') return
      await new Promise((r) => setTimeout(r, 25))
    }
    throw new Error(`sync run ${id} never finished`)
  }

  /* -------------------------------------------------------------------------------------------------- */

  const secretFor = (kind: Kind) => (kind === 'admin' ? ADMIN_KEY : kind === 'directory' ? dir.token : a.token) as string

  /** The console's session cookie and CSRF token: right most of the time, else missing or forged. */
  const sessionHeaders: fc.Arbitrary<(string | undefined)[]> = fc.tuple(
    fc.oneof({ weight: 12, arbitrary: fc.constant('session') }, { weight: 1, arbitrary: fc.constantFrom(undefined, 'forged') }),
    fc.oneof({ weight: 10, arbitrary: fc.constant('csrf') }, { weight: 1, arbitrary: fc.constantFrom(undefined, 'forged') }),
  )

  const authorization = (kind: Kind): fc.Arbitrary<string | undefined> =>
    fc.oneof(
      { weight: kind === 'console' ? 0 : 12, arbitrary: fc.constant(`Bearer ${secretFor(kind)}`) },
      { weight: kind === 'console' ? 12 : 0, arbitrary: fc.constant(undefined) },
      {
        weight: 1,
        arbitrary: fc.constantFrom(
          undefined,
          'Bearer',
          'Bearer ',
          'Bearer  ',
          `bearer ${secretFor(kind)}`,
          `Bearer ${secretFor(kind)}   `,
          `Bearer ${secretFor(kind)}x`,
          `Bearer ${secretFor(kind).slice(0, -1)}`,
          `Basic ${Buffer.from(`user:${secretFor(kind)}`).toString('base64')}`,
          `Token ${secretFor(kind)}`,
          `Bearer ${memberToken}`,
          `Bearer ${team.token}`,
          `Bearer ${b.token}`,
          `Bearer ${ADMIN_KEY}`,
          `Bearer ${dir.token}`,
          `Bearer ${a.token}`,
          `Bearer ${'x'.repeat(513)}`,
          `Bearer ${'y'.repeat(20_000)}`,
          'Bearer sgp_',
          'Bearer ghk_',
          'Bearer a b c',
          'Bearer %00',
        ),
      },
      { weight: 1, arbitrary: fc.string({ maxLength: 60 }).map((s) => `Bearer ${s.replace(/[^\x20-\x7e]/g, '')}`) },
    )

  const contentType = fc.oneof(
    { weight: 10, arbitrary: fc.constant('application/json') },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        undefined,
        'application/json; charset=utf-8',
        'application/json; charset=utf-16',
        'application/json; charset=latin1',
        'APPLICATION/JSON',
        'application/vnd.segment.v1+json',
        'application/vnd.segment.v1alpha+json',
        'application/vnd.segment.v1beta+json; charset=utf-8',
        'application/json-patch+json',
        'text/plain',
        'text/json',
        'application/x-www-form-urlencoded',
        'multipart/form-data; boundary=xyz',
        'application/octet-stream',
        'application/xml',
        '*/*',
        'application/',
        ';;;',
        'application/json;;;charset',
        '',
      ),
    },
  )

  /** A path segment: a real id most of the time, else something hostile (raw, so percent-garbage stays garbage). */
  const segment = (param: string): fc.Arbitrary<string> =>
    fc.oneof(
      { weight: (pool[param]?.length ?? 0) > 0 ? 6 : 0, arbitrary: fc.constantFrom(...(pool[param]?.length ? pool[param] : ['x'])) },
      { weight: 2, arbitrary: anyString.map((s) => encodeAny(s)) },
      {
        weight: 2,
        arbitrary: fc.constantFrom(
          '..',
          '.',
          '%2e%2e',
          '%00',
          'a%00b',
          '%2F',
          '%',
          '%zz',
          '%E0%A4%A',
          '%ED%A0%80',
          '%C0%AF',
          '%FF',
          '%u0041',
          'a'.repeat(255),
          'a'.repeat(256),
          'a'.repeat(1000),
          'a'.repeat(1001),
          'a'.repeat(5000),
          encodeAny('é'.repeat(300)),
          encodeAny('👩‍👩‍👧‍👦'),
          '__proto__',
          'constructor',
          '0',
          '-1',
          'null',
          '*',
          '~',
          ';',
          '%3Cscript%3E',
        ),
      },
    )

  /** A query value in every encoding form clients use, plus percent-garbage. */
  function encodeQuery(value: Record<string, unknown>, form: number): string[] {
    const parts: string[] = []
    const enc = (s: string) => encodeAny(s)
    const put = (path: string[], v: unknown) => {
      if (Array.isArray(v)) {
        v.forEach((item, i) => {
          const mode = form % 4
          if (mode === 0) put([...path, String(i)], item)
          else if (mode === 1) put([...path, ''], item)
          else if (mode === 2)
            put(path, item) // repeated key
          else put([...path, String(i)], item)
        })
        return
      }
      if (v !== null && typeof v === 'object') {
        for (const [k, x] of Object.entries(v)) put([...path, k], x)
        return
      }
      const [head, ...rest] = path.map(enc) as [string, ...string[]]
      const key =
        form % 3 === 0
          ? `${head}${rest.map((r) => `[${r}]`).join('')}`
          : form % 3 === 1
            ? [head, ...rest].filter((r) => r !== '').join('.') + (rest.at(-1) === '' ? '[]' : '')
            : `${head}${rest.map((r) => `%5B${r}%5D`).join('')}`
      const text = typeof v === 'string' ? v : JSON.stringify(v ?? null)
      parts.push(`${key}=${enc(text)}`)
    }
    for (const [k, v] of Object.entries(value)) put([k], v)
    return parts
  }

  const garbageQuery = fc.constantFrom(
    '%',
    '%zz=1',
    'a=%',
    'a=%E0%A4%A',
    '&&&',
    '=',
    '==&==',
    'a[=1',
    'a]=1',
    'a[b=1',
    'a[]]=1',
    '[]=1',
    '.=1',
    'a..b=1',
    'a.=1',
    'a[b][c][d][e][f][g]=1',
    '__proto__[x]=1',
    'constructor[prototype][x]=1',
    'pagination[__proto__]=1',
    'pagination[count]=1&pagination[count]=2',
    'pagination=1&pagination[count]=2',
    'pagination[count]=1&pagination=2',
    'pagination.count=1e3',
    'pagination.count=0x10',
    'pagination.count=%201',
    `pagination[cursor]=${'A'.repeat(3000)}`,
    'pagination[cursor]=eyJsIjoidXNlcnMifQ.AAAAAAAAAAAAAAAAAAAAAA',
    'userIds[999999]=a',
    'userIds[1000000]=a',
    'userIds[-1]=a',
    'emails[]=&emails[]=',
    `emails=${'a'.repeat(100_000)}`,
    Array.from({ length: 6000 }, (_, i) => `p${i}=1`).join('&'),
    Array.from({ length: 1001 }, (_, i) => `userIds[${i}]=x${i}`).join('&'),
    'limit=1&limit=2',
    'limit=-1',
    'limit=1.5',
    'after=99999999999999999999',
    'cursor=%00',
  )

  const queryFor = (op: Operation): fc.Arbitrary<string> => {
    const known =
      op.query.length === 0
        ? fc.constant<string[]>([])
        : fc
            .tuple(
              fc.record(Object.fromEntries(op.query.map((q) => [q.name, valueFor(q.schema, overrides)])), { requiredKeys: [] }),
              fc.nat(11),
            )
            .map(([v, form]) => encodeQuery(v as Record<string, unknown>, form))
    const extra = fc.array(
      fc.oneof(
        garbageQuery,
        fc.tuple(fc.oneof(fc.string({ maxLength: 12 }), nastyString), anyString).map(([k, v]) => `${encodeAny(k)}=${encodeAny(v)}`),
      ),
      { maxLength: 2 },
    )
    return fc.tuple(known, extra, fc.boolean()).map(([k, e, shuffle]) => {
      const parts = [...k, ...e]
      if (shuffle) parts.reverse()
      return parts.length === 0 ? '' : `?${parts.join('&')}`
    })
  }

  /** Keeps the directory off the network: a connection's base URL is always this server or refused before any call. */
  const overrides: Overrides = { values: {}, always: new Set(['baseUrl']) }
  const safeOverrides = () => {
    const values = overrides.values
    values.baseUrl = fc.constantFrom(
      gh.url,
      `${gh.url}/`,
      `${gh.url}/nothing`,
      'ftp://127.0.0.1',
      'http://u:p@127.0.0.1:1',
      `${gh.url}?x=1`,
      'not a url',
    )
    for (const name of ['connection_id', 'user_id'] as const)
      values[name] = fc.oneof(fc.constantFrom(...(pool[name]?.length ? pool[name] : ['x'])), anyString)
    values.cursor = fc.oneof(fc.constantFrom(...(pool.cursor?.length ? pool.cursor : ['x'])), anyString)
    values.group_ids = fc.array(fc.oneof(fc.constantFrom(...(pool.group_ids?.length ? pool.group_ids : ['x'])), anyString), {
      maxLength: 3,
    })
  }

  const bodyFor = (op: Operation): fc.Arbitrary<string | undefined> => {
    const valid = op.body ? valueFor(op.body as JsonSchema, overrides) : anyJson
    const mutated = fc.tuple(valid, anyJson, fc.nat()).map(([v, r, n]) => replaceAt(v, n, r))
    return fc.oneof(
      { weight: op.body ? 8 : 1, arbitrary: valid.map((v) => JSON.stringify(v)) },
      { weight: 3, arbitrary: mutated.map((v) => JSON.stringify(v)) },
      { weight: 2, arbitrary: anyJson.map((v) => JSON.stringify(v)) },
      { weight: op.body ? 1 : 4, arbitrary: fc.constant(undefined) },
      { weight: 1, arbitrary: brokenJson },
      { weight: 1, arbitrary: deepJson },
      { weight: 1, arbitrary: fc.constantFrom(900_000, 1_048_576, 2_000_000).map((n) => JSON.stringify({ name: 'x'.repeat(n) })) },
      { weight: 1, arbitrary: fc.constant(JSON.stringify({ emails: Array.from({ length: 1001 }, (_, i) => `u${i}@fuzz.example`) })) },
    )
  }

  const requestFor = (op: Operation): fc.Arbitrary<Req> => {
    const kind = kindOf(op.path)
    return fc
      .record({
        method: fc.oneof(
          { weight: 12, arbitrary: fc.constant(op.method) },
          { weight: 2, arbitrary: fc.constantFrom('GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE') },
          { weight: 1, arbitrary: fc.constantFrom('OPTIONS', 'TRACE', 'PROPFIND', 'SEARCH', 'PURGE') },
        ),
        segments: fc.tuple(...op.pathParams.map((p) => segment(p))),
        query: queryFor(op),
        body: bodyFor(op),
        auth: authorization(kind),
        session: kind === 'console' ? sessionHeaders : fc.constant([undefined, undefined]),
        // Now and then a second Authorization header (Node keeps the first of duplicates).
        secondAuth: fc.oneof({ weight: 9, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: authorization(kind) }),
        contentType,
        extra: fc.oneof(
          { weight: 4, arbitrary: fc.constant<[string, string][]>([]) },
          {
            weight: 1,
            arbitrary: fc.array(
              fc.constantFrom<[string, string]>(
                ['idempotency-key', 'fuzz-key'],
                ['idempotency-key', 'x'.repeat(300)],
                ['accept', 'text/html'],
                ['accept-encoding', 'gzip, br'],
                ['x-forwarded-for', '10.0.0.1'],
                ['x-http-method-override', 'DELETE'],
                ['expect', '100-continue'],
                ['expect', 'teapot'],
                ['upgrade', 'websocket'],
                ['connection', 'close'],
                ['cookie', 'a=b'],
              ),
              { minLength: 1, maxLength: 2 },
            ),
          },
        ),
      })
      .map(({ method, segments, query, body, auth, session: [cookie, csrf], secondAuth, contentType: ct, extra }) => {
        let i = 0
        const path = op.path.replace(/\{[^}]+\}/g, () => segments[i++] ?? '')
        const headers: [string, string][] = [...extra]
        if (cookie !== undefined) headers.push(['cookie', `gatehouse_session=${cookie === 'session' ? person.cookie : 'forged-session'}`])
        if (csrf !== undefined) headers.push(['x-csrf-token', csrf === 'csrf' ? person.csrf : 'forged-token'])
        if (auth !== undefined) headers.push(['authorization', auth])
        if (secondAuth !== undefined) headers.push(['authorization', secondAuth])
        if (body !== undefined && ct !== undefined) headers.push(['content-type', ct])
        return { method: keepingTheSession(method, path), path: path + query, headers, body }
      })
  }

  function show(req: Req): string {
    const body = req.body === undefined ? '' : ` body(${req.body.length})=${req.body.slice(0, 200)}`
    const headers = req.headers.map(([k, v]) => `${k}: ${v.length > 80 ? `${v.slice(0, 80)}…(${v.length})` : v}`).join('; ')
    return `${req.method} ${req.path.length > 300 ? `${req.path.slice(0, 300)}…(${req.path.length})` : req.path} [${headers}]${body}`
  }

  /** Sends one request and holds the server to the properties. */
  async function judge(req: Req): Promise<void> {
    const what = show(req)
    const res = await rawRequest(gh.url, {
      method: req.method,
      path: req.path,
      headers: req.headers,
      ...(req.body === undefined ? {} : { body: req.body }),
    })
    answers.record(what, res.text, res.headers)
    statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1)
    const x: Exchange = { what, status: res.status, text: res.text, method: req.method }
    expectWellFormed(x)
    await settle(req, res.status, res.text)
    const after = await dumper.dump()
    const isConsole = kindOf(req.path) === 'console'
    if (res.status >= 400) expectSameStore(current, after, what, res.status, isConsole ? CONSOLE_BOOKKEEPING : [])
    current = after
    if (++sent % 25 === 0) await expectHealthy()
  }

  /** Background work a successful request started finishes before the next dump; test-only faults are cleared. */
  async function settle(req: Req, status: number, text: string): Promise<void> {
    if (status >= 300) return
    const path = req.path.split('?')[0] as string
    if (req.method === 'POST' && /\/sync\/?$/.test(path)) await waitForRun(JSON.parse(text).id)
    if (req.method === 'POST' && path.startsWith('/admin/faults')) expect((await gh.admin.delete('/admin/faults')).status).toBe(200)
  }

  async function expectHealthy(): Promise<void> {
    const res = await fetch(`${gh.url}/healthz`)
    expect(res.status).toBe(200)
  }

  const opsOf = (kind: Kind) => ops.filter((op) => kindOf(op.path) === kind)

  async function fuzz(kind: Kind, runs: number): Promise<void> {
    safeOverrides()
    const candidates = opsOf(kind)
    expect(candidates.length).toBeGreaterThan(kind === 'admin' ? 5 : 10)
    statuses.clear()
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...candidates).chain((op) => requestFor(op)),
        async (req) => judge(req),
      ),
      fcParams(runs),
    )
    await expectHealthy()
    console.info(
      `bad input, ${kind}: ${runs} requests, statuses ${JSON.stringify(Object.fromEntries([...statuses].sort((x, y) => x[0] - y[0])))}`,
    )
  }

  it('answers generated Public API requests below 500, in the envelope, and a rejected one changes nothing', {
    timeout: 240_000,
  }, async () => {
    await fuzz('public', fuzzRuns(300))
  })

  it('answers generated console API requests below 500, in the envelope, and a rejected one changes nothing', {
    timeout: 240_000,
  }, async () => {
    await fuzz('console', fuzzRuns(250))
  })

  it('answers generated operator API requests below 500, in the envelope, and a rejected one changes nothing', {
    timeout: 240_000,
  }, async () => {
    await fuzz('admin', fuzzRuns(150))
  })

  it('answers generated directory API requests below 500, in the envelope, and a rejected one changes nothing', {
    timeout: 240_000,
  }, async () => {
    await fuzz('directory', fuzzRuns(200))
  })

  it('answers malformed HTTP (duplicated or garbage Authorization, wrong Content-Length, bad request lines) without a 5xx and stays up', {
    timeout: 240_000,
  }, async () => {
    const authLine = fc.oneof(
      fc.constantFrom(
        `Bearer ${a.token}`,
        `Bearer ${ADMIN_KEY}`,
        `Bearer ${dir.token}`,
        'Bearer',
        'Bearer \u00e9\u00e9',
        'Bearer \u0001\u0002',
        `Bearer ${a.token}\u0000`,
        `Bearer ${'z'.repeat(300_000)}`,
      ),
      fc.string({ unit: 'binary', maxLength: 40 }).map((s) => `Bearer ${s.replace(/[\r\n]/g, '')}`),
    )
    const arb = fc.record({
      method: fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'get', 'BREW', 'G\u00c9T', ''),
      path: fc.constantFrom(
        '/users',
        '/groups',
        '/invites',
        '/labels',
        '/admin/workspaces',
        '/admin/directory/api-keys',
        '/directory/connections',
        '/directory/actions/offboard',
        '/healthz',
        '/users/caf\u00e9',
        '/users/a b',
        '/users/%',
        '*',
        'users',
        'http://evil.example/users',
        '//users',
        `/users/${'a'.repeat(2000)}`,
        '/users?pagination[count]=%',
      ),
      version: fc.constantFrom('HTTP/1.1', 'HTTP/1.1', 'HTTP/1.0', 'HTTP/2.0', 'HTTP/1.1 x', 'HTTP/9.9', 'FOO'),
      host: fc.boolean(),
      auth: fc.array(authLine, { maxLength: 3 }),
      contentType: fc.option(fc.constantFrom('application/json', 'text/plain', 'application/json; charset=utf-16', '\u00ff/\u00ff', ''), {
        nil: undefined,
      }),
      body: fc.option(
        fc.oneof(
          fc.constantFrom('{"name":"raw"}', '{"emails":["a@b.co"]}', '{"description":"raw key"}', '{'),
          anyJson.map((v) => JSON.stringify(v) ?? ''),
        ),
        {
          nil: undefined,
        },
      ),
      length: fc.constantFrom(
        'exact',
        'exact',
        'short',
        'long',
        'none',
        'negative',
        'garbage',
        'double',
        'chunked+length',
        'bad-chunk',
        'huge',
      ),
      extra: fc.array(
        fc.constantFrom(
          'X-No-Colon',
          ' folded: continuation',
          `X-Long: ${'h'.repeat(70_000)}`,
          'Content-Type: application/json',
          'Transfer-Encoding: gzip',
          'Expect: 100-continue',
          'Expect: teapot',
          'Connection: Upgrade\r\nUpgrade: websocket',
          'Connection: keep-alive',
          'X-Nul: a\u0000b',
        ),
        { maxLength: 2 },
      ),
    })
    await fc.assert(
      fc.asyncProperty(arb, async (r) => {
        const body = Buffer.from(r.body ?? '', 'utf8')
        const lines = [`${r.method} ${r.path} ${r.version}`]
        if (r.host) lines.push('Host: 127.0.0.1')
        for (const auth of r.auth) lines.push(`Authorization: ${auth}`)
        if (r.contentType !== undefined) lines.push(`Content-Type: ${r.contentType}`)
        let payload: Buffer = body
        switch (r.length) {
          case 'exact':
            lines.push(`Content-Length: ${body.length}`)
            break
          case 'short':
            lines.push(`Content-Length: ${Math.max(0, body.length - 3)}`)
            break
          case 'long':
            lines.push(`Content-Length: ${body.length + 10}`)
            break
          case 'negative':
            lines.push('Content-Length: -1')
            break
          case 'garbage':
            lines.push('Content-Length: abc')
            break
          case 'double':
            lines.push(`Content-Length: ${body.length}`, `Content-Length: ${body.length + 1}`)
            break
          case 'chunked+length':
            lines.push('Transfer-Encoding: chunked', `Content-Length: ${body.length}`)
            payload = Buffer.concat([Buffer.from(`${body.length.toString(16)}\r\n`), body, Buffer.from('\r\n0\r\n\r\n')])
            break
          case 'bad-chunk':
            lines.push('Transfer-Encoding: chunked')
            payload = Buffer.concat([Buffer.from('zz\r\n'), body, Buffer.from('\r\n0\r\n\r\n')])
            break
          case 'huge':
            lines.push('Content-Length: 99999999999999999999')
            break
        }
        lines.push(...r.extra)
        const bytes = Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'utf8'), payload])
        const what = `raw ${r.method} ${r.path} ${r.version} auth×${r.auth.length} ${r.length} ${r.extra.map((e) => e.slice(0, 20)).join(',')}`
        const { responses, raw } = await rawExchange(gh.url, bytes)
        answers.record(what, raw)
        for (const res of responses) expectWellFormed({ what, status: res.status, text: res.text, method: r.method })
        const after = await dumper.dump()
        if (responses.every((res) => res.status >= 400)) expectSameStore(current, after, what, responses.map((x) => x.status).join(','))
        current = after
        await expectHealthy()
      }),
      fcParams(fuzzRuns(200)),
    )
  })

  it('never answered a secret to any of these requests', () => {
    expect(answers.answers.length).toBeGreaterThan(100)
    answers.expectNoSecrets({
      'workspace token': a.token,
      'member token': memberToken,
      'team token': team.token,
      'remote token (workspace B)': b.token,
      'admin key': ADMIN_KEY,
      'directory API key': dir.token as string,
    })
  })
})

/** Replaces the n-th node (depth-first) of a JSON value with `replacement`. */
function replaceAt(value: unknown, n: number, replacement: unknown): unknown {
  let left = n % (countNodes(value) || 1)
  const walk = (v: unknown): unknown => {
    if (left-- === 0) return replacement
    if (Array.isArray(v)) return v.map(walk)
    if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]))
    return v
  }
  return walk(value)
}

function countNodes(v: unknown): number {
  if (Array.isArray(v)) return 1 + v.reduce((s: number, x) => s + countNodes(x), 0)
  if (v !== null && typeof v === 'object') return 1 + Object.values(v).reduce((s: number, x) => s + countNodes(x), 0)
  return 1
}

/** Names the first table whose rows differ, so a failure says what a rejected request changed. */
function expectSameStore(before: string, after: string, what: string, status: number | string, mayChange: string[] = []): void {
  if (before === after) return
  const b = JSON.parse(before) as Record<string, unknown>
  const a = JSON.parse(after) as Record<string, unknown>
  const changed = Object.keys({ ...a, ...b }).filter((t) => !mayChange.includes(t) && JSON.stringify(a[t]) !== JSON.stringify(b[t]))
  if (changed.length === 0) return
  throw new Error(
    `${what} was rejected (${status}) but changed the store: ${changed.map((t) => `${t}: ${String(b[t]).slice(0, 300)} → ${String(a[t]).slice(0, 300)}`).join('; ')}`,
  )
}
