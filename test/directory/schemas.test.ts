import type { TSchema } from '@sinclair/typebox'
import { Value } from '@sinclair/typebox/value'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { presentConnection, presentGroup, presentRole, presentWorkspace } from '../../src/directory/present.js'
import { getPerson, presentUsers } from '../../src/directory/read.js'
import { ConnectionSchema } from '../../src/directory/schemas/connections.js'
import {
  DirectoryEventTypeSchema,
  PersonSchema,
  UnifiedGroupSchema,
  UnifiedRoleSchema,
  UnifiedUserSchema,
  UnifiedWorkspaceSchema,
} from '../../src/directory/schemas/unified.js'
import type { ConnectionRow } from '../../src/store/queries/connections.js'
import { directoryClient } from '../helpers/directory.js'
import { type Gatehouse, type HttpClient, type SeededWorkspace, startGatehouse } from '../helpers/gatehouse.js'
import { connectViaApi, syncNow } from './connect-helpers.js'
import { deleteUsers, ROLE, seedRemote } from './sync-helpers.js'

/**
 * The directory's TypeBox schemas are the only declaration of its models, and the response serializers are
 * compiled from them: a field a presenter adds without its schema would be dropped from the wire silently.
 * So every presented object of a real synced directory must validate, carry nothing its schema lacks, and
 * come back from the API exactly as presented.
 */
function expectFits(schema: TSchema, value: unknown) {
  expect([...Value.Errors(schema, value)].map((e) => `${e.path}: ${e.message}`)).toEqual([])
  // Clean drops what the schema does not declare, as the serializer does: nothing may go.
  expect(Value.Clean(schema, Value.Clone(value))).toStrictEqual(value)
}

const wire = <T>(value: T): T => JSON.parse(JSON.stringify(value))
// List order is the read API's own concern (read-api.test.ts): here both sides are put in one order.
const sortedBy =
  <K extends string>(key: K) =>
  <T extends Record<K, string>>(list: readonly T[]): T[] =>
    [...list].sort((a, b) => (a[key] < b[key] ? -1 : a[key] > b[key] ? 1 : 0))
const byId = sortedBy('id')
const byEmail = sortedBy('email')

