import { setTimeout as sleep } from 'node:timers/promises'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Gatehouse, type HttpClient, type HttpResult, type SeededWorkspace, startGatehouse } from '../helpers/gatehouse.js'

// The IAM domain rules, checked over raw HTTP: what each write does to users, invites, groups,
// permissions, labels and the audit trail, and that a refused write changes nothing at all.

const WORKSPACE_OWNER = '1WDUuRLxv84rrfCNUwvkrRtkxnS'
const MINIMAL_WORKSPACE_ACCESS = '1aEWAcU0fArxScocwH9xxLgW7r3'
const SOURCE_ADMIN = '2Gh0wIFcqhZ8T8NVOGE5k4dKcXr'
const SOURCE_READ_ONLY = '2Gh0wJtyXuNB7z6cCkpsSSPV5tU'
const FUNCTION_ADMIN = '2Gh0wLWZiJtfVcmZJYqYzUL8KBM'

/** `name[0]=a&name[1]=b`, brackets percent-encoded, as the official SDK sends arrays. */
function arrayQuery(name: string, values: readonly string[]): string {
  return values.map((v, i) => `${encodeURIComponent(`${name}[${i}]`)}=${encodeURIComponent(v)}`).join('&')
}

/** Asserts the status (showing the body when it differs) and answers `data`. */
function dataOf(res: HttpResult, status = 200): any {
  expect(res.status, res.text).toBe(status)
  return res.body.data
}

function expectError(res: HttpResult, status: number, type: string): any {
  expect(res.status, res.text).toBe(status)
  expect(res.body.errors).toHaveLength(1)
  expect(res.body.errors[0]).toMatchObject({ type, status })
  return res.body.errors[0]
}

const workspaceGrant = (workspaceId: string, roleId = MINIMAL_WORKSPACE_ACCESS, labels?: { key: string; value: string }[]) => ({
  roleId,
  resources: [{ id: workspaceId, type: 'WORKSPACE', ...(labels ? { labels } : {}) }],
})

/** Reads every item of a paginated list by walking `next` cursors. */
async function readAll(http: HttpClient, path: string, key: string, count = 100): Promise<any[]> {
  const items: any[] = []
  let cursor: string | null | undefined
  for (let page = 0; page < 100; page++) {
    const sep = path.includes('?') ? '&' : '?'
    const query = `${encodeURIComponent('pagination[count]')}=${count}${cursor ? `&${encodeURIComponent('pagination[cursor]')}=${encodeURIComponent(cursor)}` : ''}`
    const data = dataOf(await http.get(`${path}${sep}${query}`))
    items.push(...data[key])
    cursor = data.pagination.next
    if (!cursor) return items
  }
  throw new Error(`${path} did not end in 100 pages`)
}

const emailsOf = async (http: HttpClient, path: string, key: string) => (await readAll(http, path, key)).sort()

