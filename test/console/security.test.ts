import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { HttpClient } from '../helpers/gatehouse.js'
import { consoleSuite, VIEWPORT } from './support.js'

/*
 * The console against another site, in a real browser. The console runs on 127.0.0.1; the attacker's pages are
 * served from `localhost` (another site to the browser: ports alone would be the same site), and try what a
 * hostile page can: post forms and fetches at the console API with the victim's cookie, frame the console, and
 * smuggle markup in through a person's name.
 */

const XSS_NAME = '<img src=x onerror=alert(1)>'

/** A one-page site on localhost serving `html` at every path. */
async function serveAttackerSite(html: () => string): Promise<{ url: string; server: Server }> {
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' })
    res.end(html())
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return { url: `http://localhost:${(server.address() as AddressInfo).port}`, server }
}

describe('console: another site cannot act for a signed-in person', { timeout: 90_000 }, () => {
  const suite = consoleSuite()
  let context: BrowserContext
  let page: Page
  let attacker: { url: string; server: Server }
  let target = ''
  let workspaceId = ''

  beforeAll(async () => {
    // A context of our own: the suite's tab refuses requests to other hosts, and these tests need one.
    context = await suite.browser.newContext({ viewport: VIEWPORT, baseURL: suite.server.url })
    page = await context.newPage()
    await page.goto(suite.server.demoLink)
    await page.getByRole('button', { name: 'Sign in' }).click()
    await page.waitForURL(/\/console\/workspaces\/[^/]+\/users$/)
    workspaceId = new URL(page.url()).pathname.split('/')[3] as string
    target = suite.server.url
    attacker = await serveAttackerSite(() => attackPage(target, workspaceId))
  })

  afterAll(async () => {
    await context?.close()
    attacker?.server.close()
  })

  it('sets the session cookie HttpOnly and SameSite=Lax (not Secure over plain http)', async () => {
    const cookie = (await context.cookies()).find((c) => c.name === 'gatehouse_session')
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Lax', secure: false, path: '/' })
  })

  it('changes nothing when a page on another site posts forms and fetches at the console API', async () => {
    const sessionsBefore = await liveSessions(page)
    const invitesBefore = await pendingInvites()

    const attack = await context.newPage()
    const refused: number[] = []
    // The attack's POSTs only: the page's console iframe (kept for the framing test) may start loading before its
    // script removes it, and that GET's 200 is no attack.
    attack.on('response', (res) => {
      if (res.url().startsWith(target) && res.request().method() === 'POST') refused.push(res.status())
    })
    await attack.goto(`${attacker.url}/`)
    // Each form posts into its own iframe; the fetches run on load. Wait until every one has been answered.
    await expect.poll(() => attack.evaluate('window.done ?? 0'), { timeout: 15_000 }).toBe(2)
    await expect.poll(() => refused.length, { timeout: 15_000 }).toBeGreaterThanOrEqual(4)
    // Whatever the browser let through, the server refused it (a 403, or a 401 when the cookie stayed home).
    expect(refused.filter((status) => status !== 401 && status !== 403)).toEqual([])
    await attack.close()

    expect(await liveSessions(page)).toBe(sessionsBefore)
    expect(await pendingInvites()).toEqual(invitesBefore)
    // Still signed in: the "sign out everywhere" form did not end this session.
    expect((await page.request.get('/console/api/session')).status()).toBe(200)
  })

  it('cannot be framed by another site', async () => {
    const framing = await context.newPage()
    await framing.goto(`${attacker.url}/frame`)
    await framing.waitForLoadState('load')
    const frame = framing.frames().find((f) => f !== framing.mainFrame())
    // Chromium refuses the frame (frame-ancestors 'none', X-Frame-Options DENY): no console document inside.
    const inside = frame ? await frame.evaluate<string>('document.title').catch(() => '') : ''
    expect(inside).not.toMatch(/Gatehouse/)
    await framing.close()
  })

  it('shows a name made of markup as text and runs none of it', async () => {
    const added = await suite.server.admin.post(`/admin/workspaces/${workspaceId}/users`, {
      users: [{ email: 'markup@demo.example', name: XSS_NAME }],
    })
    expect(added.status, added.text).toBe(201)
    const dialogs: string[] = []
    page.on('dialog', (dialog) => {
      dialogs.push(dialog.message())
      void dialog.dismiss()
    })
    await page.goto(`/console/workspaces/${workspaceId}/users`)
    await page.getByLabel('Search users').fill('markup@')
    const row = page.getByRole('row', { name: /markup@demo\.example/ })
    await row.waitFor()
    expect(await row.textContent()).toContain(XSS_NAME)
    expect(await page.locator('img[src="x"]').count()).toBe(0)
    expect(dialogs).toEqual([])
  })

  async function liveSessions(p: Page): Promise<number> {
    const res = await p.request.get('/console/api/account/sessions')
    expect(res.status()).toBe(200)
    return (await res.json()).data.sessions.length
  }

  /** Members and pending invites of the demo workspace, through the Public API. */
  async function pendingInvites(): Promise<{ users: string[]; invites: string[] }> {
    const made = await suite.server.admin.post(`/admin/workspaces/${workspaceId}/tokens`, { description: 'security test', role: 'OWNER' })
    expect(made.status, made.text).toBe(201)
    const api = new HttpClient(suite.server.url, made.body.data.secret as string)
    const users = await api.get('/users?pagination[count]=200')
    const invites = await api.get('/invites?pagination[count]=200')
    expect([users.status, invites.status]).toEqual([200, 200])
    return {
      users: (users.body.data.users as { email: string }[]).map((u) => u.email).sort(),
      invites: (invites.body.data.invites as string[]).sort(),
    }
  }
})

/**
 * The attacker's page: forms that auto-submit (text/plain bodies shaped like JSON, the classic way round
 * "JSON only") to sign the victim out everywhere and to add a member, and credentialed no-cors fetches of the
 * same. `/frame` frames the console instead.
 */
function attackPage(target: string, workspaceId: string): string {
  const api = `${target}/console/api`
  return `<!doctype html><html><head><title>Attacker</title></head><body>
<iframe name="sink1"></iframe><iframe name="sink2"></iframe>
<form id="f1" method="POST" action="${api}/account/sessions/revoke-all" enctype="text/plain" target="sink1">
<input name='{"x":"' value='"}'></form>
<form id="f2" method="POST" action="${api}/workspaces/${workspaceId}/invites" enctype="text/plain" target="sink2">
<input name='{"invites":[{"email":"evil@attacker.example","permissions":[]}],"x":"' value='"}'></form>
<iframe id="framed" title="console" src="${target}/console/"></iframe>
<script>
  const framing = location.pathname === '/frame'
  if (!framing) {
    document.getElementById('framed').remove()
    document.getElementById('f1').submit()
    document.getElementById('f2').submit()
    window.done = 0
    const post = (path, body) => fetch('${api}' + path, { method: 'POST', mode: 'no-cors', credentials: 'include',
      headers: { 'content-type': 'text/plain' }, body }).catch(() => {}).finally(() => { window.done += 1 })
    post('/account/sessions/revoke-all', '{}')
    post('/workspaces/${workspaceId}/invites', JSON.stringify({ invites: [{ email: 'evil@attacker.example', permissions: [] }] }))
  }
</script></body></html>`
}
