import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { AxeBuilder } from '@axe-core/playwright'
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core'
import { afterAll, beforeAll, expect } from 'vitest'
import { ADMIN_KEY, HttpClient, startedLater } from '../helpers/gatehouse.js'
import { type ServerProcess, spawnServer } from '../helpers/process.js'

/*
 * The console's browser tests: the built server (dist/main.js, with the console `npm run build` put in
 * dist/console) started as `gatehouse serve` with its demo, and Debian's Chromium driven by playwright-core.
 * Nothing is downloaded: no browser, no font; the pages may reach only the server on 127.0.0.1.
 */

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-dev-shm-usage',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
]

/** Screenshots go to docs/screenshots with SCREENSHOTS=1 (`npm run console:screenshots`), else to a temporary folder. */
export const SCREENSHOT_DIR =
  process.env.SCREENSHOTS === '1'
    ? fileURLToPath(new URL('../../docs/screenshots/', import.meta.url))
    : join(tmpdir(), 'gatehouse-console-screenshots')

export const VIEWPORT = { width: 1280, height: 800 }
export const DEMO_OWNER = 'owner@demo.example'
export const MEMBER_PASSWORD = 'a long and unusual passphrase for tests'

export interface DemoServer {
  url: string
  process: ServerProcess
  /** The one-time sign-in link the first start printed (the demo owner's). */
  demoLink: string
  /** The operator API (the server runs with an admin key). */
  admin: HttpClient
  /** The newest mailed console link to `email` (read from the outbox through the operator API). */
  mailedLink(email: string): Promise<string>
  stop(): Promise<void>
}

/** `gatehouse serve` on a new SQLite file with the demo, as `npm start` runs it, plus an admin key. */
/** `extraArgs` are more `serve` flags (e.g. `--smtp-url`). */
export async function startDemoServer(extraArgs: string[] = []): Promise<DemoServer> {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-console-'))
  const process = await spawnServer(
    [
      '--host',
      '127.0.0.1',
      '--port',
      '0',
      '--db',
      join(dir, 'gatehouse.db'),
      '--admin-key',
      ADMIN_KEY,
      '--log-level',
      'warn',
      ...extraArgs,
    ],
    {},
    { exactly: true },
  )
  const link = /(http:\/\/\S+\/console\/link\/\S+)/.exec(process.output())?.[1]
  if (!link) {
    await process.stop()
    throw new Error(`the demo printed no sign-in link:\n${process.output()}`)
  }
  const admin = new HttpClient(process.url, ADMIN_KEY)
  return {
    url: process.url,
    process,
    demoLink: link,
    admin,
    async mailedLink(email) {
      const list = await admin.get('/admin/outbox?pagination[count]=200')
      expect(list.status, list.text).toBe(200)
      const messages = (list.body.data.messages as { id: string; to: string; created_at: string }[]).filter((m) => m.to === email)
      const newest = messages.sort((a, b) => a.created_at.localeCompare(b.created_at)).at(-1)
      expect(newest, `a message to ${email}`).toBeDefined()
      const message = await admin.get(`/admin/outbox/${newest?.id}`)
      const url = /(https?:\/\/\S+\/console\/link\/[0-9A-Za-z_-]+)/.exec(message.body.data.message.text)?.[1]
      expect(url, message.text).toBeDefined()
      return url as string
    },
    async stop() {
      await process.stop()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS })
}

/** What a page did that a test may hold against it. */
export interface Watched {
  page: Page
  context: BrowserContext
  /** Console errors and warnings, uncaught exceptions. */
  problems: string[]
  /** Requests the page tried to send anywhere but the server (each refused). */
  foreignRequests: string[]
  /** Problems about the Content-Security-Policy (a refused inline script or style, eval, a foreign source). */
  cspViolations(): string[]
}

