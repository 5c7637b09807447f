import { newConnectionRow } from '../../src/directory/connections.js'
import type { ConnectionRow } from '../../src/store/queries/connections.js'
import { type Gatehouse, HttpClient, type SeededWorkspace } from './gatehouse.js'

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
