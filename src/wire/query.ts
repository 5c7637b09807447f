/**
 * One normaliser for every query-string form Segment clients send:
 *   bracket  `pagination%5Bcount%5D=2`, `userIds%5B0%5D=u1` (indices past 20 too, unlike qs)
 *   dot      `pagination.count=2`, `userIds.0=u1`
 *   repeated `userIds=a&userIds=b`, and `a[]=x`
 * Objects whose keys are all array indices become arrays, ordered by index.
 *
 * It runs on every request before authentication, so it is linear in the query's length and never throws
 * (a throw here escapes Fastify's error handling and ends the process).
 */

export type QueryValue = string | QueryValue[] | { [key: string]: QueryValue }

/**
 * The largest legitimate query is a bulk delete: 1000 ids (MAX_BATCH) as `userIds[i]` or `emails[i]`, plus a
 * few others (pagination). Pairs past the cap are ignored; the schemas' maxItems still refuse a longer list.
 */
const MAX_PARAMS = 1100
const MAX_DEPTH = 5
const FORBIDDEN = new Set(['__proto__', 'constructor', 'prototype'])
const INDEX = /^(0|[1-9]\d{0,5})$/

/**
 * A key's children. `next` is one past its largest index key, kept as keys arrive: a bare `a=y` after `a[0]=x`
 * goes there without rescanning the keys (the rescan made 5000 such pairs take 350 ms).
 */
class Branch {
  readonly children = new Map<string, Branch | string[]>()
  next = 0
  set(key: string, child: Branch | string[]): void {
    this.children.set(key, child)
    if (INDEX.test(key)) this.next = Math.max(this.next, Number(key) + 1)
  }
}

export function parseQuery(raw: string): Record<string, QueryValue> {
  const root = new Branch()
  for (const [key, value] of new URLSearchParams(firstPairs(raw))) {
    const path = splitKey(key)
    if (path !== undefined) insert(root, path, 0, value)
  }
  return toValue(root) as Record<string, QueryValue>
}

/**
 * `raw` up to its MAX_PARAMS-th pair, so that URLSearchParams does not decode every pair the 256 KiB header limit
 * lets in. Empty pairs (`&&`) do not count: URLSearchParams skips them.
 */
function firstPairs(raw: string): string {
  let count = 0
  for (let i = 0, start = 0; i < raw.length; i++) {
    if (raw.charCodeAt(i) !== 38 /* & */) continue
    if (i > start && ++count === MAX_PARAMS) return raw.slice(0, i)
    start = i + 1
  }
  return raw
}

/** `a[b][0]`, `a.b.0`, `a[]` → ['a','b','0'] / ['a','b','0'] / ['a','']. Undefined for keys we refuse. */
function splitKey(key: string): string[] | undefined {
  const parts: string[] = []
  // split's limit and the early return keep a key of 100,000 dots from building a 100,000-item array.
  const add = (text: string) => {
    for (const p of text.split('.', MAX_DEPTH + 1)) parts.push(p)
    return parts.length <= MAX_DEPTH
  }
  const bracket = key.indexOf('[')
  if (!add(bracket === -1 ? key : key.slice(0, bracket))) return undefined
  if (bracket !== -1) {
    const re = /\[([^[\]]*)\]/g
    re.lastIndex = bracket
    let consumed = bracket
    for (let m = re.exec(key); m !== null; m = re.exec(key)) {
      if (m.index !== consumed || !add(m[1] as string)) return undefined
      consumed = re.lastIndex
    }
    if (consumed !== key.length) {
      // `a[b].c` — dots after brackets
      if (key[consumed] !== '.' || !add(key.slice(consumed + 1))) return undefined
    }
  }
  if (parts[0] === '' || parts.some((p) => FORBIDDEN.has(p))) return undefined
  return parts
}

function insert(node: Branch, path: string[], at: number, value: string): void {
  const head = path[at] as string
  const existing = node.children.get(head)
  if (at === path.length - 1 || (at === path.length - 2 && path[at + 1] === '')) {
    if (Array.isArray(existing)) existing.push(value)
    else if (existing === undefined) node.set(head, [value])
    else existing.set(String(existing.next), [value]) // `a[0]=x&a=y`: y joins the list
    return
  }
  let child = existing
  if (!(child instanceof Branch)) {
    child = new Branch()
    // `a=x&a[1]=y`: the plain values become the first items, so nothing is dropped.
    if (Array.isArray(existing)) for (const [i, v] of existing.entries()) child.set(String(i), [v])
    node.set(head, child)
  }
  insert(child, path, at + 1, value)
}

function toValue(node: Branch | string[]): QueryValue {
  if (Array.isArray(node)) return node.length === 1 ? (node[0] as string) : node
  const keys = [...node.children.keys()]
  if (keys.length > 0 && keys.every((k) => INDEX.test(k))) {
    return keys
      .map((k) => [Number(k), node.children.get(k) as Branch | string[]] as const)
      .sort((a, b) => a[0] - b[0])
      .flatMap(([, v]) => {
        const value = toValue(v)
        // `userIds[0]=a&userIds[0]=b` keeps both, in order
        return Array.isArray(v) ? (v as QueryValue[]) : [value]
      })
  }
  const out: Record<string, QueryValue> = {}
  for (const k of keys) out[k] = toValue(node.children.get(k) as Branch | string[])
  return out
}
