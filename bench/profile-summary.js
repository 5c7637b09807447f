// Summarises a V8 .cpuprofile (from `node --cpu-prof`): where the busy time went, by function (self and
// inclusive) and by package. Idle time is left out of the shares, so they read as "% of CPU spent working".
// Usage: node bench/profile-summary.js <file.cpuprofile> [top=20]
import { readFileSync } from 'node:fs'
import { pathToFileURL } from 'node:url'

/** Where a frame's code lives: a package, our dist/ tree, node internals, or V8 itself. */
export function originOf(url) {
  if (!url) return '(native)'
  if (url.startsWith('node:')) return 'node:internal'
  const nm = url.lastIndexOf('/node_modules/')
  if (nm !== -1) {
    const rest = url.slice(nm + '/node_modules/'.length).split('/')
    return rest[0]?.startsWith('@') ? `${rest[0]}/${rest[1]}` : (rest[0] ?? url)
  }
  const dist = url.indexOf('/dist/')
  if (dist !== -1)
    return `gatehouse:${
      url
        .slice(dist + '/dist/'.length)
        .split('/')
        .slice(0, -1)
        .join('/') || '.'
    }`
  return url
}

function label(frame) {
  const url = frame.url ?? ''
  const nm = url.lastIndexOf('/node_modules/')
  const dist = url.indexOf('/dist/')
  const short = nm !== -1 ? url.slice(nm + '/node_modules/'.length) : dist !== -1 ? url.slice(dist + 1) : url.replace(/^file:\/\//, '')
  return `${frame.functionName || '(anonymous)'} ${short ? `${short}:${frame.lineNumber + 1}` : ''}`.trim()
}

/** @returns {{busyMs: number, idleMs: number, self: [string, number][], inclusive: [string, number][], origins: [string, number][]}} */
export function summarise(profile) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]))
  const parent = new Map()
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id)
  const self = new Map()
  const inclusive = new Map()
  const origins = new Map()
  let busy = 0
  let idle = 0
  const add = (map, key, us) => map.set(key, (map.get(key) ?? 0) + us)
  for (let i = 0; i < profile.samples.length; i++) {
    const us = profile.timeDeltas[i + 1] ?? 0 // a sample's delta is the time until the next one
    const node = byId.get(profile.samples[i])
    if (!node) continue
    const name = node.callFrame.functionName
    if (name === '(idle)') {
      idle += us
      continue
    }
    busy += us
    add(self, label(node.callFrame), us)
    add(origins, name === '(garbage collector)' || name === '(program)' ? name : originOf(node.callFrame.url), us)
    const seen = new Set()
    for (let id = node.id; id !== undefined; id = parent.get(id)) {
      const frame = byId.get(id)?.callFrame
      if (!frame || frame.functionName === '(root)') continue
      const key = label(frame)
      if (!seen.has(key)) {
        seen.add(key)
        add(inclusive, key, us)
      }
    }
  }
  const top = (map) => [...map].sort((a, b) => b[1] - a[1]).map(([k, us]) => [k, us / 1000])
  return { busyMs: busy / 1000, idleMs: idle / 1000, self: top(self), inclusive: top(inclusive), origins: top(origins) }
}

export function printSummary(file, n = 20, print = console.log) {
  const s = summarise(JSON.parse(readFileSync(file, 'utf8')))
  const pct = (ms) => `${((100 * ms) / s.busyMs).toFixed(1).padStart(5)}%`
  print(`\nCPU profile ${file}: ${(s.busyMs / 1000).toFixed(1)} s busy, ${(s.idleMs / 1000).toFixed(1)} s idle`)
  print('\n  busy time by origin (self):')
  for (const [k, ms] of s.origins.slice(0, 12)) print(`    ${pct(ms)}  ${k}`)
  print(`\n  top ${n} functions by self time:`)
  for (const [k, ms] of s.self.slice(0, n)) print(`    ${pct(ms)}  ${k}`)
  print(`\n  top ${n} functions by inclusive time (busy samples with the function on the stack):`)
  for (const [k, ms] of s.inclusive.slice(0, n)) print(`    ${pct(ms)}  ${k}`)
  return s
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const file = process.argv[2]
  if (!file) {
    console.error('usage: node bench/profile-summary.js <file.cpuprofile> [top]')
    process.exit(2)
  }
  printSummary(file, Number(process.argv[3] ?? 20))
}
