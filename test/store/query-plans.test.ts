import { CompiledQuery, type KyselyPlugin, type PluginTransformQueryArgs, type PluginTransformResultArgs } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openSqlite } from '../../src/store/dialects/sqlite.js'
import { createQueries } from '../../src/store/queries/index.js'
import type { DialectHandle } from '../../src/store/store.js'
import { type Gatehouse, type SeededWorkspace, startGatehouse } from '../helpers/gatehouse.js'
import { testStore } from '../helpers/postgres.js'

/** Records each statement the queries compile, with its parameters, to ask SQLite how it would run it. */
class Recorder implements KyselyPlugin {
  statements: CompiledQuery[] = []
  constructor(private readonly compile: (args: PluginTransformQueryArgs) => CompiledQuery) {}
  transformQuery(args: PluginTransformQueryArgs) {
    this.statements.push(this.compile(args))
    return args.node
  }
  async transformResult({ result }: PluginTransformResultArgs) {
    return result
  }
}

/*
 * Tenant scoping added a `workspace_id` term to the membership joins, and SQLite answered one of them by walking
 * every user of the workspace and sorting (20x slower at 20,000 users; found by bench:sync). The membership reads
 * must start from the membership's own index, whatever the workspace's size.
 */
describe.skipIf(testStore() !== 'sqlite')('query plans of the membership reads (SQLite)', () => {
  let gh: Gatehouse
  let ws: SeededWorkspace
  let handle: DialectHandle
  const ids = { group: '', user: '', invite: '' }

  beforeAll(async () => {
    gh = await startGatehouse()
    ws = await gh.workspace()
    const users = []
    for (let batch = 0; batch < 2; batch++)
      users.push(
        ...(await gh.addUsers(
          ws,
          Array.from({ length: 1000 }, (_, i) => `user${batch * 1000 + i}@example.com`),
        )),
      )
    const group = await ws.http.post('/groups', { name: 'eng' })
    ids.group = group.body.data.userGroup.id
    await ws.http.post(`/groups/${ids.group}/users`, { emails: ['user1@example.com', 'user2@example.com', 'new@example.com'] })
    for (let g = 0; g < 30; g++) await ws.http.post('/groups', { name: `team-${g}` })
    ids.user = (users[1] as { id: string }).id
    const invites = await ws.http.get(`/groups/${ids.group}/invites`)
    expect(invites.body.data.emails).toEqual(['new@example.com'])
    handle = openSqlite({ file: gh.dbFile })
  })
  afterAll(async () => {
    await handle?.destroy()
    await gh?.stop()
  })

  async function plansOf(read: (q: ReturnType<typeof createQueries>) => Promise<unknown>): Promise<string[]> {
    const recorder = new Recorder(({ node, queryId }) => handle.db.getExecutor().compileQuery(node, queryId))
    await read(createQueries(handle.db.withPlugin(recorder), handle))
    const plans: string[] = []
    for (const statement of recorder.statements) {
      const explained = await handle.db.executeQuery<{ detail: string }>(
        CompiledQuery.raw(`explain query plan ${statement.sql}`, [...statement.parameters]),
      )
      plans.push(explained.rows.map((r) => r.detail).join(' | '))
    }
    return plans
  }

  it('lists a group’s members and invites from the group’s memberships, not the workspace’s users or invites', async () => {
    const seek = { direction: 'after' as const, key: null, limit: 200 }
    const [members] = await plansOf((q) => q.groups.listMembers(ws.id, ids.group, seek))
    const [invites] = await plansOf((q) => q.groups.listInvites(ws.id, ids.group, seek))
    expect(members).toMatch(/^SEARCH m USING (COVERING )?INDEX sqlite_autoindex_group_members_1 \(group_id=\?/)
    expect(invites).toMatch(/^SEARCH gi USING (COVERING )?INDEX sqlite_autoindex_group_invites_1 \(group_id=\?/)
    for (const plan of [members, invites]) expect(plan).not.toMatch(/TEMP B-TREE/)
  })

  it('finds a user’s groups from the user’s memberships, not the workspace’s groups', async () => {
    const seek = { direction: 'after' as const, key: null, limit: 200 }
    const [ofUser] = await plansOf((q) => q.groups.listGroupsOfUser(ws.id, ids.user, seek))
    const [ofUsers] = await plansOf((q) => q.groups.groupsOfUsers(ws.id, [ids.user]))
    for (const plan of [ofUser, ofUsers]) expect(plan).toMatch(/^SEARCH m USING (COVERING )?INDEX group_members_user \(user_id=\?/)
  })
})
