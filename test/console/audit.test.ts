import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { consoleSuite, expectAccessible, expectCleanRun, screenshot } from './support.js'

/** A CSV of this export (no cell here holds a comma or quote): rows of cells, the header first. */
function parseCsv(text: string): string[][] {
  return text
    .split('\r\n')
    .filter((line) => line !== '')
    .map((line) => line.split(','))
}

// Issue 11, test 5: the Audit Trail filtered, then its CSV export holds exactly the filtered events.
describe('console: Settings → Audit Trail', { timeout: 90_000 }, () => {
  const suite = consoleSuite()
  let workspaceId: string

  it('shows the trail newest first, and pages', async () => {
    const { page } = suite.tab
    await page.goto(suite.server.demoLink)
    await page.getByRole('button', { name: 'Sign in' }).click()
    await page.waitForURL(/\/console\/workspaces\/[^/]+\/users$/)
    workspaceId = new URL(page.url()).pathname.split('/')[3] as string
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Audit Trail' }).click()
    await page.getByRole('heading', { name: 'Audit Trail', level: 1 }).waitFor()
    const rows = page.getByRole('table', { name: 'Audit events' }).locator('tbody tr')
    await expect.poll(() => rows.count()).toBe(25)
    await screenshot(page, 'audit')
    await expectAccessible(page, 'the Audit Trail page')
    const firstPage = await rows.allTextContents()
    await page.getByRole('button', { name: 'Next' }).click()
    await expect.poll(async () => (await rows.allTextContents())[0]).not.toBe(firstPage[0])
    await page.getByRole('button', { name: 'Previous' }).click()
    await expect.poll(() => rows.allTextContents()).toEqual(firstPage)
  })

  it('filters by type and resource, and exports exactly the filtered events as CSV', async () => {
    const { page } = suite.tab
    const types = (await (await page.request.get(`/console/api/workspaces/${workspaceId}/audit/event-types`)).json()).data.types
    expect(types).toContain('Policy Created')
    await page.getByLabel('Event type').selectOption('Policy Created')
    await page.getByRole('button', { name: 'Apply filters' }).click()
    const table = page.getByRole('table', { name: 'Audit events' })
    await expect
      .poll(async () => new Set(await table.locator('tbody tr td:nth-child(2)').allTextContents()))
      .toEqual(new Set(['Policy Created']))

    // What the API lists for the same filter, every page of it.
    const listed: { id: string; type: string }[] = []
    let cursor: string | undefined
    do {
      const query = new URLSearchParams({ type: 'Policy Created', count: '200', ...(cursor ? { cursor } : {}) })
      const res = await page.request.get(`/console/api/workspaces/${workspaceId}/audit?${query}`)
      const body = (await res.json()).data
      listed.push(...body.events)
      cursor = body.pagination.next ?? undefined
    } while (cursor)
    expect(listed.length).toBeGreaterThan(1)

    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Export CSV' }).click()])
    expect(download.suggestedFilename()).toMatch(/^audit-demo-\d{4}-\d{2}-\d{2}\.csv$/)
    const [header, ...rows] = parseCsv(readFileSync(await download.path(), 'utf8'))
    expect(header).toEqual(['timestamp', 'type', 'actor', 'actor_email', 'resource_type', 'resource_id', 'resource_name', 'id'])
    expect(rows.map((r) => r.at(-1))).toEqual(listed.map((e) => e.id))
    expect(new Set(rows.map((r) => r[1]))).toEqual(new Set(['Policy Created']))

    // Narrowed further by a resource's name: the table and the export follow.
    const resourceName = (listed[0] as unknown as { resourceName: string }).resourceName
    await page.getByLabel('Resource').fill(resourceName)
    await page.getByRole('button', { name: 'Apply filters' }).click()
    await expect.poll(() => table.locator('tbody tr').count()).toBeLessThan(Math.min(25, listed.length) + 1)
    const [narrow] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Export CSV' }).click()])
    const narrowRows = parseCsv(readFileSync(await narrow.path(), 'utf8')).slice(1)
    expect(narrowRows.length).toBeGreaterThan(0)
    expect(narrowRows.length).toBeLessThanOrEqual(rows.length)
    for (const row of narrowRows) {
      expect(row[1]).toBe('Policy Created')
      expect(row.join(',').toLowerCase()).toContain(resourceName.toLowerCase())
    }
    expect(await table.locator('tbody tr').count()).toBe(Math.min(25, narrowRows.length))
  })

  it('broke no CSP rule and reached no other host', () => {
    expectCleanRun(suite.tab)
  })
})
