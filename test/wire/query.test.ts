import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parseQuery } from '../../src/wire/query.js'
import { type Gatehouse, HttpClient, type SeededWorkspace, startGatehouse } from '../helpers/gatehouse.js'

const enc = encodeURIComponent

/** `name%5B0%5D=…&name%5B1%5D=…`, as the TypeScript SDK sends arrays (qs "indices" format). */
const bracketArray = (name: string, values: string[]) => values.map((v, i) => `${name}%5B${i}%5D=${enc(v)}`).join('&')
const dotArray = (name: string, values: string[]) => values.map((v, i) => `${name}.${i}=${enc(v)}`).join('&')
const repeated = (name: string, values: string[]) => values.map((v) => `${name}=${enc(v)}`).join('&')

/** `a[0]=x` then n bare `a=y`: each bare value joins the indexed list (the shape that once made parsing quadratic). */
const indexedThenBare = (n: number, key = 'a[0]', bare = 'a') => [`${key}=x`, ...Array<string>(n).fill(`${bare}=y`)].join('&')

/** The median of five runs, in ms. */
function medianMs(run: () => unknown): number {
  const times = Array.from({ length: 5 }, () => {
    const started = performance.now()
    run()
    return performance.now() - started
  }).sort((a, b) => a - b)
  return times[2] as number
}

