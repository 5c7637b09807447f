import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { request } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { defaultConsoleDir } from '../../src/console-site/pages.js'
import { type ConsoleServer, startConsoleServer } from './console-support.js'

const CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

const INDEX = '<!doctype html><html><head><script type="module" src="/console/assets/app-3f9a1c.js"></script></head><body></body></html>'
const SCRIPT = 'console.log("the console")\n'

const get = (base: string, path: string, headers: Record<string, string> = {}) => fetch(base + path, { headers, redirect: 'manual' })

/** A request with the path sent as written (fetch would resolve `..` before sending). */
function rawGet(base: string, path: string): Promise<{ status: number; body: string }> {
  const url = new URL(base)
  return new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, path, method: 'GET' }, (res) => {
      let body = ''
      res.on('data', (chunk: Buffer) => {
        body += chunk.toString()
      })
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }))
    })
    req.on('error', reject)
    req.end()
  })
}

function expectConsoleHeaders(res: Response, cache: string): void {
  expect(res.headers.get('content-security-policy')).toBe(CSP)
  expect(res.headers.get('x-frame-options')).toBe('DENY')
  expect(res.headers.get('x-content-type-options')).toBe('nosniff')
  expect(res.headers.get('referrer-policy')).toBe('no-referrer')
  expect(res.headers.get('cache-control')).toBe(cache)
}

describe('console pages', () => {
  let dir: string
  let built: ConsoleServer
  let notBuilt: ConsoleServer

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gatehouse-console-dist-'))
    mkdirSync(join(dir, 'assets'))
    writeFileSync(join(dir, 'index.html'), INDEX)
    writeFileSync(join(dir, 'assets', 'app-3f9a1c.js'), SCRIPT)
    writeFileSync(join(dir, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>')
    writeFileSync(join(dir, '.env'), 'SECRET=dotfile')
    writeFileSync(join(tmpdir(), 'outside-the-console.txt'), 'outside')
    built = await startConsoleServer({ consoleDir: dir })
    notBuilt = await startConsoleServer({ consoleDir: join(dir, 'no-such-folder') })
  })
  afterAll(async () => {
    await built?.stop()
    await notBuilt?.stop()
    rmSync(dir, { recursive: true, force: true })
    rmSync(join(tmpdir(), 'outside-the-console.txt'), { force: true })
  })

  it('finds the build beside the server: dist/console of the repository when run from the sources', () => {
    expect(defaultConsoleDir()).toBe(join(process.cwd(), 'dist', 'console'))
  })

  describe('built', () => {
    it('serves index.html at /console/, never cached, with the security headers', async () => {
      const res = await get(built.url, '/console/')
      expect(res.status).toBe(200)
      expect(res.headers.get('content-type')).toMatch(/^text\/html/)
      expect(await res.text()).toBe(INDEX)
      expectConsoleHeaders(res, 'no-store')
      const bare = await get(built.url, '/console')
      expect(bare.status).toBe(302)
      expect(bare.headers.get('location')).toBe('/console/')
    })

    it('serves hashed assets for a year, other files to be revalidated', async () => {
      const asset = await get(built.url, '/console/assets/app-3f9a1c.js')
      expect(asset.status).toBe(200)
      expect(asset.headers.get('content-type')).toMatch(/javascript/)
      expect(await asset.text()).toBe(SCRIPT)
      expectConsoleHeaders(asset, 'public, max-age=31536000, immutable')
      const icon = await get(built.url, '/console/favicon.svg')
      expect(icon.status).toBe(200)
      expect(icon.headers.get('content-type')).toMatch(/^image\/svg\+xml/)
      expectConsoleHeaders(icon, 'no-cache')
      const head = await fetch(`${built.url}/console/assets/app-3f9a1c.js`, { method: 'HEAD' })
      expect(head.status).toBe(200)
    })

    it('answers the app for any other path under /console/ (the app routes in the browser)', async () => {
      for (const path of [
        '/console/link/AbCdEf0123456789',
        '/console/workspaces/0ESB2cBalGlMg9fh8DSertMXkoK/users',
        '/console/workspaces/',
        '/console/index.html',
        '/console/.env',
        '/console/assets/../.env',
      ]) {
        const res = await get(built.url, path)
        expect(res.status, path).toBe(200)
        expect(await res.text(), path).toBe(INDEX)
        expectConsoleHeaders(res, 'no-store')
      }
    })

    it('never reads outside the build, nor its dotfiles', async () => {
      for (const path of [
        '/console/../outside-the-console.txt',
        '/console/%2e%2e/%2e%2e/etc/passwd',
        '/console/..%2f.env',
        '/console/.env',
      ]) {
        const res = await rawGet(built.url, path)
        expect(res.body, path).not.toContain('outside')
        expect(res.body, path).not.toContain('SECRET')
        expect(res.body, path).not.toContain('root:')
      }
    })

    it('answers a missing asset with a JSON 404, not the app', async () => {
      const res = await get(built.url, '/console/assets/app-000000.js')
      expect(res.status).toBe(404)
      expect(res.headers.get('content-type')).toMatch(/^application\/json/)
      expect(((await res.json()) as any).errors[0]).toMatchObject({ type: 'not-found', status: 404 })
    })
  })

  describe('not built', () => {
    it('says so on every page, as plain HTML without a script', async () => {
      for (const path of ['/console/', '/console/link/AbCdEf0123456789']) {
        const res = await get(notBuilt.url, path)
        expect(res.status, path).toBe(200)
        expect(res.headers.get('content-type')).toMatch(/^text\/html/)
        const html = await res.text()
        expect(html).toContain('npm run build')
        expect(html).not.toMatch(/<script|<style|style=/i)
        expectConsoleHeaders(res, 'no-store')
      }
      expect((await get(notBuilt.url, '/console/assets/app-3f9a1c.js')).status).toBe(404)
    })
  })

  describe('beside the APIs', () => {
    it('sends a browser opening / to the console; API clients get what they always did', async () => {
      for (const server of [built, notBuilt]) {
        const browser = await get(server.url, '/', { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' })
        expect(browser.status).toBe(302)
        expect(browser.headers.get('location')).toBe('/console/')
      }
      const noHtml = await get(built.url, '/')
      expect(noHtml.status).toBe(401)
      expect(((await noHtml.json()) as any).errors[0].type).toBe('unauthorized')
      expect((await get(built.url, '/', { accept: 'application/json' })).status).toBe(401)
      // A bearer token is an API client, whatever it accepts (here a wrong one: the usual 401).
      const withToken = await get(built.url, '/', { accept: 'text/html', authorization: 'Bearer sgp_wrong' })
      expect(withToken.status).toBe(401)
      expect(withToken.headers.get('content-type')).toMatch(/^application\/json/)
      expect((await get(built.url, '/users', { accept: 'text/html' })).status).toBe(401)
    })

    it('leaves /console/api to the JSON API', async () => {
      const signedOut = await get(built.url, '/console/api/session', { accept: 'text/html' })
      expect(signedOut.status).toBe(401)
      expect(signedOut.headers.get('content-type')).toMatch(/^application\/json/)
      expect(signedOut.headers.get('cache-control')).toBe('no-store')
      for (const path of ['/console/api', '/console/api/', '/console/api/no-such-route', '/console/api/links/abc/session']) {
        const res = await get(built.url, path, { accept: 'text/html' })
        expect(res.status, path).toBe(404)
        expect(res.headers.get('content-type'), path).toMatch(/^application\/json/)
      }
    })
  })
})
