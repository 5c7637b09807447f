import { request as httpRequest, type OutgoingHttpHeaders } from 'node:http'
import { connect } from 'node:net'
import Database from 'better-sqlite3'
import fc from 'fast-check'
import { expect } from 'vitest'
import type { Gatehouse } from '../helpers/gatehouse.js'

/*
 * Shared by the reliability suites: the fuzz budget and seed, a byte-exact dump of the store, raw HTTP
 * (odd methods, duplicated headers, malformed requests), the route list the server itself publishes, and
 * a recorder that remembers every answer so a suite can check that no secret ever came back.
 */

/** encodeURIComponent for any string: lone surrogates (which it refuses) become U+FFFD. */
export function encodeAny(s: string): string {
  return encodeURIComponent(s.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd'))
}

/** Fixed in CI so a failure replays; `FUZZ_SEED=…` replays a local long run's failure. */
export const FUZZ_SEED = Number(process.env.FUZZ_SEED ?? 20_240_611)

/** Runs per property: small enough for CI by default, `FUZZ_RUNS=5000` for a long local run. */
export function fuzzRuns(ciDefault: number): number {
  const raw = process.env.FUZZ_RUNS
  if (raw === undefined || raw === '') return ciDefault
  const n = Number(raw)
  if (!Number.isInteger(n) || n < 1) throw new Error(`FUZZ_RUNS must be a positive whole number, got ${raw}`)
  return n
}

/** fast-check parameters every property of these suites uses. */
export const fcParams = (numRuns: number) => ({ numRuns, seed: FUZZ_SEED, endOnFailure: true, verbose: 1 }) as const

export interface StoreDumper {
  /** Every row of every table, deterministic: equal strings mean equal store content. */
  dump(): Promise<string>
  close(): Promise<void>
}

/**
 * A test-only view of the whole store. SQLite: a second, read-only connection to the server's file
 * (WAL lets it read beside the server). PostgreSQL: one query over every table of the server's schema,
 * through the server's own pool (its search path names the test schema).
 */
export function storeDumper(gh: Gatehouse): StoreDumper {
  const pool = gh.server.store.pgPool
  if (pool) {
    let query: string | undefined
    return {
      async dump() {
        if (query === undefined) {
          const tables = await pool.query<{ name: string }>(
            // Rate-limit windows are not data: a refused sign-in is counted against its email, as it must be.
            "select table_name as name from information_schema.tables where table_schema = current_schema() and table_type = 'BASE TABLE' and table_name <> 'rate_limits' order by 1",
          )
          // Each table as a sorted array of its rows' JSON text: independent of physical order.
          query = `select ${tables.rows
            .map(
              ({ name }) =>
                `(select coalesce(json_agg(x.j order by x.j), '[]'::json)::text from (select row_to_json(t)::text as j from "${name}" t) x) as "${name}"`,
            )
            .join(', ')}`
        }
        const { rows } = await pool.query<Record<string, string>>(query)
        return JSON.stringify(rows[0])
      },
      async close() {},
    }
  }
  const db = new Database(gh.dbFile, { readonly: true, fileMustExist: true })
  const tables = (db.prepare("select name from sqlite_master where type = 'table' order by name").all() as { name: string }[]).map(
    (t) => t.name,
  )
  const selects = tables.map((name) => [name, db.prepare(`select * from "${name}"`)] as const)
  return {
    async dump() {
      const out: Record<string, string[]> = {}
      for (const [name, select] of selects)
        out[name] = select
          .all()
          .map((row) => JSON.stringify(row))
          .sort()
      return JSON.stringify(out)
    },
    async close() {
      db.close()
    },
  }
}

export interface RawResponse {
  status: number
  headers: Record<string, string | string[] | undefined>
  text: string
}

/** One request through node:http: any method, headers given as lines (so a header may repeat), any body bytes. */
export function rawRequest(
  baseUrl: string,
  options: { method: string; path: string; headers?: [string, string][]; body?: string | Buffer; timeoutMs?: number },
): Promise<RawResponse> {
  const url = new URL(baseUrl)
  const headers: OutgoingHttpHeaders = {}
  for (const [name, value] of options.headers ?? []) {
    const key = name.toLowerCase()
    const existing = headers[key]
    headers[key] = existing === undefined ? value : [...(Array.isArray(existing) ? existing : [String(existing)]), value]
  }
  if (options.body !== undefined && headers['content-length'] === undefined) headers['content-length'] = Buffer.byteLength(options.body)
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: url.hostname, port: url.port, method: options.method, path: options.path, headers, agent: false },
      (res) => {
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }))
        res.on('error', reject)
      },
    )
    req.setTimeout(options.timeoutMs ?? 15_000, () => req.destroy(new Error(`no answer in ${options.timeoutMs ?? 15_000} ms`)))
    req.on('error', reject)
    req.end(options.body)
  })
}

