/**
 * One normaliser for every query-string form Segment clients send:
 *   bracket  `pagination%5Bcount%5D=2`, `userIds%5B0%5D=u1` (indices past 20 too, unlike qs)
 *   dot      `pagination.count=2`, `userIds.0=u1`
 *   repeated `userIds=a&userIds=b`, and `a[]=x`
 * Objects whose keys are all array indices become arrays, ordered by index.
 */

export type QueryValue = string | QueryValue[] | { [key: string]: QueryValue }

const MAX_PARAMS = 5000
const MAX_DEPTH = 5
const FORBIDDEN = new Set(['__proto__', 'constructor', 'prototype'])

type Node = Map<string, Node | string[]>

export function parseQuery(raw: string): Record<string, QueryValue> {
  const root: Node = new Map()
  let count = 0
  for (const [key, value] of new URLSearchParams(raw)) {
    if (++count > MAX_PARAMS) break
    const path = splitKey(key)
    if (path === undefined) continue
    insert(root, path, value)
  }
  return toValue(root) as Record<string, QueryValue>
}

/** `a[b][0]`, `a.b.0`, `a[]` → ['a','b','0'] / ['a','b','0'] / ['a','']. Undefined for keys we refuse. */
function splitKey(key: string): string[] | undefined {
  const parts: string[] = []
  const bracket = key.indexOf('[')
  const head = bracket === -1 ? key : key.slice(0, bracket)
  parts.push(...head.split('.'))
  if (bracket !== -1) {
    const rest = key.slice(bracket)
    const re = /\[([^[\]]*)\]/g
    let consumed = 0
    for (let m = re.exec(rest); m !== null; m = re.exec(rest)) {
      if (m.index !== consumed) return undefined
      parts.push(...(m[1] === '' ? [''] : (m[1] as string).split('.')))
      consumed = m.index + m[0].length
    }
    if (consumed !== rest.length) {
      // `a[b].c` — dots after brackets
      const tail = rest.slice(consumed)
      if (!tail.startsWith('.')) return undefined
      parts.push(...tail.slice(1).split('.'))
    }
  }
  if (parts[0] === '' || parts.length > MAX_DEPTH) return undefined
  if (parts.some((p) => FORBIDDEN.has(p))) return undefined
  return parts
}

function insert(node: Node, path: string[], value: string): void {
  const [head, ...rest] = path as [string, ...string[]]
  const existing = node.get(head)
  if (rest.length === 0 || (rest.length === 1 && rest[0] === '')) {
    if (Array.isArray(existing)) existing.push(value)
    else if (existing === undefined) node.set(head, [value])
    else existing.set(String(nextIndex(existing)), [value]) // `a[0]=x&a=y`: y joins the list
    return
  }
  let child = existing
  if (child === undefined || Array.isArray(child)) {
    child = new Map()
    // `a=x&a[1]=y`: the plain values become the first items, so nothing is dropped.
    if (Array.isArray(existing)) for (const [i, v] of existing.entries()) child.set(String(i), [v])
    node.set(head, child)
  }
  insert(child, rest, value)
}

function nextIndex(node: Node): number {
  let max = -1
  for (const k of node.keys()) if (INDEX.test(k)) max = Math.max(max, Number(k))
  return max + 1
}

const INDEX = /^(0|[1-9]\d{0,5})$/

function toValue(node: Node | string[]): QueryValue {
  if (Array.isArray(node)) return node.length === 1 ? (node[0] as string) : node
  const keys = [...node.keys()]
  if (keys.length > 0 && keys.every((k) => INDEX.test(k))) {
    return keys
      .map((k) => [Number(k), node.get(k) as Node | string[]] as const)
      .sort((a, b) => a[0] - b[0])
      .flatMap(([, v]) => {
        const value = toValue(v)
        // `userIds[0]=a&userIds[0]=b` keeps both, in order
        return Array.isArray(v) ? (v as QueryValue[]) : [value]
      })
  }
  const out: Record<string, QueryValue> = {}
  for (const k of keys) out[k] = toValue(node.get(k) as Node | string[])
  return out
}
