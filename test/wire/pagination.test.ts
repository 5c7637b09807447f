import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Gatehouse, type HttpResult, type SeededWorkspace, startGatehouse } from '../helpers/gatehouse.js'

const enc = encodeURIComponent
const SEEDED = 1000
const PAGE = 37

interface Page {
  ids: string[]
  pagination: { current: string; next: string | null; previous: string | null; totalEntries?: number }
}

async function page(ws: SeededWorkspace, query: string): Promise<Page> {
  const res: HttpResult = await ws.http.get(`/users${query}`)
  expect(res.status, res.text).toBe(200)
  return { ids: res.body.data.users.map((u: { id: string }) => u.id), pagination: res.body.data.pagination }
}

const cursorQuery = (cursor: string, count = PAGE) => `?pagination%5Bcursor%5D=${enc(cursor)}&pagination%5Bcount%5D=${count}`

/** Follows `next` from the first page until it is null; `between` runs after each page. */
async function walkForward(ws: SeededWorkspace, between?: (pageIndex: number) => Promise<void>): Promise<Page[]> {
  const pages = [await page(ws, `?pagination%5Bcount%5D=${PAGE}`)]
  for (let i = 0; ; i++) {
    const next = pages[pages.length - 1]?.pagination.next
    if (!next) return pages
    if (between) await between(i)
    pages.push(await page(ws, cursorQuery(next)))
    expect(pages.length).toBeLessThan(200) // a walk that never ends is a bug, not a slow test
  }
}