describe('parseQuery', () => {
  it('reads the percent-encoded bracket form the TypeScript SDK sends', () => {
    expect(parseQuery('pagination%5Bcount%5D=2')).toEqual({ pagination: { count: '2' } })
    expect(parseQuery('pagination%5Bcursor%5D=MA%3D%3D&pagination%5Bcount%5D=2')).toEqual({ pagination: { cursor: 'MA==', count: '2' } })
  })

  it('reads the unencoded bracket form the Go SDK sends', () => {
    expect(parseQuery('pagination[count]=10&pagination[cursor]=abc')).toEqual({ pagination: { count: '10', cursor: 'abc' } })
  })

  it('reads bracket-indexed arrays', () => {
    expect(parseQuery('userIds%5B0%5D=u1&userIds%5B1%5D=u2')).toEqual({ userIds: ['u1', 'u2'] })
  })

  it('keeps indexed arrays past index 20 as arrays, unlike qs', () => {
    const values = Array.from({ length: 31 }, (_, i) => `u${i}`)
    expect(parseQuery(bracketArray('userIds', values))).toEqual({ userIds: values })
    expect(parseQuery(dotArray('userIds', values))).toEqual({ userIds: values })
  })

  it('orders indexed array items by index, not by appearance', () => {
    // 0, 7, 14, 21, 28, 4, 11, …: a permutation of 0..30 (7 and 31 are coprime)
    const shuffled = Array.from({ length: 31 }, (_, n) => (n * 7) % 31)
    const raw = shuffled.map((i) => `userIds%5B${i}%5D=u${i}`).join('&')
    expect(parseQuery(raw)).toEqual({ userIds: Array.from({ length: 31 }, (_, i) => `u${i}`) })
    expect(parseQuery('userIds.2=c&userIds.0=a&userIds.1=b')).toEqual({ userIds: ['a', 'b', 'c'] })
  })

  it('orders indices numerically, not as text (10 after 9)', () => {
    const raw = [10, 9, 1, 0, 2].map((i) => `a[${i}]=v${i}`).join('&')
    expect(parseQuery(raw)).toEqual({ a: ['v0', 'v1', 'v2', 'v9', 'v10'] })
  })

  it('compacts sparse indices into a dense array', () => {
    expect(parseQuery('userIds[0]=a&userIds[30]=b')).toEqual({ userIds: ['a', 'b'] })
  })

  it('reads the dot form of objects and arrays', () => {
    expect(parseQuery('pagination.count=2')).toEqual({ pagination: { count: '2' } })
    expect(parseQuery('pagination.count=3&pagination.cursor=Mw%3D%3D')).toEqual({ pagination: { count: '3', cursor: 'Mw==' } })
    expect(parseQuery('userIds.0=u1')).toEqual({ userIds: ['u1'] })
    expect(parseQuery('userIds.0=u1&userIds.1=u2')).toEqual({ userIds: ['u1', 'u2'] })
  })

  it('reads repeated keys as an array in order of appearance', () => {
    expect(parseQuery('userIds=a&userIds=b')).toEqual({ userIds: ['a', 'b'] })
    expect(parseQuery('userIds=b&userIds=a&userIds=c')).toEqual({ userIds: ['b', 'a', 'c'] })
  })

  it('reads a single value as a string (the validator makes it a one-item array where one is expected)', () => {
    expect(parseQuery('userIds=a')).toEqual({ userIds: 'a' })
  })

  it('keeps plain values mixed with indexed ones instead of dropping either', () => {
    expect(parseQuery('userIds=a&userIds[1]=b')).toEqual({ userIds: ['a', 'b'] })
    expect(parseQuery('userIds[0]=a&userIds=b')).toEqual({ userIds: ['a', 'b'] })
  })

  it('reads empty-bracket arrays', () => {
    expect(parseQuery('a[]=x&a[]=y')).toEqual({ a: ['x', 'y'] })
    expect(parseQuery('a%5B%5D=x&a%5B%5D=y')).toEqual({ a: ['x', 'y'] })
  })

  it('merges bracket and dot forms of one object', () => {
    expect(parseQuery('pagination%5Bcount%5D=5&pagination.cursor=abc')).toEqual({ pagination: { count: '5', cursor: 'abc' } })
    expect(parseQuery('pagination.count=5&pagination[cursor]=abc')).toEqual({ pagination: { count: '5', cursor: 'abc' } })
  })

  it('merges bracket and dot forms of one array, ordered by index', () => {
    expect(parseQuery('userIds.1=b&userIds%5B0%5D=a&userIds[2]=c')).toEqual({ userIds: ['a', 'b', 'c'] })
  })

  it('reads dots after brackets', () => {
    expect(parseQuery('a[b].c=1')).toEqual({ a: { b: { c: '1' } } })
  })

  it('reads arrays of objects', () => {
    expect(parseQuery('a[0][b]=1&a[1][b]=2')).toEqual({ a: [{ b: '1' }, { b: '2' }] })
  })

  it('keeps every value given twice for one index, in order', () => {
    expect(parseQuery('x[0]=a&x[0]=b')).toEqual({ x: ['a', 'b'] })
  })

  it('keeps the other parameters beside arrays and objects', () => {
    expect(parseQuery('startTime=2023-01-01T00%3A00%3A00Z&resourceId=src1&resourceType=SOURCE&pagination%5Bcount%5D=5')).toEqual({
      startTime: '2023-01-01T00:00:00Z',
      resourceId: 'src1',
      resourceType: 'SOURCE',
      pagination: { count: '5' },
    })
  })

  it('decodes %2B, %40 and %20 in values, and a literal + as a space', () => {
    expect(parseQuery('emails%5B0%5D=a%40x.com&emails%5B1%5D=b%2B1%40x.com')).toEqual({ emails: ['a@x.com', 'b+1@x.com'] })
    expect(parseQuery('pagination%5Bcursor%5D=a%20b%2F%2B%3D%26&pagination%5Bcount%5D=10')).toEqual({
      pagination: { cursor: 'a b/+=&', count: '10' },
    })
    expect(parseQuery('q=a+b')).toEqual({ q: 'a b' })
  })

  it('keeps an empty value as an empty string', () => {
    expect(parseQuery('a=')).toEqual({ a: '' })
  })

  it('answers an empty object for an empty query string', () => {
    expect(parseQuery('')).toEqual({})
  })

  it('drops keys with an empty name or unbalanced brackets', () => {
    expect(parseQuery('=x')).toEqual({})
    expect(parseQuery('a[=1&b=2')).toEqual({ b: '2' })
  })

  it('does not pollute Object.prototype through __proto__, constructor or prototype keys', () => {
    const attacks = [
      '__proto__[polluted]=1',
      '__proto__.polluted=1',
      '%5F%5Fproto%5F%5F%5Bpolluted%5D=1',
      'constructor[prototype][polluted]=1',
      'constructor.prototype.polluted=1',
      'a[__proto__][polluted]=1',
      'a.__proto__.polluted=1',
      'a[constructor][prototype][polluted]=1',
      '__proto__=1',
      'userIds[__proto__]=x',
    ]
    for (const raw of attacks) {
      const parsed = parseQuery(raw) as Record<string, unknown>
      expect(({} as Record<string, unknown>).polluted, raw).toBeUndefined()
      expect(Object.getPrototypeOf(parsed), raw).toBe(Object.prototype)
      expect(Object.hasOwn(parsed, '__proto__'), raw).toBe(false)
      expect(JSON.stringify(parsed), raw).not.toContain('polluted')
    }
  })

  it('keeps the normal parameters beside a refused prototype key', () => {
    expect(parseQuery('__proto__[x]=1&pagination[count]=2')).toEqual({ pagination: { count: '2' } })
    const parsed = parseQuery('pagination[__proto__][count]=1000&pagination[count]=2') as { pagination: object }
    expect(parsed).toEqual({ pagination: { count: '2' } })
    expect(Object.getPrototypeOf(parsed.pagination)).toBe(Object.prototype)
  })

  it('stops nesting at a bounded depth', () => {
    expect(parseQuery('a[b][c][d][e][f][g]=1')).toEqual({})
  })

  it('appends bare values to an indexed list after its largest index, at any depth', () => {
    expect(parseQuery('a[0]=x&a=y&a=z')).toEqual({ a: ['x', 'y', 'z'] })
    expect(parseQuery('a[3]=x&a=y&a[1]=z')).toEqual({ a: ['z', 'x', 'y'] })
    expect(parseQuery('a=x&a=y&a[5]=z&a=w')).toEqual({ a: ['x', 'y', 'z', 'w'] })
    expect(parseQuery('a=x&a[1]=y&a[]=z')).toEqual({ a: ['x', 'y', 'z'] })
    expect(parseQuery('a[b][0]=x&a[b]=y&a.b=z&a[c]=1')).toEqual({ a: { b: ['x', 'y', 'z'], c: '1' } })
    expect(parseQuery(indexedThenBare(999))).toEqual({ a: ['x', ...Array(999).fill('y')] })
  })

  it('keeps 1000 ids plus pagination, and ignores the parameters past 1100', () => {
    const ids = Array.from({ length: 1000 }, (_, i) => `u${i}`)
    expect(parseQuery(`${bracketArray('userIds', ids)}&pagination[count]=5&pagination[cursor]=c`)).toEqual({
      userIds: ids,
      pagination: { count: '5', cursor: 'c' },
    })
    // Empty pairs do not count.
    const parsed = parseQuery(`&&${Array.from({ length: 1200 }, (_, i) => `p${i}=1`).join('&&')}`)
    expect(Object.keys(parsed)).toEqual(Array.from({ length: 1100 }, (_, i) => `p${i}`))
    expect(parseQuery(indexedThenBare(5000))).toEqual({ a: ['x', ...Array(1099).fill('y')] })
  })

  it('drops keys of a quarter-million dots or brackets without throwing (a throw here would end the process)', () => {
    expect(parseQuery(`${'.'.repeat(250_000)}=1&b=2`)).toEqual({ b: '2' })
    expect(parseQuery(`a[${'.'.repeat(250_000)}]=1&b=2`)).toEqual({ b: '2' })
    expect(parseQuery(`a${'[]'.repeat(120_000)}=1&b=2`)).toEqual({ b: '2' })
  })

  it('parses the worst-shaped queries, up to the 256 KiB header limit, in a few milliseconds', () => {
    // Quadratic once (each bare `a=y` rescanned the list's keys): 5000 of them took about 350 ms.
    const worst = [
      indexedThenBare(1100),
      indexedThenBare(5000), // about 20 KB
      indexedThenBare(60_000), // about 240 KB
      indexedThenBare(24_000, 'a[b][c][d][0]', 'a.b.c.d'),
      'p&'.repeat(120_000),
    ]
    for (const raw of worst) {
      const ms = medianMs(() => parseQuery(raw))
      expect(ms, `${raw.length} chars`).toBeLessThan(50)
    }
  })
})