/**
 * Writes bytes on a fresh TCP connection, half-closes it, and reads what comes back until the server
 * closes (or `timeoutMs`). Returns every response found in the bytes (pipelined garbage may produce two).
 */
export function rawExchange(baseUrl: string, bytes: Buffer, timeoutMs = 5_000): Promise<{ responses: RawResponse[]; raw: string }> {
  const url = new URL(baseUrl)
  return new Promise((resolve) => {
    const socket = connect({ host: url.hostname, port: Number(url.port), allowHalfOpen: true })
    const chunks: Buffer[] = []
    const done = () => {
      clearTimeout(timer)
      socket.destroy()
      const raw = Buffer.concat(chunks)
      resolve({ responses: parseResponses(raw), raw: raw.toString('latin1') })
    }
    const timer = setTimeout(done, timeoutMs)
    socket.on('data', (c: Buffer) => chunks.push(c))
    socket.on('end', done)
    socket.on('close', done)
    socket.on('error', () => {})
    socket.write(bytes, () => socket.end())
  })
}

/** Parses HTTP/1.1 responses (Content-Length or chunked bodies) out of raw bytes. */
export function parseResponses(raw: Buffer): RawResponse[] {
  const out: RawResponse[] = []
  let at = 0
  while (at < raw.length) {
    const headEnd = raw.indexOf('\r\n\r\n', at)
    if (headEnd === -1) break
    const head = raw.subarray(at, headEnd).toString('latin1').split('\r\n')
    const status = /^HTTP\/1\.[01] (\d{3})/.exec(head[0] ?? '')
    if (!status) break
    const headers: Record<string, string> = {}
    for (const line of head.slice(1)) {
      const colon = line.indexOf(':')
      if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim()
    }
    let bodyStart = headEnd + 4
    let body: Buffer
    if (Number(status[1]) < 200) body = Buffer.alloc(0)
    else if (headers['transfer-encoding']?.includes('chunked')) {
      const parts: Buffer[] = []
      for (;;) {
        const lineEnd = raw.indexOf('\r\n', bodyStart)
        if (lineEnd === -1) break
        const size = Number.parseInt(raw.subarray(bodyStart, lineEnd).toString('latin1'), 16)
        bodyStart = lineEnd + 2
        if (!(size > 0)) {
          bodyStart += 2
          break
        }
        parts.push(raw.subarray(bodyStart, bodyStart + size))
        bodyStart += size + 2
      }
      body = Buffer.concat(parts)
    } else {
      const length = Number(headers['content-length'] ?? 0)
      body = raw.subarray(bodyStart, bodyStart + length)
      bodyStart += length
    }
    // 1xx (100 Continue) are interim: the final answer follows.
    if (Number(status[1]) >= 200) out.push({ status: Number(status[1]), headers, text: body.toString('utf8') })
    at = bodyStart
  }
  return out
}

/** An answer as the suites judge it. */
export interface Exchange {
  what: string
  status: number
  text: string
  method: string
}

/**
 * The envelope rules every answer obeys: never a 5xx; an error is `{errors:[{type,message,status}]}`
 * whose status is the HTTP status (HEAD answers have no body to check).
 */
export function expectWellFormed(x: Exchange): void {
  expect(x.status, `${x.what} → ${x.status} ${x.text.slice(0, 500)}`).toBeLessThan(500)
  expect(x.status, `${x.what}: no status`).toBeGreaterThanOrEqual(200)
  if (x.status < 400 || x.method === 'HEAD') return
  let body: unknown
  try {
    body = JSON.parse(x.text)
  } catch {
    throw new Error(`${x.what} → ${x.status} with a body that is not JSON: ${x.text.slice(0, 300)}`)
  }
  const errors = (body as { errors?: unknown }).errors
  expect(Array.isArray(errors) && errors.length > 0, `${x.what} → ${x.status} without an errors array: ${x.text.slice(0, 300)}`).toBe(true)
  for (const e of errors as Record<string, unknown>[]) {
    expect(typeof e.type, `${x.what}: errors[].type`).toBe('string')
    expect(typeof e.message, `${x.what}: errors[].message`).toBe('string')
    expect(e.status, `${x.what}: errors[].status must equal the HTTP status`).toBe(x.status)
  }
}

/** Remembers answers so a suite can assert, at its end, that no secret was ever sent back. */
export class AnswerLog {
  readonly answers: { what: string; text: string }[] = []