/** A fresh browser context (its own cookies) at 1280×800 that records console problems and refuses other hosts. */
export async function openPage(browser: Browser, server: { url: string }): Promise<Watched> {
  const context = await browser.newContext({ viewport: VIEWPORT, baseURL: server.url, locale: 'en-GB', timezoneId: 'UTC' })
  const origin = new URL(server.url).origin
  const foreignRequests: string[] = []
  await context.route('**/*', (route) => {
    const url = route.request().url()
    if (new URL(url).origin === origin) return route.continue()
    foreignRequests.push(url)
    return route.abort('blockedbyclient')
  })
  const page = await context.newPage()
  const problems: string[] = []
  page.on('console', (message) => {
    if (message.type() === 'error' || message.type() === 'warning') problems.push(`console.${message.type()}: ${message.text()}`)
  })
  page.on('pageerror', (error) => problems.push(`pageerror: ${error.message}`))
  return {
    page,
    context,
    problems,
    foreignRequests,
    cspViolations: () =>
      problems.filter((p) => /content security policy|content-security-policy|refused to (apply|execute|load|connect|frame)/i.test(p)),
  }
}

/** Saves the page as docs/screenshots/<name>.png (with SCREENSHOTS=1) at 1280×800. */
export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true })
  // No caret blinking or spinner mid-turn in the picture.
  await page.screenshot({ path: join(SCREENSHOT_DIR, `${name}.png`), animations: 'disabled', caret: 'hide' })
}

/** axe-core on the page as it is: no violation of impact serious or critical (WCAG 2.x A and AA, and best practices). */
export async function expectAccessible(page: Page, what: string): Promise<void> {
  // The settled page: a list being asked again is dimmed (aria-busy) for a moment, below contrast on purpose.
  // Polled from here: a predicate evaluated in the page would be a string `eval`, which the console's CSP refuses.
  await expect.poll(() => page.locator('[aria-busy="true"]').count(), { timeout: 10_000 }).toBe(0)
  const results = await new AxeBuilder({ page })
    .withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'])
    .analyze()
  const serious = results.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.help}\n    ${v.nodes.map((n) => n.target.join(' ')).join('\n    ')}`)
  expect(serious, `axe on ${what}`).toEqual([])
}

/** Signs in through the sign-in page. */
export async function signInWithPassword(page: Page, email: string, password: string): Promise<void> {
  await page.goto('/console/sign-in')
  await page.getByLabel('Email').fill(email)
  await page.getByLabel('Password').fill(password)
  await page.getByRole('button', { name: 'Sign in' }).click()
}

/**
 * A demo member chooses a password the way a new person does: asks for a link on the "Forgot your password?"
 * page, and opens the set-password link mailed to them (read from the outbox). Leaves the page signed in.
 */
export async function setPasswordThroughLink(server: DemoServer, page: Page, email: string, password = MEMBER_PASSWORD): Promise<void> {
  const asked = await new HttpClient(server.url, undefined).post('/console/api/password-resets', { email })
  expect(asked.status, asked.text).toBe(202)
  await page.goto(new URL(await server.mailedLink(email)).pathname)
  await page.getByLabel('New password').fill(password)
  await page.getByLabel('Confirm the password').fill(password)
  await page.getByRole('button', { name: /sign in/i }).click()
}

/**
 * One demo server, one Chromium and one watched tab for the describe block it is called in: started before its
 * tests, stopped after them. Reading `server`, `browser` or `tab` before beforeAll has run throws.
 */
export function consoleSuite(serverArgs: () => string[] = () => []): { server: DemoServer; browser: Browser; tab: Watched } {
  let server: DemoServer | undefined
  let browser: Browser | undefined
  let tab: Watched | undefined
  beforeAll(async () => {
    ;[server, browser] = await Promise.all([startDemoServer(serverArgs()), launchChromium()])
    tab = await openPage(browser, server)
  })
  afterAll(async () => {
    await browser?.close()
    await server?.stop()
  })
  return {
    server: startedLater(() => server, "the suite's server"),
    browser: startedLater(() => browser, "the suite's Chromium"),
    tab: startedLater(() => tab, "the suite's tab"),
  }
}

/** What every browser suite ends on: no CSP violation, no request to another host, no uncaught error. */
export function expectCleanRun(tab: Watched): void {
  expect(tab.cspViolations()).toEqual([])
  expect(tab.foreignRequests).toEqual([])
  expect(tab.problems.filter((p) => p.startsWith('pageerror'))).toEqual([])
}