describe('pagination', () => {
  let gh: Gatehouse
  let ws: SeededWorkspace
  let allIds: string[]
  beforeAll(async () => {
    gh = await startGatehouse()
    ws = await gh.workspace()
    const users = await gh.addUsers(
      ws,
      Array.from({ length: SEEDED }, (_, i) => `user${String(i).padStart(4, '0')}@page.example`),
    )
    allIds = [ws.owner.id, ...users.map((u) => u.id)]
  })
  afterAll(() => gh.stop())

  it('walks every user exactly once via next, in a stable order, with the right totalEntries', async () => {
    const pages = await walkForward(ws)
    const seen = pages.flatMap((p) => p.ids)
    expect(seen).toHaveLength(SEEDED + 1)
    expect(new Set(seen).size).toBe(seen.length)
    expect(new Set(seen)).toEqual(new Set(allIds))
    expect(pages).toHaveLength(Math.ceil((SEEDED + 1) / PAGE))
    for (const p of pages.slice(0, -1)) expect(p.ids).toHaveLength(PAGE)
    for (const p of pages) expect(p.pagination.totalEntries).toBe(SEEDED + 1)
    // stable: a second walk and one big page give the same sequence
    const again = (await walkForward(ws)).flatMap((p) => p.ids)
    expect(again).toEqual(seen)
    const whole = await page(ws, '?pagination%5Bcount%5D=1000')
    const rest = await page(ws, cursorQuery(whole.pagination.next as string, 1000))
    expect([...whole.ids, ...rest.ids]).toEqual(seen)
  })

  it('walks backwards via previous from the last page to the first, giving the same rows in the same order', async () => {
    const forward = await walkForward(ws)
    const seen = forward.flatMap((p) => p.ids)
    const last = forward[forward.length - 1] as Page
    expect(last.pagination.next).toBeNull()
    const backward: Page[] = [last]
    for (let prev = last.pagination.previous; prev; prev = (backward[backward.length - 1] as Page).pagination.previous) {
      const p = await page(ws, cursorQuery(prev))
      expect(p.ids.length).toBeGreaterThan(0)
      expect(p.ids.length).toBeLessThanOrEqual(PAGE)
      expect(p.pagination.next).toEqual(expect.any(String))
      backward.push(p)
      expect(backward.length).toBeLessThan(200)
    }
    const rows = backward.reverse().flatMap((p) => p.ids)
    expect(rows).toEqual(seen)
    // turning round again: `next` of a page reached backwards continues forward without gaps
    const second = backward[1] as Page
    const third = await page(ws, cursorQuery(second.pagination.next as string))
    expect(third.ids[0]).toBe(seen[seen.indexOf(second.ids[second.ids.length - 1] as string) + 1])
  })

  it('answers a cursor with the same page every time (current re-reads the page)', async () => {
    const first = await page(ws, `?pagination.count=${PAGE}`)
    const second = await page(ws, cursorQuery(first.pagination.next as string))
    const again = await page(ws, cursorQuery(second.pagination.current))
    expect(again.ids).toEqual(second.ids)
    const firstAgain = await page(ws, cursorQuery(first.pagination.current))
    expect(firstAgain.ids).toEqual(first.ids)
  })

  it('defaults to 200 per page when pagination is absent', async () => {
    const p = await page(ws, '')
    expect(p.ids).toHaveLength(200)
    expect(p.pagination.next).toEqual(expect.any(String))
    expect(p.pagination.previous).toBeNull()
    expect(p.pagination.totalEntries).toBe(SEEDED + 1)
    const withoutCount = await page(ws, `?pagination.cursor=${enc(p.pagination.next as string)}`)
    expect(withoutCount.ids).toHaveLength(200)
    expect(withoutCount.ids[0]).not.toBe(p.ids[0])
  })

  it('allows count=1000', async () => {
    const p = await page(ws, '?pagination.count=1000')
    expect(p.ids).toHaveLength(1000)
    expect(p.pagination.next).toEqual(expect.any(String))
  })

  it('sends previous null on the first page and next null on the last', async () => {
    const first = await page(ws, '?pagination.count=500')
    expect(first.pagination.previous).toBeNull()
    expect(first.pagination.next).toEqual(expect.any(String))
    const middle = await page(ws, cursorQuery(first.pagination.next as string, 500))
    expect(middle.pagination.previous).toEqual(expect.any(String))
    expect(middle.pagination.next).toEqual(expect.any(String))
    const last = await page(ws, cursorQuery(middle.pagination.next as string, 500))
    expect(last.ids).toHaveLength(1)
    expect(last.pagination.next).toBeNull()
    expect(last.pagination.previous).toEqual(expect.any(String))
    // and previous from the last page lands on the middle page
    expect((await page(ws, cursorQuery(last.pagination.previous as string, 500))).ids).toEqual(middle.ids)
  })

  it('sends next null when everything fits on one page, and on an exact final page', async () => {
    const small = await gh.workspace()
    await gh.addUsers(small, ['x1@page.example', 'x2@page.example', 'x3@page.example'])
    const one = await page(small, '?pagination.count=10')
    expect(one.ids).toHaveLength(4)
    expect(one.pagination.next).toBeNull()
    expect(one.pagination.previous).toBeNull()
    const exact = await page(small, '?pagination.count=2')
    const second = await page(small, cursorQuery(exact.pagination.next as string, 2))
    expect(second.ids).toHaveLength(2)
    expect(second.pagination.next).toBeNull()
  })

  it('never skips or repeats a surviving row when users are inserted and deleted between pages', async () => {
    const live = await gh.workspace()
    const seeded = await gh.addUsers(
      live,
      Array.from({ length: 300 }, (_, i) => `live${String(i).padStart(3, '0')}@page.example`),
    )
    const initial = [live.owner.id, ...seeded.map((u) => u.id)]
    const seen: string[] = []
    const deleted = new Set<string>()
    const deletedUnseen = new Set<string>()
    const inserted = new Set<string>()
    let round = 0
    let current = await page(live, `?pagination.count=${PAGE}`)
    seen.push(...current.ids)
    while (current.pagination.next) {
      // Between pages, delete rows already seen (among them the row the cursor points at) and rows not yet
      // seen (among them the one the next page would start with), never the owner; then insert three.
      const seenSet = new Set(seen)
      const pickEdges = (ids: string[]) =>
        [...new Set([ids[0], ids[Math.floor(ids.length / 2)], ids[ids.length - 1]])].filter((id) => id !== undefined)
      const deletable = (id: string) => id !== live.owner.id && !deleted.has(id)
      const alreadySeen = pickEdges(seen.filter(deletable).filter((id) => initial.includes(id)))
      const notYetSeen = pickEdges(initial.filter((id) => deletable(id) && !seenSet.has(id)))
      const doomed = [...alreadySeen, ...notYetSeen]
      if (doomed.length > 0) {
        const res = await live.http.delete(`/users?${doomed.map((id, i) => `userIds%5B${i}%5D=${id}`).join('&')}`)
        expect(res.status, res.text).toBe(200)
        for (const id of doomed) deleted.add(id)
        for (const id of notYetSeen) deletedUnseen.add(id)
      }
      const fresh = await gh.addUsers(
        live,
        [0, 1, 2].map((i) => `new-${round}-${i}@page.example`),
      )
      for (const u of fresh) inserted.add(u.id)
      round++
      current = await page(live, cursorQuery(current.pagination.next))
      seen.push(...current.ids)
      expect(round).toBeLessThan(100)
    }

    // no row at all appears twice
    expect(new Set(seen).size).toBe(seen.length)
    // every row present from the start and never deleted appears exactly once
    const seenSet = new Set(seen)
    const survivors = initial.filter((id) => !deleted.has(id))
    for (const id of survivors) expect(seenSet.has(id), `survivor ${id}`).toBe(true)
    // rows deleted before the walk reached them never appear
    expect(deletedUnseen.size).toBeGreaterThan(0)
    for (const id of deletedUnseen) expect(seenSet.has(id), `deleted ${id}`).toBe(false)
    // every row seen is a row that existed at some point during the walk
    for (const id of seen) expect(initial.includes(id) || inserted.has(id)).toBe(true)
    // the walk keeps the list order: ids come back in the order a fresh walk gives them
    const after = (await walkForward(live)).flatMap((p) => p.ids)
    const order = new Map(after.map((id, i) => [id, i]))
    const stillThere = seen.filter((id) => order.has(id))
    expect(stillThere.map((id) => order.get(id))).toEqual([...stillThere.map((id) => order.get(id) as number)].sort((x, y) => x - y))
    // and totalEntries follows the changes
    const total = (await page(live, '?pagination.count=1')).pagination.totalEntries
    expect(total).toBe(initial.length - deleted.size + inserted.size)
    expect(after).toHaveLength(total as number)
  })
})
