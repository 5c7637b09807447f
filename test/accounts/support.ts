import Database from 'better-sqlite3'
import { afterAll, beforeAll, expect } from 'vitest'
import { type Gatehouse, type HttpResult, type StartOptions, startedLater, startGatehouse } from '../helpers/gatehouse.js'

export const GOOD_PASSWORD = 'correct horse battery staple'

/** One `Set-Cookie` line, parsed: the value and the attributes (names lower-cased). */
export interface SetCookie {
  name: string
  value: string
  attributes: Map<string, string | true>
}

export function parseSetCookie(line: string): SetCookie {
  const [pair = '', ...rest] = line.split(';').map((part) => part.trim())
  const eq = pair.indexOf('=')
  const attributes = new Map<string, string | true>()
  for (const part of rest) {
    const i = part.indexOf('=')
    if (i === -1) attributes.set(part.toLowerCase(), true)
    else attributes.set(part.slice(0, i).toLowerCase(), part.slice(i + 1))
  }
  return { name: pair.slice(0, eq), value: pair.slice(eq + 1), attributes }
}

/**
 * A browser as far as the console API sees one: a cookie jar fed by Set-Cookie, JSON bodies, and the CSRF
 * token sent with changes once it knows it.
 */
export class Browser {
  cookie: string | undefined
  csrf: string | undefined
  /** The Set-Cookie of the last answer that had one. */
  lastSetCookie: SetCookie | undefined

  constructor(
    readonly baseUrl: string,
    readonly userAgent = 'Mozilla/5.0 (test browser)',
  ) {}