  record(what: string, text: string, headers?: Record<string, unknown>): void {
    this.answers.push({ what, text: headers ? `${JSON.stringify(headers)}\n${text}` : text })
  }

  /** Fails naming the first answer that carries any of the secrets (secrets shorter than 16 chars are ignored). */
  expectNoSecrets(secrets: Record<string, string>): void {
    const checked = Object.entries(secrets).filter(([, s]) => s.length >= 16)
    expect(checked.length).toBeGreaterThan(0)
    for (const { what, text } of this.answers)
      for (const [name, secret] of checked)
        if (text.includes(secret)) throw new Error(`${what} answered the ${name} secret: ${text.slice(0, 300)}`)
  }
}

/** An operation of the running server, as its OpenAPI document lists it (hidden routes added by the caller). */
export interface Operation {
  method: string
  /** `/groups/{userGroupId}/users` */
  path: string
  pathParams: string[]
  query: { name: string; schema: JsonSchema }[]
  body: JsonSchema | undefined
}

export type JsonSchema = Record<string, any>

/**
 * The route list, read from the server at run time: a route added tomorrow is fuzzed without touching
 * this suite. `/openapi.json` lists every route but the hidden ones (health, the document itself, the
 * proxy's wildcard), which the caller adds.
 */
export async function publishedOperations(baseUrl: string): Promise<Operation[]> {
  const res = await fetch(`${baseUrl}/openapi.json`)
  const spec = (await res.json()) as { paths: Record<string, Record<string, any>> }
  const ops: Operation[] = []
  for (const [path, methods] of Object.entries(spec.paths))
    for (const [method, op] of Object.entries(methods)) {
      const params: any[] = op.parameters ?? []
      ops.push({
        method: method.toUpperCase(),
        path,
        pathParams: [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1] as string),
        query: params.filter((p) => p.in === 'query').map((p) => ({ name: p.name as string, schema: p.schema ?? {} })),
        body: op.requestBody?.content?.['application/json']?.schema,
      })
    }
  return ops
}

/* ---------------------------------------------------------------------------------------------------
 * Generators
 * ------------------------------------------------------------------------------------------------- */

/** Strings that have broken parsers, databases and serializers before. */
export const NASTY_STRINGS = [
  '',
  ' ',
  '\u0000',
  'a\u0000b',
  '\ud800',
  '\udfff\ud800',
  '\u202e\u0645\u0631\u062d\u0628\u0627',
  '👩‍👩‍👧‍👦',
  'e\u0301',
  '\ufeff',
  '..',
  '../../etc/passwd',
  '%00',
  '%',
  '%zz',
  '\\',
  "'; drop table users; --",
  '<script>alert(1)</script>',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a log4shell probe, meant literally
  '${jndi:ldap://x}',
  '__proto__',
  'constructor',
  'null',
  'undefined',
  'NaN',
  '-1',
  '1e309',
  '0x10',
  '\r\n',
  '\t',
  'a'.repeat(255),
  'a'.repeat(256),
  'é'.repeat(128),
  '𝕏'.repeat(200),
]

export const nastyString = fc.constantFrom(...NASTY_STRINGS)

/** Any string a client could send: ASCII, full Unicode (lone surrogates included), nasty ones, long ones. */
export const anyString: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.string({ maxLength: 40 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 3, arbitrary: nastyString },
  { weight: 1, arbitrary: fc.nat({ max: 5000 }).map((n) => 'x'.repeat(n)) },
)

/** JSON values of every kind, nested a few levels, with nasty strings as keys and values. */
export const anyJson: fc.Arbitrary<unknown> = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constant(null),
    fc.boolean(),
    fc.integer(),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.constantFrom(0, -0, 2 ** 53, -(2 ** 53), 1e308, 5e-324, 1.5, 1000, 1001),
    anyString,
    fc.array(tie('value'), { maxLength: 5 }),
    fc.dictionary(fc.oneof(fc.string({ maxLength: 10 }), nastyString), tie('value'), { maxKeys: 5 }),
  ),
})).value

/** Generators for properties by name (wherever they appear), and properties always sent. */
export interface Overrides {
  values: Record<string, fc.Arbitrary<unknown>>
  always: ReadonlySet<string>
}

