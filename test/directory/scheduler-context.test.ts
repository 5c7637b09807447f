import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { connect, directoryClient } from '../helpers/directory.js'
import { type Gatehouse, type HttpClient, startGatehouse } from '../helpers/gatehouse.js'
import { seedRemote, waitForRun } from './sync-helpers.js'

// The scheduler is carried on the directory context its server built, not found through module state: two
// servers in one process each start the API's syncs on their own scheduler.
describe('the sync scheduler on the directory context', () => {
  let one: Gatehouse
  let two: Gatehouse
  let apiOne: HttpClient
  let apiTwo: HttpClient
  beforeAll(async () => {
    ;[one, two] = [await startGatehouse(), await startGatehouse()]
    ;[apiOne, apiTwo] = [await directoryClient(one), await directoryClient(two)]
  })
  afterAll(async () => {
    await one?.stop()
    await two?.stop()
  })

  it('is built with its context and runs its syncs on it', () => {
    const { directory } = one.server
    expect(directory.scheduler.ctx).toBe(directory)
    expect(two.server.directory.scheduler).not.toBe(directory.scheduler)
  })

  it('is the one POST /directory/connections/{id}/sync starts runs on, per server', async () => {
    const [wsOne, wsTwo] = [await one.workspace(), await two.workspace()]
    await seedRemote(two, wsTwo, 'p')
    const [connOne, connTwo] = [await connect(one, wsOne), await connect(two, wsTwo)]

    await one.server.directory.scheduler.stop()
    const refused = await apiOne.post(`/directory/connections/${connOne.id}/sync`)
    expect(refused.status).toBe(503)
    expect(refused.body.errors[0]).toMatchObject({ type: 'unavailable', message: expect.stringMatching(/stopping/) })
    expect((await apiOne.get(`/directory/sync-runs?connection_id=${connOne.id}`)).body.result).toEqual([])

    // The other server's scheduler is untouched by the first one's stop.
    const started = await apiTwo.post(`/directory/connections/${connTwo.id}/sync`)
    expect(started.status, started.text).toBe(202)
    expect(await waitForRun(apiTwo, started.body.id)).toMatchObject({ state: 'succeeded', trigger: 'api' })
  })
})
