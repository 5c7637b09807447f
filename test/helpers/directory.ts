import { afterAll, afterEach, beforeAll } from 'vitest'
import { isoNow } from '../../src/clock.js'
import { newConnectionRow } from '../../src/directory/connections.js'
import type { ConnectionRow } from '../../src/store/queries/connections.js'
import { type Gatehouse, HttpClient, type SeededWorkspace, startedLater, startGatehouse } from './gatehouse.js'

/**
 * Connects a workspace of `gh` (the same server plays the remote) to its directory by inserting the
 * connection row directly, its token sealed with the server's own cipher. The connections engineer may
 * switch this to `POST /directory/connections` once that route exists.
 */
export async function connect(
  gh: Gatehouse,
  workspace: SeededWorkspace,
  options: { name?: string; token?: string } = {},
): Promise<ConnectionRow> {
  const ctx = gh.server.directory
  const row = newConnectionRow({
    name: options.name ?? workspace.slug,
    baseUrl: gh.url,
    sealedToken: ctx.cipher.seal(options.token ?? workspace.token),
    workspace,
    now: isoNow(ctx.store.clock),
  })
  await ctx.store.write((q) => q.connections.insert(row))
  return row
}

/** A client of the /directory API with a fresh directory API key. */
export async function directoryClient(gh: Gatehouse): Promise<HttpClient> {
  const res = await gh.admin.post('/admin/directory/api-keys', { description: 'tests' })
  if (res.status !== 201) throw new Error(`api key create failed: ${res.status} ${res.text}`)
  return new HttpClient(gh.url, res.body.data.secret)
}

/**
 * One Gatehouse and a /directory API client for the describe block it is called in: started before its tests,
 * stopped after them, and with `clearFaultsAfterEach` every injected fault cleared after each test. The answer's
 * `gh` and `api` stand for the server and the client once beforeAll has started them (using them sooner throws).
 */
export function directoryServerForSuite(options: { clearFaultsAfterEach?: boolean } = {}): { gh: Gatehouse; api: HttpClient } {
  let gh: Gatehouse | undefined
  let api: HttpClient | undefined
  beforeAll(async () => {
    gh = await startGatehouse()
    api = await directoryClient(gh)
  })
  afterAll(() => gh?.stop())
  if (options.clearFaultsAfterEach) {
    afterEach(async () => {
      await gh?.admin.delete('/admin/faults')
    })
  }
  return { gh: startedLater(() => gh, "the suite's Gatehouse"), api: startedLater(() => api, "the suite's directory client") }
}
