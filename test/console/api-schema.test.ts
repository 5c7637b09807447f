import { readFileSync } from 'node:fs'
import { gzipSync } from 'node:zlib'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { consoleDocument, REGENERATE_COMMAND, SCHEMA_FILE, schemaSource } from '../../scripts/console-api.mjs'
import { type Gatehouse, startGatehouse } from '../helpers/gatehouse.js'

// The console's typed client is generated from the server's OpenAPI document; a server change that the
// committed console/src/api/schema.ts does not reflect fails here (and the console's type check would catch the rest).
describe('the console API client', () => {
  let gh: Gatehouse
  let doc: any

  beforeAll(async () => {
    gh = await startGatehouse()
    doc = await (await fetch(`${gh.url}/openapi.json`)).json()
  })
  afterAll(() => gh?.stop())

  it('is generated from the current server: console/src/api/schema.ts is up to date', async () => {
    const expected = await schemaSource(doc)
    const committed = readFileSync(SCHEMA_FILE, 'utf8')
    expect(committed === expected, `console/src/api/schema.ts differs from the server's OpenAPI document: run ${REGENERATE_COMMAND}`).toBe(
      true,
    )
  })

  it('holds only the /console/api paths', () => {
    const paths = Object.keys(consoleDocument(doc).paths)
    expect(paths.length).toBeGreaterThan(5)
    expect(paths.every((path) => path.startsWith('/console/api/'))).toBe(true)
    expect(Object.keys(doc.paths).some((path) => !path.startsWith('/console/'))).toBe(true)
  })
})

// What a first visit downloads before the console works: the entry script and the scripts it imports (the build
// splits later pages off). The budget is 200 KB gzipped; React and the sign-in page take about 75 KB.
describe('the built console', () => {
  const dist = new URL('../../dist/console/', import.meta.url)

  it('loads at most 200 KB of gzipped JavaScript first, all from its own files', () => {
    const html = readFileSync(new URL('index.html', dist), 'utf8')
    expect(html, 'no inline script: the CSP allows none').not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/)
    expect(html, 'no inline style').not.toMatch(/<style|\sstyle=/)
    const scripts = [...html.matchAll(/<script[^>]*\bsrc="([^"]+)"|<link[^>]*rel="modulepreload"[^>]*href="([^"]+)"/g)].map(
      (m) => m[1] ?? m[2],
    )
    expect(scripts.length).toBeGreaterThan(0)
    let gzipped = 0
    for (const src of scripts) {
      expect(src, 'served by this server under /console/').toMatch(/^\/console\/assets\//)
      gzipped += gzipSync(readFileSync(new URL(String(src).slice('/console/'.length), dist)), { level: 9 }).length
    }
    console.log(`console: initial JavaScript ${(gzipped / 1024).toFixed(1)} KB gzipped (${scripts.length} file(s))`)
    expect(gzipped).toBeLessThanOrEqual(200 * 1024)
  })
})
