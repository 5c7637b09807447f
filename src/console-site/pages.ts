import { stat } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { FastifyInstance, FastifyPluginAsync, FastifyReply } from 'fastify'

/*
 * The web console's pages: the single-page app Vite builds into dist/console (index.html and hashed files under
 * assets/). This folder is not src/console because tsc writes src/<x> to dist/<x>: the server's own code would
 * land among the console's files, and a Vite build that empties dist/console would delete it.
 */

/**
 * Every console page and file: the app runs only its own scripts and styles (no inline ones), talks only to
 * this server, and is never framed. No referrer: sign-in and password links carry their secret in the path.
 */
export const CONSOLE_HEADERS = {
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
} as const

/** Hashed names change with their content: a browser may keep them for a year. */
const ASSET_CACHE = 'public, max-age=31536000, immutable'
/** index.html names the current assets: never kept, so a new build is seen on the next load. */
const PAGE_CACHE = 'no-store'
/** Other files of the build (favicon and the like) keep their names: kept, but checked each time. */
const FILE_CACHE = 'no-cache'

const NOT_BUILT_PAGE = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Gatehouse: the console is not built</title></head>
<body>
<h1>The console is not built</h1>
<p>This server has no console pages yet. Run <code>npm run build</code>, then reload this page.</p>
<p>The Public API and the console API (<code>/console/api</code>) work meanwhile.</p>
</body>
</html>
`

/**
 * Where the built console is: dist/console, beside dist/main.js. From the TypeScript sources (tests), this file
 * is src/console-site/pages.ts and the build is still the repository's dist/console.
 */
export function defaultConsoleDir(): string {
  const here = fileURLToPath(new URL('.', import.meta.url))
  return import.meta.url.endsWith('.ts') ? resolve(here, '../../dist/console') : resolve(here, '../console')
}

/**
 * Serves the console under /console/: its files as they are, and index.html for every other path (the app
 * routes in the browser, so /console/link/<token> and /console/workspaces/<id>/users load it). /console/api
 * is the JSON API's, never a page: what it does not route is a JSON 404. The folder is looked at on each
 * request, so building the console needs no restart.
 */
export const consolePages: FastifyPluginAsync<{ dir: string }> = async (app, { dir }) => {
  // Loaded here, not at the top: only a serving server needs it, and `gatehouse <command>` starts faster without.
  const { default: fastifyStatic } = await import('@fastify/static')
  // No root and no routes of its own: only reply.sendFile, which is given the folder on each call.
  await app.register(fastifyStatic, { serve: false, dotfiles: 'deny', index: false, cacheControl: false })
  app.addHook('onRequest', async (_req, reply) => {
    reply.headers(CONSOLE_HEADERS)
  })

  app.get('/console', { schema: { hide: true } }, async (_req, reply) => reply.redirect('/console/', 302))
  app.get('/console/*', { schema: { hide: true } }, async (req, reply) => {
    const rest = (req.params as { '*': string })['*']
    if (rest === 'api' || rest.startsWith('api/')) return reply.callNotFound()
    const file = filePathOf(rest)
    const found = file !== undefined && (await isFile(join(dir, file)))
    if (rest.startsWith('assets/')) {
      // A missing asset is a 404, not the app: HTML under an asset's name would be kept for a year.
      if (!found) return reply.callNotFound()
      return reply.header('cache-control', ASSET_CACHE).sendFile(file, dir)
    }
    if (found && file !== 'index.html') return reply.header('cache-control', FILE_CACHE).sendFile(file, dir)
    return sendApp(reply, dir)
  })
}

async function sendApp(reply: FastifyReply, dir: string): Promise<FastifyReply> {
  reply.header('cache-control', PAGE_CACHE)
  if (await isFile(join(dir, 'index.html'))) return reply.sendFile('index.html', dir)
  return reply.type('text/html; charset=utf-8').send(NOT_BUILT_PAGE)
}

/**
 * The path after /console/ as a file of the build, or undefined when it cannot name one: an empty segment
 * (a trailing slash), `.` or `..`, a dotfile, a backslash. Such paths get the app and never reach the disk.
 */
function filePathOf(rest: string): string | undefined {
  if (rest === '' || rest.includes('\\') || rest.includes('\0')) return undefined
  const segments = rest.split('/')
  return segments.every((s) => s !== '' && !s.startsWith('.')) ? rest : undefined
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile()
  } catch {
    return false
  }
}

/**
 * A browser opening the server's address (`GET /` asking for HTML, without a bearer token) lands on the
 * console. API clients, which send a token or ask for JSON, get the workspace as before.
 */
export function sendBrowsersToConsole(app: FastifyInstance): void {
  app.addHook('onRequest', async (req, reply) => {
    if (req.routeOptions.url !== '/' || (req.method !== 'GET' && req.method !== 'HEAD')) return
    if (req.headers.authorization !== undefined || !(req.headers.accept ?? '').includes('text/html')) return
    return reply.redirect('/console/', 302)
  })
}