  async request(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<HttpResult> {
    const h: Record<string, string> = { 'user-agent': this.userAgent }
    if (this.cookie !== undefined) h.cookie = `gatehouse_session=${this.cookie}`
    if (this.csrf !== undefined && method !== 'GET') h['x-csrf-token'] = this.csrf
    if (body !== undefined) h['content-type'] = 'application/json'
    Object.assign(h, headers)
    for (const [k, v] of Object.entries(h)) if (v === '') delete h[k]
    const res = await fetch(this.baseUrl + path, {
      method,
      headers: h,
      ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    })
    const text = await res.text()
    const setCookie = res.headers.getSetCookie().find((line) => line.startsWith('gatehouse_session='))
    if (setCookie !== undefined) {
      this.lastSetCookie = parseSetCookie(setCookie)
      const cleared = this.lastSetCookie.attributes.get('max-age') === '0' || this.lastSetCookie.value === ''
      this.cookie = cleared ? undefined : this.lastSetCookie.value
    }
    let parsed: unknown
    try {
      parsed = text === '' ? undefined : JSON.parse(text)
    } catch {
      parsed = text
    }
    const result = { status: res.status, headers: res.headers, body: parsed as any, text }
    if (result.status === 200 && typeof result.body?.data?.csrfToken === 'string') this.csrf = result.body.data.csrfToken
    return result
  }

  get = (path: string, headers?: Record<string, string>) => this.request('GET', path, undefined, headers)
  post = (path: string, body?: unknown, headers?: Record<string, string>) => this.request('POST', path, body, headers)
  put = (path: string, body?: unknown, headers?: Record<string, string>) => this.request('PUT', path, body, headers)
  delete = (path: string, headers?: Record<string, string>) => this.request('DELETE', path, undefined, headers)

  signIn(email: string, password: string) {
    return this.post('/console/api/session', { email, password })
  }
}

/** Plain SQL against the server's store, SQLite or PostgreSQL (`?` placeholders either way): for what a test sets up or inspects. */
export interface StoreSql {
  all<T = any>(sql: string, params?: unknown[]): Promise<T[]>
  run(sql: string, params?: unknown[]): Promise<void>
  close(): void
}

export function storeSql(gh: Gatehouse): StoreSql {
  const pool = gh.server.store.pgPool
  if (pool) {
    const numbered = (sql: string) => {
      let n = 0
      return sql.replace(/\?/g, () => `$${++n}`)
    }
    return {
      all: async (sql, params = []) => (await pool.query(numbered(sql), params)).rows,
      run: async (sql, params = []) => {
        await pool.query(numbered(sql), params)
      },
      close: () => {},
    }
  }
  const db = new Database(gh.dbFile)
  db.pragma('busy_timeout = 5000')
  return {
    all: async (sql, params = []) => db.prepare(sql).all(...params) as any[],
    run: async (sql, params = []) => {
      db.prepare(sql).run(...params)
    },
    close: () => db.close(),
  }
}

export interface QueuedMail {
  id: string
  to: string
  kind: string
  subject: string
  text: string
  html: string
  /** The console link the message carries, if any. */
  link: string | undefined
  /** The link's secret (the last path segment). */
  token: string | undefined
}

/** The outbox, oldest first, each message unsealed with the server's key (as the mail worker would). */
export async function outbox(gh: Gatehouse, sql: StoreSql, to?: string): Promise<QueuedMail[]> {
  const rows = await sql.all<{ id: string; to_address: string; kind: string; subject: string; body_sealed: string }>(
    'select id, to_address, kind, subject, body_sealed from outbox order by created_at, id',
  )
  return rows
    .filter((row) => to === undefined || row.to_address === to)
    .map((row) => {
      const { text, html } = JSON.parse(gh.server.directory.cipher.open(row.body_sealed)) as { text: string; html: string }
      const link = /https?:\/\/\S+\/console\/link\/([0-9A-Za-z]+)/.exec(text)
      return { id: row.id, to: row.to_address, kind: row.kind, subject: row.subject, text, html, link: link?.[0], token: link?.[1] }
    })
}

/** The newest message to `to`, which must exist. */
export async function lastMail(gh: Gatehouse, sql: StoreSql, to: string): Promise<QueuedMail> {
  const mails = await outbox(gh, sql, to)
  const mail = mails[mails.length - 1]
  expect(mail, `a message to ${to}`).toBeDefined()
  return mail as QueuedMail
}

/** A workspace member who chose a password through a set-password link, and a browser signed in as them. */
export async function memberWithPassword(
  gh: Gatehouse,
  sql: StoreSql,
  email: string,
  password = GOOD_PASSWORD,
): Promise<{ browser: Browser; workspace: Awaited<ReturnType<Gatehouse['workspace']>> }> {
  const workspace = await gh.workspace()
  await gh.addUsers(workspace, [email])
  const browser = new Browser(gh.url)
  expect((await browser.post('/console/api/password-resets', { email })).status).toBe(202)
  const mail = await lastMail(gh, sql, email)
  const set = await browser.post(`/console/api/links/${mail.token}/password`, { password })
  expect(set.status, set.text).toBe(200)
  return { browser, workspace }
}

/** The envelope's one error. */
export function errorOf(res: HttpResult): { type: string; message: string; status: number; field?: string; data?: unknown } {
  expect(res.headers.get('content-type')).toMatch(/^application\/json/)
  expect(res.body.errors).toHaveLength(1)
  return res.body.errors[0]
}

/**
 * A server and SQL on its store for the describe block it is called in: started before its tests, closed after
 * them. The answer's `gh` and `sql` stand for them once beforeAll has run.
 */
export function accountsServerForSuite(options: StartOptions = {}): { gh: Gatehouse; sql: StoreSql } {
  let gh: Gatehouse | undefined
  let sql: StoreSql | undefined
  beforeAll(async () => {
    gh = await startGatehouse(options)
    sql = storeSql(gh)
  })
  afterAll(async () => {
    sql?.close()
    await gh?.stop()
  })
  return { gh: startedLater(() => gh, "the suite's Gatehouse"), sql: startedLater(() => sql, "the suite's store SQL") }
}