describe('query forms over HTTP', () => {
  let gh: Gatehouse
  let ws: SeededWorkspace
  beforeAll(async () => {
    gh = await startGatehouse()
    ws = await gh.workspace()
  })
  afterAll(() => gh.stop())

  async function seedUsers(prefix: string, n: number) {
    return gh.addUsers(
      ws,
      Array.from({ length: n }, (_, i) => `${prefix}${i}@q.example`),
    )
  }

  async function userIds(): Promise<Set<string>> {
    const res = await ws.http.get('/users?pagination%5Bcount%5D=1000')
    expect(res.status).toBe(200)
    return new Set(res.body.data.users.map((u: { id: string }) => u.id))
  }

  it('deletes every user named in the dot-indexed form userIds.0=…&userIds.1=…', async () => {
    const [a, b, keep] = await seedUsers('dot', 3)
    const res = await ws.http.delete(`/users?${dotArray('userIds', [a!.id, b!.id])}`)
    expect(res.status).toBe(200)
    expect(res.body).toEqual({ data: { status: 'SUCCESS' } })
    const left = await userIds()
    expect(left.has(a!.id)).toBe(false)
    expect(left.has(b!.id)).toBe(false)
    expect(left.has(keep!.id)).toBe(true)
  })

  it('deletes every user named in the bracket form, with indices past 20 sent out of order', async () => {
    const users = await seedUsers('brk', 31)
    const ids = users.map((u) => u.id)
    const raw = ids
      .map((id, i) => `userIds%5B${i}%5D=${enc(id)}`)
      .reverse()
      .join('&')
    const res = await ws.http.delete(`/users?${raw}`)
    expect(res.status).toBe(200)
    const left = await userIds()
    for (const id of ids) expect(left.has(id)).toBe(false)
  })

  it('deletes 1000 users named in one SDK-encoded request (about 44 KiB of query string)', async () => {
    const users = await seedUsers('bulk', 1000)
    const ids = users.map((u) => u.id)
    const res = await ws.http.delete(`/users?${bracketArray('userIds', ids)}`)
    expect(res.status, res.text).toBe(200)
    const left = await userIds()
    for (const id of ids) expect(left.has(id)).toBe(false)
    expect(left.has(ws.owner.id)).toBe(true)
  })

  it('deletes every user named by repeated keys userIds=a&userIds=b', async () => {
    const [a, b] = await seedUsers('rep', 2)
    const res = await ws.http.delete(`/users?${repeated('userIds', [a!.id, b!.id])}`)
    expect(res.status).toBe(200)
    const left = await userIds()
    expect(left.has(a!.id)).toBe(false)
    expect(left.has(b!.id)).toBe(false)
  })

  it('deletes one user named by a single userIds=… (a one-item array)', async () => {
    const [a] = await seedUsers('one', 1)
    const res = await ws.http.delete(`/users?userIds=${enc(a!.id)}`)
    expect(res.status).toBe(200)
    expect((await userIds()).has(a!.id)).toBe(false)
  })

  it('deletes users named with empty brackets userIds[]=a&userIds[]=b', async () => {
    const [a, b] = await seedUsers('empty', 2)
    const res = await ws.http.delete(`/users?userIds%5B%5D=${enc(a!.id)}&userIds[]=${enc(b!.id)}`)
    expect(res.status).toBe(200)
    const left = await userIds()
    expect(left.has(a!.id)).toBe(false)
    expect(left.has(b!.id)).toBe(false)
  })

  it('pages by one with the dot form pagination.count=1', async () => {
    await seedUsers('page', 2)
    const res = await ws.http.get('/users?pagination.count=1')
    expect(res.status).toBe(200)
    expect(res.body.data.users).toHaveLength(1)
    expect(res.body.data.pagination.next).toEqual(expect.any(String))
    const next = await ws.http.get(`/users?pagination.count=1&pagination.cursor=${enc(res.body.data.pagination.next)}`)
    expect(next.status).toBe(200)
    expect(next.body.data.users).toHaveLength(1)
    expect(next.body.data.users[0].id).not.toBe(res.body.data.users[0].id)
  })

  it('answers the bracket, encoded-bracket and dot forms of pagination identically', async () => {
    await seedUsers('same', 3)
    const first = await ws.http.get('/users?pagination%5Bcount%5D=2')
    const cursor = enc(first.body.data.pagination.next)
    const forms = [
      `pagination%5Bcursor%5D=${cursor}&pagination%5Bcount%5D=2`,
      `pagination[cursor]=${cursor}&pagination[count]=2`,
      `pagination.cursor=${cursor}&pagination.count=2`,
      `pagination.count=2&pagination%5Bcursor%5D=${cursor}`,
    ]
    const answers = await Promise.all(forms.map((q) => ws.http.get(`/users?${q}`)))
    for (const a of answers) expect(a.status).toBe(200)
    const [reference, ...others] = answers.map((a) => a.body)
    expect(reference.data.users).toHaveLength(2)
    for (const other of others) expect(other).toEqual(reference)
  })

  it('deletes invites whose emails carry %2B and %40', async () => {
    const emails = ['plus+1@q.example', 'at.sign@q.example']
    const created = await ws.http.post('/invites', { invites: emails.map((email) => ({ email })) })
    expect(created.status).toBe(201)
    const res = await ws.http.delete(`/invites?${bracketArray('emails', emails)}`)
    expect(res.status).toBe(200)
    const left = await ws.http.get('/invites?pagination.count=1000')
    expect(left.body.data.invites).not.toContain(emails[0])
    expect(left.body.data.invites).not.toContain(emails[1])
  })

  it('reads a %20 in a path id as a space (and answers a 404 envelope for it)', async () => {
    const res = await ws.http.get('/users/u%201')
    expect(res.status).toBe(404)
    expect(res.body.errors[0].message).toContain('u 1')
  })

  it('ignores prototype-pollution keys and still answers the rest of the query', async () => {
    const res = await ws.http.get(
      '/users?__proto__%5Bcount%5D=1&constructor[prototype][x]=1&pagination[__proto__][count]=1&pagination.count=2',
    )
    expect(res.status).toBe(200)
    expect(res.body.data.users).toHaveLength(2)
    expect(({} as Record<string, unknown>).x).toBeUndefined()
    expect(({} as Record<string, unknown>).count).toBeUndefined()
  })

  it('answers unauthenticated worst-shaped queries at once, and /healthz stays fast while eight are in flight', async () => {
    const anonymous = new HttpClient(gh.url, undefined)
    const worst = `/users?${indexedThenBare(5000)}` // about 20 KB
    let settled = false
    const started = performance.now()
    const inFlight = Promise.all(Array.from({ length: 8 }, () => anonymous.get(worst))).finally(() => {
      settled = true
    })
    let slowestHealthz = 0
    do {
      const sent = performance.now()
      expect((await anonymous.get('/healthz')).status).toBe(200)
      slowestHealthz = Math.max(slowestHealthz, performance.now() - sent)
    } while (!settled)
    for (const res of await inFlight) expect(res.status).toBe(401)
    // Was about 350 ms of blocked event loop per request: eight took about 3 s, and /healthz waited for them.
    expect(performance.now() - started).toBeLessThan(1_500)
    expect(slowestHealthz).toBeLessThan(500)
  })

  it('answers 422 naming userIds when the indexed form holds an index too large to be an array', async () => {
    const res = await ws.http.delete('/users?userIds%5B9999999%5D=u1')
    expect(res.status).toBe(422)
    expect(res.body.errors[0].field).toBe('userIds')
  })
})