describe('IAM semantics over raw HTTP', () => {
  let gh: Gatehouse
  beforeAll(async () => {
    gh = await startGatehouse()
  })
  afterAll(() => gh.stop())

  async function createGroup(ws: SeededWorkspace, name: string): Promise<{ id: string; name: string; memberCount: number }> {
    return dataOf(await ws.http.post('/groups', { name })).userGroup
  }

  /** Adds members through the operator API (accepting their invites); answers them as UserV1, with permissions. */
  async function addMembers(ws: SeededWorkspace, emails: string[]): Promise<any[]> {
    return gh.addUsers(ws, emails)
  }

  /** The id of the token the workspace was created with: its "Token Created" audit event names it. */
  async function tokenIdOf(ws: SeededWorkspace): Promise<string> {
    const events = await readAll(ws.http, `/audit-events?resourceType=token`, 'events')
    const created = events.filter((e) => e.type === 'Token Created')
    expect(created).toHaveLength(1)
    return created[0].resourceId
  }

  /** Everything a refused write must leave as it was. */
  async function snapshot(ws: SeededWorkspace) {
    const groups = await readAll(ws.http, '/groups', 'userGroups')
    return {
      users: await readAll(ws.http, '/users', 'users'),
      invites: await readAll(ws.http, '/invites', 'invites'),
      groups,
      members: await Promise.all(groups.map((g) => readAll(ws.http, `/groups/${g.id}/users`, 'users'))),
      groupInvites: await Promise.all(groups.map((g) => readAll(ws.http, `/groups/${g.id}/invites`, 'emails'))),
      labels: dataOf(await ws.http.get('/labels')).labels,
      audit: await readAll(ws.http, '/audit-events', 'events'),
    }
  }

  describe('the workspace owner', () => {
    it('is a user holding Workspace Owner on the workspace itself', async () => {
      const ws = await gh.workspace()
      const owner = dataOf(await ws.http.get(`/users/${ws.owner.id}`)).user
      expect(owner).toEqual({
        id: ws.owner.id,
        name: 'Owner',
        email: ws.owner.email,
        permissions: [{ roleName: 'Workspace Owner', roleId: WORKSPACE_OWNER, resources: [{ id: ws.id, type: 'WORKSPACE' }] }],
      })
      expect(await readAll(ws.http, '/users', 'users')).toEqual([owner])
    })
  })

  describe('group membership by email', () => {
    it("adds a member's email as that user, matching the email case-insensitively, and creates no invite", async () => {
      const ws = await gh.workspace()
      const [alice] = await gh.addUsers(ws, ['alice@example.com'])
      const group = await createGroup(ws, 'by-email')
      const added = dataOf(await ws.http.post(`/groups/${group.id}/users`, { emails: ['ALICE@Example.com'] })).userGroup
      expect(added).toEqual({ id: group.id, name: 'by-email', memberCount: 1, permissions: [] })
      expect(await readAll(ws.http, `/groups/${group.id}/users`, 'users')).toEqual([
        { id: alice?.id, name: 'alice', email: 'alice@example.com' },
      ])
      expect(await readAll(ws.http, `/users/${alice?.id}/groups`, 'groups')).toEqual([{ id: group.id, name: 'by-email' }])
      expect(await readAll(ws.http, `/groups/${group.id}/invites`, 'emails')).toEqual([])
      expect(await readAll(ws.http, '/invites', 'invites')).toEqual([])
    })

    it('turns an email that is neither member nor invited into a pending invite of the group and of the workspace', async () => {
      const ws = await gh.workspace()
      const group = await createGroup(ws, 'newcomers')
      const added = dataOf(await ws.http.post(`/groups/${group.id}/users`, { emails: ['newcomer@example.com'] })).userGroup
      expect(added.memberCount).toBe(0)
      expect(await readAll(ws.http, `/groups/${group.id}/invites`, 'emails')).toEqual(['newcomer@example.com'])
      expect(await readAll(ws.http, '/invites', 'invites')).toEqual(['newcomer@example.com'])
      expect((await readAll(ws.http, '/users', 'users')).map((u) => u.email)).toEqual([ws.owner.email])
    })

    it('adds an invited email to the group as its existing invite, without inviting it twice', async () => {
      const ws = await gh.workspace()
      dataOf(await ws.http.post('/invites', { invites: [{ email: 'invited@example.com' }] }), 201)
      const group = await createGroup(ws, 'invitees')
      const added = dataOf(await ws.http.post(`/groups/${group.id}/users`, { emails: ['Invited@example.com'] })).userGroup
      expect(added.memberCount).toBe(0)
      expect(await readAll(ws.http, `/groups/${group.id}/invites`, 'emails')).toEqual(['invited@example.com'])
      expect(await readAll(ws.http, '/invites', 'invites')).toEqual(['invited@example.com'])
    })

    it('counts users only in memberCount, wherever the group is shown', async () => {
      const ws = await gh.workspace()
      await gh.addUsers(ws, ['m1@example.com', 'm2@example.com'])
      const group = await createGroup(ws, 'counted')
      const added = dataOf(
        await ws.http.post(`/groups/${group.id}/users`, {
          emails: ['m1@example.com', 'p1@example.com', 'm2@example.com', 'p2@example.com'],
        }),
      ).userGroup
      expect(added.memberCount).toBe(2)
      expect(dataOf(await ws.http.get(`/groups/${group.id}`)).userGroup.memberCount).toBe(2)
      expect((await readAll(ws.http, '/groups', 'userGroups')).map((g) => [g.id, g.memberCount])).toEqual([[group.id, 2]])
      expect(await emailsOf(ws.http, `/groups/${group.id}/invites`, 'emails')).toEqual(['p1@example.com', 'p2@example.com'])
      // Adding them all again changes no count.
      const again = dataOf(await ws.http.post(`/groups/${group.id}/users`, { emails: ['m1@example.com', 'p1@example.com'] })).userGroup
      expect(again.memberCount).toBe(2)
    })

    it('sets exactly the given emails on PUT /group/{id}/users, keeping dropped invites in the workspace', async () => {
      const ws = await gh.workspace()
      const [a, b] = await gh.addUsers(ws, ['a@example.com', 'b@example.com'])
      const group = await createGroup(ws, 'replaced')
      await ws.http.post(`/groups/${group.id}/users`, { emails: ['a@example.com', 'b@example.com', 'c@example.com', 'd@example.com'] })

      const replaced = dataOf(
        await ws.http.put(`/group/${group.id}/users`, { emails: ['b@example.com', 'c@example.com', 'e@example.com'] }),
      )
      expect(replaced.userGroup.memberCount).toBe(1)
      expect(await readAll(ws.http, `/groups/${group.id}/users`, 'users')).toEqual([{ id: b?.id, name: 'b', email: 'b@example.com' }])
      expect(await emailsOf(ws.http, `/groups/${group.id}/invites`, 'emails')).toEqual(['c@example.com', 'e@example.com'])
      // Dropped from the group, not from the workspace: a stays a member, d stays invited.
      expect(dataOf(await ws.http.get(`/users/${a?.id}`)).user.email).toBe('a@example.com')
      expect(await readAll(ws.http, `/users/${a?.id}/groups`, 'groups')).toEqual([])
      expect(await emailsOf(ws.http, '/invites', 'invites')).toEqual(['c@example.com', 'd@example.com', 'e@example.com'])

      const emptied = dataOf(await ws.http.put(`/group/${group.id}/users`, { emails: [] }))
      expect(emptied.userGroup.memberCount).toBe(0)
      expect(await readAll(ws.http, `/groups/${group.id}/users`, 'users')).toEqual([])
      expect(await readAll(ws.http, `/groups/${group.id}/invites`, 'emails')).toEqual([])
      expect(await emailsOf(ws.http, '/invites', 'invites')).toEqual(['c@example.com', 'd@example.com', 'e@example.com'])
    })

    it('removes members and invites on DELETE /group/{id}/users, leaving them in the workspace', async () => {
      const ws = await gh.workspace()
      const [a] = await gh.addUsers(ws, ['a@example.com'])
      const group = await createGroup(ws, 'removal')
      await ws.http.post(`/groups/${group.id}/users`, { emails: ['a@example.com', 'p@example.com', 'q@example.com'] })
      dataOf(
        await ws.http.delete(`/group/${group.id}/users?${arrayQuery('emails', ['A@example.com', 'p@example.com', 'nobody@example.com'])}`),
      )
      expect(dataOf(await ws.http.get(`/groups/${group.id}`)).userGroup.memberCount).toBe(0)
      expect(await readAll(ws.http, `/groups/${group.id}/invites`, 'emails')).toEqual(['q@example.com'])
      expect(dataOf(await ws.http.get(`/users/${a?.id}`)).user.id).toBe(a?.id)
      expect(await emailsOf(ws.http, '/invites', 'invites')).toEqual(['p@example.com', 'q@example.com'])
    })
  })

  describe('invites', () => {
    it("gives the user an invite's permissions and group memberships when the operator adds that email", async () => {
      const ws = await gh.workspace()
      const group = await createGroup(ws, 'joiners')
      dataOf(
        await ws.http.post('/invites', {
          invites: [
            {
              email: 'joiner@example.com',
              permissions: [
                { roleId: SOURCE_ADMIN, labels: [{ key: 'environment', value: 'prod' }] },
                { roleId: FUNCTION_ADMIN, resources: [{ id: 'fn-1', type: 'FUNCTION' }] },
              ],
            },
          ],
        }),
        201,
      )
      await ws.http.post(`/groups/${group.id}/users`, { emails: ['joiner@example.com'] })
      const expected = [
        {
          roleName: 'Source Admin',
          roleId: SOURCE_ADMIN,
          resources: [{ id: ws.id, type: 'WORKSPACE', labels: [{ key: 'environment', value: 'prod' }] }],
        },
        { roleName: 'Function Admin', roleId: FUNCTION_ADMIN, resources: [{ id: 'fn-1', type: 'FUNCTION' }] },
      ]

      // POST /admin/workspaces/{id}/users is acceptance.
      const [joined] = await addMembers(ws, ['joiner@example.com'])
      expect(joined?.permissions).toEqual(expected)
      expect(dataOf(await ws.http.get(`/users/${joined?.id}`)).user.permissions).toEqual(expected)
      expect(await readAll(ws.http, '/invites', 'invites')).toEqual([])
      expect(await readAll(ws.http, `/groups/${group.id}/invites`, 'emails')).toEqual([])
      expect(await readAll(ws.http, `/groups/${group.id}/users`, 'users')).toEqual([
        { id: joined?.id, name: 'joiner', email: 'joiner@example.com' },
      ])
      expect(dataOf(await ws.http.get(`/groups/${group.id}`)).userGroup.memberCount).toBe(1)
      expect(await readAll(ws.http, `/users/${joined?.id}/groups`, 'groups')).toEqual([{ id: group.id, name: 'joiners' }])
      // The label is still in use: by the user's permission now.
      expectError(await ws.http.delete('/labels/environment/prod'), 409, 'conflict')
    })

    it("withdraws an invite on DELETE /invites, with its group memberships and its permissions' hold on labels", async () => {
      const ws = await gh.workspace()
      dataOf(await ws.http.post('/labels', { label: { key: 'team', value: 'growth' } }), 201)
      const group = await createGroup(ws, 'withdrawn')
      dataOf(
        await ws.http.post('/invites', {
          invites: [{ email: 'gone@example.com', permissions: [{ roleId: SOURCE_ADMIN, labels: [{ key: 'team', value: 'growth' }] }] }],
        }),
        201,
      )
      await ws.http.post(`/groups/${group.id}/users`, { emails: ['gone@example.com'] })
      expectError(await ws.http.delete('/labels/team/growth'), 409, 'conflict')
      dataOf(await ws.http.delete(`/invites?${arrayQuery('emails', ['gone@example.com'])}`))
      expect(await readAll(ws.http, '/invites', 'invites')).toEqual([])
      expect(await readAll(ws.http, `/groups/${group.id}/invites`, 'emails')).toEqual([])
      dataOf(await ws.http.delete('/labels/team/growth'))
      // Inviting the email again starts from nothing: no permissions come back when it joins.
      dataOf(await ws.http.post('/invites', { invites: [{ email: 'gone@example.com' }] }), 201)
      const [joined] = await addMembers(ws, ['gone@example.com'])
      expect(joined?.permissions).toEqual([])
      expect(await readAll(ws.http, `/users/${joined?.id}/groups`, 'groups')).toEqual([])
    })
  })

  describe('deleting users', () => {
    it('removes their group memberships (memberCount drops) and their permissions', async () => {
      const ws = await gh.workspace()
      dataOf(await ws.http.post('/labels', { label: { key: 'team', value: 'core' } }), 201)
      const [a, b] = await gh.addUsers(ws, ['a@example.com', 'b@example.com'])
      const group = await createGroup(ws, 'shrinking')
      await ws.http.post(`/groups/${group.id}/users`, { emails: ['a@example.com', 'b@example.com'] })
      dataOf(
        await ws.http.post(`/users/${a?.id}/permissions`, {
          permissions: [workspaceGrant(ws.id, SOURCE_ADMIN, [{ key: 'team', value: 'core' }])],
        }),
      )

      dataOf(await ws.http.delete(`/users?${arrayQuery('userIds', [a?.id as string])}`))
      expectError(await ws.http.get(`/users/${a?.id}`), 404, 'not-found')
      expect(dataOf(await ws.http.get(`/groups/${group.id}`)).userGroup.memberCount).toBe(1)
      expect(await readAll(ws.http, `/groups/${group.id}/users`, 'users')).toEqual([{ id: b?.id, name: 'b', email: 'b@example.com' }])
      // Its permission is gone: the label it used is free, and the email rejoins with nothing.
      dataOf(await ws.http.delete('/labels/team/core'))
      const [back] = await addMembers(ws, ['a@example.com'])
      expect(back?.id).not.toBe(a?.id)
      expect(back?.permissions).toEqual([])
      expect(await readAll(ws.http, `/users/${back?.id}/groups`, 'groups')).toEqual([])
    })

    it('refuses to delete the last Workspace Owner with 409 and changes nothing', async () => {
      const ws = await gh.workspace()
      await gh.addUsers(ws, ['bystander@example.com'])
      const group = await createGroup(ws, 'owners-group')
      await ws.http.post(`/groups/${group.id}/users`, { emails: [ws.owner.email, 'bystander@example.com'] })
      const users = await readAll(ws.http, '/users', 'users')
      const before = await snapshot(ws)

      const res = await ws.http.delete(
        `/users?${arrayQuery(
          'userIds',
          users.map((u) => u.id),
        )}`,
      )
      expectError(res, 409, 'conflict')
      expect(await snapshot(ws)).toEqual(before)
    })

    it('deletes the original owner once another user holds Workspace Owner', async () => {
      const ws = await gh.workspace()
      const [heir] = await gh.addUsers(ws, ['heir@example.com'])
      dataOf(await ws.http.post(`/users/${heir?.id}/permissions`, { permissions: [workspaceGrant(ws.id, WORKSPACE_OWNER)] }))
      dataOf(await ws.http.delete(`/users?${arrayQuery('userIds', [ws.owner.id])}`))
      expect((await readAll(ws.http, '/users', 'users')).map((u) => u.id)).toEqual([heir?.id])
      // The heir is now the last owner.
      expectError(await ws.http.delete(`/users?${arrayQuery('userIds', [heir?.id as string])}`), 409, 'conflict')
    })
  })

  describe('permissions', () => {
    it('appends on POST and replaces the whole set on PUT, for users', async () => {
      const ws = await gh.workspace()
      const [u] = await gh.addUsers(ws, ['perm@example.com'])
      const first = dataOf(await ws.http.post(`/users/${u?.id}/permissions`, { permissions: [workspaceGrant(ws.id)] })).permissions
      expect(first).toEqual([
        expect.objectContaining({
          roleId: MINIMAL_WORKSPACE_ACCESS,
          roleName: 'Minimal Workspace Access',
          resources: [{ id: ws.id, type: 'WORKSPACE' }],
          subjectId: u?.id,
          subjectType: 'user',
        }),
      ])
      dataOf(
        await ws.http.post(`/users/${u?.id}/permissions`, {
          permissions: [{ roleId: SOURCE_ADMIN, resources: [{ id: 'src-1', type: 'SOURCE' }] }],
        }),
      )
      expect(dataOf(await ws.http.get(`/users/${u?.id}`)).user.permissions.map((p: any) => p.roleId)).toEqual([
        MINIMAL_WORKSPACE_ACCESS,
        SOURCE_ADMIN,
      ])

      const replaced = dataOf(
        await ws.http.put(`/users/${u?.id}/permissions`, {
          permissions: [{ roleId: FUNCTION_ADMIN, resources: [{ id: 'fn-1', type: 'FUNCTION' }] }],
        }),
      ).permissions
      expect(replaced.map((p: any) => p.roleId)).toEqual([FUNCTION_ADMIN])
      expect(dataOf(await ws.http.get(`/users/${u?.id}`)).user.permissions).toEqual([
        { roleName: 'Function Admin', roleId: FUNCTION_ADMIN, resources: [{ id: 'fn-1', type: 'FUNCTION' }] },
      ])
      dataOf(await ws.http.put(`/users/${u?.id}/permissions`, { permissions: [] }))
      expect(dataOf(await ws.http.get(`/users/${u?.id}`)).user.permissions).toEqual([])
    })

    it('appends on POST and replaces the whole set on PUT, for groups', async () => {
      const ws = await gh.workspace()
      const group = await createGroup(ws, 'granted')
      dataOf(await ws.http.post(`/groups/${group.id}/permissions`, { permissions: [workspaceGrant(ws.id)] }))
      const added = dataOf(await ws.http.post(`/groups/${group.id}/permissions`, { permissions: [workspaceGrant(ws.id, SOURCE_ADMIN)] }))
      expect(added.permissions).toEqual([expect.objectContaining({ roleId: SOURCE_ADMIN, subjectId: group.id, subjectType: 'group' })])
      expect(dataOf(await ws.http.get(`/groups/${group.id}`)).userGroup.permissions.map((p: any) => p.roleId)).toEqual([
        MINIMAL_WORKSPACE_ACCESS,
        SOURCE_ADMIN,
      ])
      dataOf(await ws.http.put(`/groups/${group.id}/permissions`, { permissions: [workspaceGrant(ws.id, FUNCTION_ADMIN)] }))
      expect(dataOf(await ws.http.get(`/groups/${group.id}`)).userGroup.permissions).toEqual([
        { roleName: 'Function Admin', roleId: FUNCTION_ADMIN, resources: [{ id: ws.id, type: 'WORKSPACE' }] },
      ])
    })

    it("refuses with 409 to replace away the owner's last Workspace Owner permission, and changes nothing", async () => {
      const ws = await gh.workspace()
      const before = await snapshot(ws)
      expectError(await ws.http.put(`/users/${ws.owner.id}/permissions`, { permissions: [workspaceGrant(ws.id)] }), 409, 'conflict')
      expectError(await ws.http.put(`/users/${ws.owner.id}/permissions`, { permissions: [] }), 409, 'conflict')
      expect(await snapshot(ws)).toEqual(before)
      // Replacing the owner's set with one that still holds Owner is fine.
      dataOf(
        await ws.http.put(`/users/${ws.owner.id}/permissions`, {
          permissions: [workspaceGrant(ws.id, WORKSPACE_OWNER), workspaceGrant(ws.id, SOURCE_ADMIN)],
        }),
      )
      expect(dataOf(await ws.http.get(`/users/${ws.owner.id}`)).user.permissions.map((p: any) => p.roleId)).toEqual([
        WORKSPACE_OWNER,
        SOURCE_ADMIN,
      ])
    })

    it('lets the owner give up Workspace Owner once another user holds it', async () => {
      const ws = await gh.workspace()
      const [heir] = await gh.addUsers(ws, ['heir@example.com'])
      dataOf(await ws.http.post(`/users/${heir?.id}/permissions`, { permissions: [workspaceGrant(ws.id, WORKSPACE_OWNER)] }))
      dataOf(await ws.http.put(`/users/${ws.owner.id}/permissions`, { permissions: [workspaceGrant(ws.id)] }))
      expect(dataOf(await ws.http.get(`/users/${ws.owner.id}`)).user.permissions.map((p: any) => p.roleId)).toEqual([
        MINIMAL_WORKSPACE_ACCESS,
      ])
    })
  })

  describe('labels', () => {
    it('starts every workspace with environment:dev and environment:prod', async () => {
      const ws = await gh.workspace()
      const labels = dataOf(await ws.http.get('/labels')).labels
      expect(labels.map((l: any) => `${l.key}:${l.value}`).sort()).toEqual(['environment:dev', 'environment:prod'])
    })

    it('refuses a duplicate label with 409', async () => {
      const ws = await gh.workspace()
      dataOf(await ws.http.post('/labels', { label: { key: 'team', value: 'data' } }), 201)
      expectError(await ws.http.post('/labels', { label: { key: 'team', value: 'data', description: 'again' } }), 409, 'conflict')
      expectError(await ws.http.post('/labels', { label: { key: 'environment', value: 'dev' } }), 409, 'conflict')
      expect(dataOf(await ws.http.get('/labels')).labels.filter((l: any) => l.key === 'team')).toEqual([{ key: 'team', value: 'data' }])
    })

    it('refuses with 409 to delete a label a permission uses, and deletes an unused one', async () => {
      const ws = await gh.workspace()
      const group = await createGroup(ws, 'labelled')
      dataOf(await ws.http.post('/labels', { label: { key: 'team', value: 'used' } }), 201)
      dataOf(await ws.http.post('/labels', { label: { key: 'team', value: 'unused' } }), 201)
      dataOf(
        await ws.http.post(`/groups/${group.id}/permissions`, {
          permissions: [workspaceGrant(ws.id, SOURCE_ADMIN, [{ key: 'team', value: 'used' }])],
        }),
      )
      expectError(await ws.http.delete('/labels/team/used'), 409, 'conflict')
      dataOf(await ws.http.delete('/labels/team/unused'))
      const keys = dataOf(await ws.http.get('/labels')).labels.map((l: any) => `${l.key}:${l.value}`)
      expect(keys).toContain('team:used')
      expect(keys).not.toContain('team:unused')
      expectError(await ws.http.delete('/labels/team/unused'), 404, 'not-found')
      // Once no permission names it, it can go.
      dataOf(await ws.http.put(`/groups/${group.id}/permissions`, { permissions: [] }))
      dataOf(await ws.http.delete('/labels/team/used'))
    })

    it('refuses a permission naming a label the workspace does not have with 422', async () => {
      const ws = await gh.workspace()
      const res = await ws.http.post(`/users/${ws.owner.id}/permissions`, {
        permissions: [workspaceGrant(ws.id, SOURCE_ADMIN, [{ key: 'team', value: 'ghost' }])],
      })
      expectError(res, 422, 'input-validation')
    })
  })

  describe('a team-plan workspace', () => {
    it('answers 400 bad-request on every /groups call', async () => {
      const ws = await gh.workspace({ plan: 'team' })
      expectError(await ws.http.get('/groups'), 400, 'bad-request')
      expectError(await ws.http.post('/groups', { name: 'nope' }), 400, 'bad-request')
      expectError(await ws.http.get('/groups/any-id/users'), 400, 'bad-request')
      expectError(await ws.http.put('/group/any-id/users', { emails: [] }), 400, 'bad-request')
    })

    it('refuses Business-only roles with 400 and grants the others', async () => {
      const ws = await gh.workspace({ plan: 'team' })
      const [u] = await gh.addUsers(ws, ['team@example.com'])
      const err = expectError(
        await ws.http.post(`/users/${u?.id}/permissions`, { permissions: [workspaceGrant(ws.id, SOURCE_READ_ONLY)] }),
        400,
        'bad-request',
      )
      expect(err.message).toMatch(/Source Read-only/)
      expectError(
        await ws.http.post('/invites', { invites: [{ email: 'ro@example.com', permissions: [{ roleId: SOURCE_READ_ONLY }] }] }),
        400,
        'bad-request',
      )
      expect(await readAll(ws.http, '/invites', 'invites')).toEqual([])
      expect(dataOf(await ws.http.get(`/users/${u?.id}`)).user.permissions).toEqual([])
      dataOf(await ws.http.post(`/users/${u?.id}/permissions`, { permissions: [workspaceGrant(ws.id, SOURCE_ADMIN)] }))
    })

    it('allows five custom labels and refuses a sixth with 400; business has no limit', async () => {
      const team = await gh.workspace({ plan: 'team' })
      for (let i = 1; i <= 5; i++) dataOf(await team.http.post('/labels', { label: { key: 'custom', value: `v${i}` } }), 201)
      expectError(await team.http.post('/labels', { label: { key: 'custom', value: 'v6' } }), 400, 'bad-request')
      expect(dataOf(await team.http.get('/labels')).labels).toHaveLength(7)
      // Freeing one makes room again.
      dataOf(await team.http.delete('/labels/custom/v1'))
      dataOf(await team.http.post('/labels', { label: { key: 'custom', value: 'v6' } }), 201)

      const business = await gh.workspace()
      for (let i = 1; i <= 6; i++) dataOf(await business.http.post('/labels', { label: { key: 'custom', value: `v${i}` } }), 201)
    })
  })

  describe('the audit trail', () => {
    it('records the event names of each write, with the token as actor, newest first', async () => {
      const ws = await gh.workspace()
      const tokenId = await tokenIdOf(ws)
      const [member] = await gh.addUsers(ws, ['member@example.com'])
      const start = (await readAll(ws.http, '/audit-events', 'events'))[0].timestamp
      const steps: [string, () => Promise<unknown>, string[]][] = []
      let groupId = ''
      steps.push(
        [
          'create group',
          async () => {
            groupId = (await createGroup(ws, 'audited')).id
          },
          ['User Group Created', 'Policy Created'],
        ],
        [
          'add emails to group',
          () => ws.http.post(`/groups/${groupId}/users`, { emails: ['member@example.com', 'outsider@example.com'] }),
          ['Non-Segment User Invited to Workspace', 'Subjects Added to Group', 'User Added To User Group', 'User Added To User Group'],
        ],
        [
          'remove email from group',
          () => ws.http.delete(`/group/${groupId}/users?${arrayQuery('emails', ['member@example.com'])}`),
          ['Group Memberships Deleted', 'User Removed From User Group'],
        ],
        [
          'add permission',
          () => ws.http.post(`/users/${member?.id}/permissions`, { permissions: [workspaceGrant(ws.id)] }),
          ['Policy Created', 'User Policy Updated'],
        ],
        ['replace permissions', () => ws.http.put(`/users/${member?.id}/permissions`, { permissions: [] }), ['Policy Deleted']],
        ['create label', () => ws.http.post('/labels', { label: { key: 'audit', value: 'me' } }), ['Label Created']],
        ['delete label', () => ws.http.delete('/labels/audit/me'), ['Label Deleted']],
        [
          'create invite',
          () => ws.http.post('/invites', { invites: [{ email: 'fresh@example.com' }] }),
          ['New Segment User Invited to Workspace'],
        ],
        ['delete invite', () => ws.http.delete(`/invites?${arrayQuery('emails', ['fresh@example.com'])}`), ['Invite Deleted']],
        ['delete user', () => ws.http.delete(`/users?${arrayQuery('userIds', [member?.id as string])}`), ['User Deleted']],
        ['delete group', () => ws.http.delete(`/groups/${groupId}`), ['User Group Deleted']],
      )
      for (const [, write] of steps) {
        // Each write a few milliseconds after the last, so timestamps order the steps unambiguously.
        await sleep(3)
        const res = (await write()) as HttpResult | undefined
        if (res) expect(res.status, res.text).toBeLessThan(300)
      }

      const events = await readAll(ws.http, `/audit-events?startTime=${encodeURIComponent(start)}`, 'events')
      expect(events.every((e) => e.actor === tokenId)).toBe(true)
      const times = events.map((e) => e.timestamp)
      expect(times).toEqual([...times].sort().reverse())
      // Group the events by timestamp: one write, one timestamp. Oldest step first.
      const byTime = [...new Set(times)].reverse().map((t) => events.filter((e) => e.timestamp === t).map((e) => e.type))
      expect(byTime).toHaveLength(steps.length)
      steps.forEach(([name, , types], i) => {
        expect([...(byTime[i] ?? [])].sort(), name).toEqual([...types].sort())
      })
      const created = events.find((e) => e.type === 'User Group Created')
      expect(created).toMatchObject({ resourceId: groupId, resourceType: 'user_group', resourceName: 'audited' })
      expect(events.find((e) => e.type === 'Label Created')).toMatchObject({ resourceId: 'audit:me', resourceType: 'label' })
      expect(events.find((e) => e.type === 'Invite Deleted')).toMatchObject({ resourceType: 'invite', resourceName: 'fresh@example.com' })
    })

    it('filters by startTime (exclusive), endTime (inclusive), resourceId and resourceType in any case', async () => {
      const ws = await gh.workspace()
      const group = await createGroup(ws, 'filtered')
      await sleep(3)
      dataOf(await ws.http.post('/labels', { label: { key: 'when', value: 'middle' } }), 201)
      await sleep(3)
      dataOf(await ws.http.patch(`/groups/${group.id}`, { name: 'filtered-2' }))
      const all = await readAll(ws.http, '/audit-events', 'events')
      const middle = all.find((e) => e.type === 'Label Created')
      const t = encodeURIComponent(middle.timestamp)

      const after = await readAll(ws.http, `/audit-events?startTime=${t}`, 'events')
      expect(after.map((e) => e.type)).toEqual(['User Group Updated'])
      const upTo = await readAll(ws.http, `/audit-events?endTime=${t}`, 'events')
      expect(upTo[0]).toEqual(middle)
      expect(upTo.map((e) => e.type)).not.toContain('User Group Updated')
      expect(upTo).toEqual(all.filter((e) => e.timestamp <= middle.timestamp))
      const exactly = await readAll(ws.http, `/audit-events?startTime=${t}&endTime=${t}`, 'events')
      expect(exactly).toEqual([])

      const ofGroup = await readAll(ws.http, `/audit-events?resourceId=${group.id}`, 'events')
      expect(ofGroup.map((e) => e.type).sort()).toEqual(['Policy Created', 'User Group Created', 'User Group Updated'])
      for (const type of ['user_group', 'USER_GROUP', 'User_Group']) {
        const typed = await readAll(ws.http, `/audit-events?resourceType=${type}`, 'events')
        expect(typed, type).toEqual(ofGroup)
      }
      const combined = await readAll(
        ws.http,
        `/audit-events?resourceType=LABEL&startTime=${encodeURIComponent(all.at(-1).timestamp)}`,
        'events',
      )
      expect(combined).toEqual([middle])
    })

    it('answers 422 naming startTime when it is not a time', async () => {
      const ws = await gh.workspace()
      for (const bad of ['yesterday', '2025-13-45T99:00:00Z', '12345']) {
        const err = expectError(await ws.http.get(`/audit-events?startTime=${encodeURIComponent(bad)}`), 422, 'input-validation')
        expect(err.field, bad).toBe('startTime')
      }
      expect(expectError(await ws.http.get('/audit-events?endTime=soon'), 422, 'input-validation').field).toBe('endTime')
    })

    it('pages the audit trail by next cursor, every event exactly once', async () => {
      const ws = await gh.workspace()
      for (let i = 0; i < 7; i++) {
        dataOf(await ws.http.post('/labels', { label: { key: 'page', value: `v${i}` } }), 201)
      }
      const whole = dataOf(await ws.http.get(`/audit-events?${encodeURIComponent('pagination[count]')}=1000`))
      expect(whole.pagination.next).toBeNull()
      const paged = await readAll(ws.http, '/audit-events', 'events', 3)
      expect(paged.length).toBeGreaterThanOrEqual(9)
      expect(paged).toEqual(whole.events)
      // A filter travels with its cursor.
      const labels = await readAll(ws.http, '/audit-events?resourceType=label', 'events', 2)
      expect(labels.map((e) => e.resourceName)).toEqual(['page:v6', 'page:v5', 'page:v4', 'page:v3', 'page:v2', 'page:v1', 'page:v0'])
    })
  })

  describe('multi-row changes are all-or-nothing', () => {
    it('deletes no user when one id is unknown, answering 404', async () => {
      const ws = await gh.workspace()
      const [a, b] = await gh.addUsers(ws, ['a@example.com', 'b@example.com'])
      const group = await createGroup(ws, 'kept')
      await ws.http.post(`/groups/${group.id}/users`, { emails: ['a@example.com', 'b@example.com'] })
      const before = await snapshot(ws)
      const res = await ws.http.delete(`/users?${arrayQuery('userIds', [a?.id as string, 'no-such-user', b?.id as string])}`)
      expect(expectError(res, 404, 'not-found').message).toMatch(/no-such-user/)
      expect(await snapshot(ws)).toEqual(before)
    })

    it("deletes no user of another workspace's id list either", async () => {
      const ws = await gh.workspace()
      const other = await gh.workspace()
      const [mine] = await gh.addUsers(ws, ['mine@example.com'])
      const before = await snapshot(ws)
      const res = await ws.http.delete(`/users?${arrayQuery('userIds', [mine?.id as string, other.owner.id])}`)
      expectError(res, 404, 'not-found')
      expect(await snapshot(ws)).toEqual(before)
      expect(dataOf(await other.http.get(`/users/${other.owner.id}`)).user.id).toBe(other.owner.id)
    })

    it('creates no invite when one email belongs to a member, answering 409', async () => {
      const ws = await gh.workspace()
      await gh.addUsers(ws, ['member@example.com'])
      const before = await snapshot(ws)
      const res = await ws.http.post('/invites', {
        invites: [
          { email: 'first@example.com', permissions: [{ roleId: MINIMAL_WORKSPACE_ACCESS }] },
          { email: 'MEMBER@example.com' },
          { email: 'last@example.com' },
        ],
      })
      expectError(res, 409, 'conflict')
      expect(await snapshot(ws)).toEqual(before)
    })

    it('creates no invite when one names an unknown role, answering 422', async () => {
      const ws = await gh.workspace()
      const before = await snapshot(ws)
      const res = await ws.http.post('/invites', {
        invites: [{ email: 'first@example.com' }, { email: 'second@example.com', permissions: [{ roleId: 'no-such-role' }] }],
      })
      expect(expectError(res, 422, 'input-validation').field).toBe('invites.1.permissions.0.roleId')
      expect(await snapshot(ws)).toEqual(before)
    })

    it('withdraws no invite when one email is not invited, answering 404', async () => {
      const ws = await gh.workspace()
      dataOf(await ws.http.post('/invites', { invites: [{ email: 'x@example.com' }, { email: 'y@example.com' }] }), 201)
      const before = await snapshot(ws)
      const res = await ws.http.delete(`/invites?${arrayQuery('emails', ['x@example.com', 'z@example.com', 'y@example.com'])}`)
      expectError(res, 404, 'not-found')
      expect(await snapshot(ws)).toEqual(before)
    })

    it('grants no permission when one of several is invalid', async () => {
      const ws = await gh.workspace()
      const [u] = await gh.addUsers(ws, ['grant@example.com'])
      dataOf(await ws.http.post(`/users/${u?.id}/permissions`, { permissions: [workspaceGrant(ws.id)] }))
      const before = await snapshot(ws)
      for (const method of ['post', 'put'] as const) {
        const res = await ws.http[method](`/users/${u?.id}/permissions`, {
          permissions: [workspaceGrant(ws.id, SOURCE_ADMIN), { roleId: FUNCTION_ADMIN, resources: [{ id: 'src-1', type: 'SOURCE' }] }],
        })
        expect(expectError(res, 422, 'input-validation').field, method).toBe('permissions.1.resources.0.type')
      }
      expect(await snapshot(ws)).toEqual(before)
    })

    it('adds no email to a group when one of them is malformed, answering 422', async () => {
      const ws = await gh.workspace()
      await gh.addUsers(ws, ['ok@example.com'])
      const group = await createGroup(ws, 'strict')
      const before = await snapshot(ws)
      for (const res of [
        await ws.http.post(`/groups/${group.id}/users`, { emails: ['ok@example.com', 'new@example.com', 'not-an-email'] }),
        await ws.http.put(`/group/${group.id}/users`, { emails: ['ok@example.com', 'not-an-email'] }),
      ]) {
        expectError(res, 422, 'input-validation')
      }
      expect(await snapshot(ws)).toEqual(before)
    })
  })
})