// One remote with members, invites, direct and group-granted roles (one scoped by a label), two
// synced runs (so live rows show the last complete sync), then a deleted account and a deleted group.
describe('directory models: each presenter fits its schema and survives the serializer', () => {
  let gh: Gatehouse
  let api: HttpClient
  let ws: SeededWorkspace
  let conn: { id: string }

  beforeAll(async () => {
    gh = await startGatehouse()
    api = await directoryClient(gh)
    ws = await gh.workspace({ name: 'Schemas' })
    const seed = await seedRemote(gh, ws, 's')
    await gh.addUsers(
      ws,
      Array.from({ length: 8 }, (_, i) => `s.user${i}@example.com`),
    )
    const labelled = {
      roleId: ROLE.sourceAdmin,
      resources: [{ id: ws.id, type: 'WORKSPACE', labels: [{ key: 'environment', value: 'prod' }] }],
    }
    const grant = await ws.http.post(`/users/${seed.users[2]!.id}/permissions`, { permissions: [labelled] })
    expect(grant.status, grant.text).toBe(200)
    conn = await connectViaApi(api, gh, ws, 'schemas')
    await syncNow(gh, conn.id)
    await deleteUsers(ws, [seed.users[1]!.id])
    expect((await ws.http.delete(`/groups/${seed.ops}`)).status).toBe(200)
    await syncNow(gh, conn.id)
  })
  afterAll(() => gh?.stop())

  const get = async (path: string) => {
    const res = await api.get(path)
    expect(res.status, res.text).toBe(200)
    return res.body
  }
  const list = async (path: string): Promise<any[]> => {
    const body = await get(path)
    expect(body.next_cursor).toBeNull()
    return body.result
  }
  const connectionRow = () => gh.server.store.read(async (q) => (await q.connections.find(conn.id)) as ConnectionRow)

  it('users', async () => {
    const users = await gh.server.store.read(async (q) => presentUsers(q, await q.dirUsers.ofConnection(conn.id)))
    expect(new Set(users.map((u) => u.status))).toEqual(new Set(['active', 'invited', 'deleted']))
    expect(users.some((u) => u.roles.some((r) => r.via === 'group'))).toBe(true)
    expect(users.some((u) => u.roles.some((r) => r.resources.some((res) => (res.labels ?? []).length > 0)))).toBe(true)
    for (const user of users) {
      expectFits(UnifiedUserSchema, user)
      expect(await get(`/directory/users/${user.id}`)).toStrictEqual(wire(user))
    }
    expect(byId(await list(`/directory/users?connection_id=${conn.id}&limit=1000`))).toStrictEqual(wire(byId(users)))
  })

  it('groups, tombstones included', async () => {
    const connection = await connectionRow()
    const groups = await gh.server.store.read(async (q) =>
      (await q.dirGroups.ofConnection(conn.id)).map((g) => presentGroup(g, connection)),
    )
    expect(groups.some((g) => g.deleted_at !== null)).toBe(true)
    expect(groups.some((g) => g.roles.length > 0)).toBe(true)
    for (const group of groups) {
      expectFits(UnifiedGroupSchema, group)
      expect(await get(`/directory/groups/${group.id}`)).toStrictEqual(wire(group))
    }
    expect(byId(await list(`/directory/groups?connection_id=${conn.id}&include_deleted=true&limit=1000`))).toStrictEqual(wire(byId(groups)))
  })

  it('roles', async () => {
    const connection = await connectionRow()
    const roles = await gh.server.store.read(async (q) => (await q.dirRoles.ofConnection(conn.id)).map((r) => presentRole(r, connection)))
    expect(roles.length).toBeGreaterThan(0)
    for (const role of roles) {
      expectFits(UnifiedRoleSchema, role)
      expect(await get(`/directory/roles/${role.id}`)).toStrictEqual(wire(role))
    }
    expect(byId(await list(`/directory/roles?connection_id=${conn.id}&include_deleted=true&limit=1000`))).toStrictEqual(wire(byId(roles)))
  })

  it('workspaces', async () => {
    const workspace = presentWorkspace(await connectionRow())
    expectFits(UnifiedWorkspaceSchema, workspace)
    expect(await list(`/directory/workspaces?connection_id=${conn.id}`)).toStrictEqual([wire(workspace)])
  })

  it('people, live and deleted accounts', async () => {
    const emails = (await gh.server.store.read((q) => q.dirUsers.ofConnection(conn.id))).map((u) => u.email_key).sort()
    const people = await gh.server.store.read(async (q) => Promise.all(emails.map((email) => getPerson(q, email))))
    expect(people.some((p) => p.accounts.length === 0)).toBe(true)
    for (const person of people) {
      expectFits(PersonSchema, person)
      expect(await get(`/directory/people/${encodeURIComponent(person.email)}`)).toStrictEqual(wire(person))
    }
    const live = people.filter((p) => p.accounts.length > 0)
    expect(byEmail(await list(`/directory/people?connection_id=${conn.id}&limit=1000`))).toStrictEqual(wire(byEmail(live)))

    const gone = people.find((p) => p.accounts.length === 0)!.email
    const tombstone = await gh.server.store.read((q) => getPerson(q, gone, 'deleted'))
    expect(tombstone.accounts[0]?.deleted_at).not.toBeNull()
    expectFits(PersonSchema, tombstone)
    expect(await get(`/directory/people/${encodeURIComponent(gone)}?status=deleted`)).toStrictEqual(wire(tombstone))
  })

  it('connections', async () => {
    const connection = presentConnection(await connectionRow())
    expect(connection.last_complete_sync_at).not.toBeNull()
    expectFits(ConnectionSchema, connection)
    expect(await get(`/directory/connections/${conn.id}`)).toStrictEqual(wire(connection))
    expect(await list('/directory/connections')).toStrictEqual([wire(connection)])
  })

  it('change events carry only the declared event types', async () => {
    const events = await list('/directory/events?limit=1000')
    expect(new Set(events.map((e) => e.type))).toEqual(
      new Set(['group.created', 'user.created', 'membership.added', 'membership.removed', 'user.deleted', 'group.deleted']),
    )
    for (const event of events) expect(Value.Check(DirectoryEventTypeSchema, event.type)).toBe(true)
  })
})