/** A value meant to satisfy `schema` (from the OpenAPI document), with edge-case contents. */
export function valueFor(schema: JsonSchema, overrides: Overrides = { values: {}, always: new Set() }, depth = 0): fc.Arbitrary<unknown> {
  if (depth > 6) return anyJson
  const variants = schema.anyOf ?? schema.oneOf
  if (Array.isArray(variants) && variants.length > 0) return fc.oneof(...variants.map((s: JsonSchema) => valueFor(s, overrides, depth + 1)))
  if (schema.const !== undefined) return fc.constant(schema.const)
  if (Array.isArray(schema.enum)) return fc.constantFrom(...schema.enum)
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type
  switch (type) {
    case 'string':
      return stringFor(schema)
    case 'integer':
      return fc.oneof(
        fc.integer({ min: schema.minimum ?? -1000, max: schema.maximum ?? 1_000_000 }),
        fc.constantFrom(schema.minimum ?? 0, schema.maximum ?? 0, (schema.minimum ?? 0) - 1, (schema.maximum ?? 0) + 1, 2 ** 53, -1),
      )
    case 'number':
      return fc.double({ noNaN: true, noDefaultInfinity: true })
    case 'boolean':
      return fc.boolean()
    case 'null':
      return fc.constant(null)
    case 'array': {
      const items = schema.items ? valueFor(schema.items, overrides, depth + 1) : anyJson
      const max = Math.min(schema.maxItems ?? 6, 6)
      return fc.oneof(
        { weight: 5, arbitrary: fc.array(items, { minLength: Math.min(schema.minItems ?? 0, max), maxLength: max }) },
        // At and past the documented limits.
        {
          weight: 1,
          arbitrary: items.chain((item) =>
            fc.constantFrom(0, schema.maxItems ?? 1001, (schema.maxItems ?? 1000) + 1).map((n) => Array(n).fill(item)),
          ),
        },
      )
    }
    case 'object':
    case undefined: {
      const props: Record<string, JsonSchema> = schema.properties ?? {}
      if (Object.keys(props).length === 0)
        return type === 'object' ? fc.dictionary(fc.string({ maxLength: 8 }), anyJson, { maxKeys: 3 }) : anyJson
      const required = new Set<string>([...(schema.required ?? []), ...overrides.always])
      const record = fc.record(
        Object.fromEntries(Object.entries(props).map(([k, s]) => [k, overrides.values[k] ?? valueFor(s, overrides, depth + 1)])),
        { requiredKeys: Object.keys(props).filter((k) => required.has(k)) },
      )
      return fc.oneof(
        { weight: 6, arbitrary: record },
        // An unknown field beside the known ones.
        {
          weight: 1,
          arbitrary: fc.tuple(record, fc.string({ maxLength: 10 }), anyJson).map(([r, k, v]) => ({ ...(r as object), [k]: v })),
        },
      )
    }
    default:
      return anyJson
  }
}

function stringFor(schema: JsonSchema): fc.Arbitrary<string> {
  const max: number = schema.maxLength ?? 300
  const min: number = schema.minLength ?? 0
  const options: fc.Arbitrary<string>[] = [
    fc.string({ unit: 'grapheme', minLength: min, maxLength: Math.min(max, 40) }),
    fc.string({ unit: 'binary', minLength: min, maxLength: Math.min(max, 40) }),
    nastyString,
    fc.constantFrom('x'.repeat(max), 'x'.repeat(max + 1), 'é'.repeat(max), 'é'.repeat(max + 1)),
  ]
  if (schema.format === 'email')
    options.push(
      fc.emailAddress(),
      fc.emailAddress(),
      fc.constantFrom(
        'a@b',
        'A@EXAMPLE.COM',
        ' pad@example.com ',
        'ünï@例え.jp',
        'a@b.c\u0000',
        `${'a'.repeat(64)}@${'b'.repeat(185)}.com`,
      ),
    )
  if (schema.format === 'date-time') options.push(fc.date({ noInvalidDate: true }).map((d) => d.toISOString()))
  return fc.oneof(...options)
}

/** Deeply nested JSON text (arrays or objects) that stays under the 1 MiB body limit. */
export const deepJson = fc
  .tuple(fc.constantFrom(1_000, 10_000, 100_000, 400_000), fc.boolean())
  .map(([depth, arrays]) => (arrays ? '['.repeat(depth) + ']'.repeat(depth) : `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`))

/** Malformed JSON text. */
export const brokenJson = fc.constantFrom(
  '{',
  '}',
  '{"a":',
  '{"a":1,}',
  "{'a':1}",
  '{"a":1}{"b":2}',
  '{"a":1} trailing',
  '\ufeff{"a":1}',
  '{"a":"\\u0000"}',
  '{"a":"\\ud800"}',
  '{"__proto__":{"polluted":true}}',
  '{"constructor":{"prototype":{"polluted":true}}}',
  '{"a":1,"a":2}',
  'NaN',
  '1e99999',
  '"just a string"',
  '[]',
  'null',
  'true',
  '0',
  '\u0000',
  '\xff\xfe',
  '{"a":1e400}',
)
