import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Gatehouse, startGatehouse } from './helpers/gatehouse.js'

describe('smoke', () => {
  let gh: Gatehouse
  beforeAll(async () => {
    gh = await startGatehouse()
  })
  afterAll(() => gh.stop())

  it('serves the workspace of the token', async () => {
    const ws = await gh.workspace()
    const res = await ws.http.get('/')
    expect(res.status).toBe(200)
    expect(res.body).toEqual({ data: { workspace: { id: ws.id, slug: ws.slug, name: ws.name } } })
  })
})
