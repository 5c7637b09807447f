import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { directoryClient } from '../helpers/directory.js'
import { type Gatehouse, type HttpClient, startGatehouse } from '../helpers/gatehouse.js'
import { act, MINIMAL_ROLE } from './actions-helpers.js'

const AT = '2031-02-03T04:05:06.007Z'

/** The directory keeps time by the server's clock, like the IAM half: a test clock moves connections, runs and events alike. */
describe('the directory on a manual clock', () => {
  let gh: Gatehouse
  let api: HttpClient
  beforeAll(async () => {
    gh = await startGatehouse({ clock: `manual=${AT}` })
    api = await directoryClient(gh)
  })
  afterAll(() => gh?.stop())

  it('stamps connections, sync runs, actions and their events with the clock’s time', async () => {
    const ws = await gh.workspace()
    const created = await api.post('/directory/connections', { baseUrl: gh.url, token: ws.token })
    expect(created.status, created.text).toBe(201)
    const connection = created.body
    expect([connection.created_at, connection.updated_at]).toEqual([AT, AT])

    const run = await api.post(`/directory/connections/${connection.id}/sync`, {})
    expect(run.status, run.text).toBe(202)
    expect(run.body.started_at).toBe(AT)
    let finished = run.body
    for (let i = 0; i < 100 && finished.state === 'running'; i++) {
      await new Promise((resolve) => setTimeout(resolve, 50))
      finished = (await api.get(`/directory/sync-runs/${run.body.id}`)).body
    }
    expect([finished.state, finished.finished_at]).toEqual(['succeeded', AT])

    const invited = await act(api, 'invite', { connection_id: connection.id, email: 'new.hire@example.com', role_ids: [MINIMAL_ROLE] })
    expect(invited.status, invited.text).toBe(200)
    expect([invited.body.started_at, invited.body.finished_at]).toEqual([AT, AT])
    const events = await api.get('/directory/events?limit=1000')
    const created_at = new Set(events.body.result.map((e: { created_at: string }) => e.created_at))
    expect(events.body.result.length).toBeGreaterThan(0)
    expect([...created_at]).toEqual([AT])
  })
})
