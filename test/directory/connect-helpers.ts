import { expect } from 'vitest'
import { runSync } from '../../src/directory/sync/run.js'
import type { Gatehouse, HttpClient, SeededWorkspace } from '../helpers/gatehouse.js'

/** Connects a workspace of `gh` (the same server plays the remote) through `POST /directory/connections`. */
export async function connectViaApi(api: HttpClient, gh: Gatehouse, ws: SeededWorkspace, name?: string): Promise<any> {
  const res = await api.post('/directory/connections', { token: ws.token, baseUrl: gh.url, ...(name === undefined ? {} : { name }) })
  if (res.status !== 201) throw new Error(`connect failed: ${res.status} ${res.text}`)
  return res.body
}

/** Runs a real sync of the connection in this process and expects it to succeed. */
export async function syncNow(gh: Gatehouse, connectionId: string) {
  const run = await runSync(gh.server.directory, connectionId, { trigger: 'test' })
  expect(run.state, run.error ?? '').toBe('succeeded')
  return run
}

/** Follows `next_cursor` to the end; returns every page. */
export async function walk(api: HttpClient, path: string): Promise<any[][]> {
  const pages: any[][] = []
  let cursor: string | null = null
  const join = path.includes('?') ? '&' : '?'
  for (let i = 0; i < 1000; i++) {
    const res = await api.get(cursor === null ? path : `${path}${join}cursor=${encodeURIComponent(cursor)}`)
    expect(res.status, res.text).toBe(200)
    pages.push(res.body.result)
    cursor = res.body.next_cursor
    if (cursor === null) return pages
  }
  throw new Error('the walk never ended')
}
