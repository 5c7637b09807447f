import { unwrap } from '@segment/public-api-sdk-typescript'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Gatehouse, type SeededWorkspace, startGatehouse } from '../helpers/gatehouse.js'
import { type IamSdk, MINIMAL_WORKSPACE_ACCESS, rejectionOf, sdkFor, workspaceResource } from '../helpers/sdk.js'

// `unwrap` rethrows `body.errors[0]`: each failure must reach the caller as Gatehouse's own error object.
describe('error paths through the official SDK', () => {
  let gh: Gatehouse
  beforeAll(async () => {
    gh = await startGatehouse()
  })
  afterAll(() => gh.stop())

  async function createToken(ws: SeededWorkspace, role: 'OWNER' | 'MEMBER'): Promise<{ id: string; secret: string }> {
    const res = await gh.admin.post(`/admin/workspaces/${ws.id}/tokens`, { description: `${role} token`, role })
    expect(res.status).toBe(201)
    return { id: res.body.data.token.id, secret: res.body.data.secret }
  }

  async function roleId(sdk: IamSdk, name: string): Promise<string> {
    const { roles } = await unwrap(sdk.iamRoles.listRoles({ count: 1000 }))
    const role = roles.find((r) => r.name === name)
    if (role === undefined) throw new Error(`no role named ${name}`)
    return role.id
  }

  describe('not found', () => {
    it('answers 404 not-found for an unknown user id', async () => {
      const sdk = sdkFor(gh.url, (await gh.workspace()).token)
      expect(await rejectionOf(unwrap(sdk.iamUsers.getUser('sgJDWk3K21k6LE3tLU9nRK')))).toEqual({
        type: 'not-found',
        message: expect.stringContaining('sgJDWk3K21k6LE3tLU9nRK'),
        status: 404,
        field: 'userId',
      })
    })

    it("hides another workspace's user and group behind 404", async () => {
      const [a, b] = [await gh.workspace(), await gh.workspace()]
      const [bUser] = await gh.addUsers(b, [`hidden@${b.slug}.example`])
      const bGroup = await unwrap(sdkFor(gh.url, b.token).iamGroups.createUserGroup({ name: 'private' }))
      const asA = sdkFor(gh.url, a.token)

      expect(await rejectionOf(unwrap(asA.iamUsers.getUser(bUser?.id as string)))).toMatchObject({ type: 'not-found', status: 404 })
      expect(await rejectionOf(unwrap(asA.iamUsers.deleteUsers([bUser?.id as string])))).toMatchObject({ type: 'not-found', status: 404 })
      expect(await rejectionOf(unwrap(asA.iamGroups.getUserGroup(bGroup.userGroup.id)))).toMatchObject({ type: 'not-found', status: 404 })
      expect(await rejectionOf(unwrap(asA.iamGroups.deleteUserGroup(bGroup.userGroup.id)))).toMatchObject({
        type: 'not-found',
        status: 404,
      })
      await unwrap(sdkFor(gh.url, b.token).iamUsers.createInvites({ invites: [{ email: 'b-invite@example.com' }] }))
      expect(await rejectionOf(unwrap(asA.iamUsers.deleteInvites(['b-invite@example.com'])))).toMatchObject({
        type: 'not-found',
        status: 404,
      })
      expect(await rejectionOf(unwrap(asA.iamUsers.listUserGroupsFromUser(bUser?.id as string, { count: 10 })))).toMatchObject({
        status: 404,
      })
      // b's data is untouched.
      const asB = sdkFor(gh.url, b.token)
      expect((await unwrap(asB.iamUsers.getUser(bUser?.id as string))).user.email).toBe(`hidden@${b.slug}.example`)
      expect((await unwrap(asB.iamGroups.getUserGroup(bGroup.userGroup.id))).userGroup.name).toBe('private')
      expect((await unwrap(asB.iamUsers.listInvites({ count: 10 }))).invites).toEqual(['b-invite@example.com'])
    })
  })

  describe('validation', () => {
    it('answers 422 input-validation naming the field for a count below 1 or above 1000', async () => {
      const sdk = sdkFor(gh.url, (await gh.workspace()).token)
      for (const count of [0, 1001]) {
        expect(await rejectionOf(unwrap(sdk.iamUsers.listUsers({ count })))).toEqual({
          type: 'input-validation',
          message: expect.any(String),
          status: 422,
          field: 'pagination.count',
        })
      }
      expect(await rejectionOf(unwrap(sdk.iamRoles.listRoles({ count: 1.5 })))).toMatchObject({ status: 422, field: 'pagination.count' })
    })

    it('answers 422 for a cursor the list did not issue, including one from another list', async () => {
      const sdk = sdkFor(gh.url, (await gh.workspace()).token)
      expect(await rejectionOf(unwrap(sdk.iamUsers.listUsers({ count: 1, cursor: 'MA==' })))).toMatchObject({
        type: 'input-validation',
        status: 422,
        field: 'pagination.cursor',
      })
      const roles = await unwrap(sdk.iamRoles.listRoles({ count: 1 }))
      expect(await rejectionOf(unwrap(sdk.iamUsers.listUsers({ count: 1, cursor: roles.pagination?.next as string })))).toMatchObject({
        status: 422,
        field: 'pagination.cursor',
      })
    })

    it('answers 422 naming the roleId for an unknown role', async () => {
      const ws = await gh.workspace()
      const sdk = sdkFor(gh.url, ws.token)
      const [user] = await gh.addUsers(ws, [`roles@${ws.slug}.example`])
      const error = await rejectionOf(
        unwrap(
          sdk.iamUsers.addPermissionsToUser(user?.id as string, {
            permissions: [{ roleId: 'no-such-role', resources: [workspaceResource(ws.id)] }],
          }),
        ),
      )
      expect(error).toEqual({ type: 'input-validation', message: expect.any(String), status: 422, field: 'permissions.0.roleId' })
      expect(
        await rejectionOf(
          unwrap(sdk.iamUsers.createInvites({ invites: [{ email: 'x@example.com', permissions: [{ roleId: 'no-such-role' }] }] })),
        ),
      ).toMatchObject({ type: 'input-validation', status: 422, field: 'invites.0.permissions.0.roleId' })
      expect((await unwrap(sdk.iamUsers.getUser(user?.id as string))).user.permissions).toEqual([])
    })

    it('answers 422 for a WORKSPACE resource that is not the token’s workspace', async () => {
      const [a, b] = [await gh.workspace(), await gh.workspace()]
      const sdk = sdkFor(gh.url, a.token)
      const [user] = await gh.addUsers(a, [`cross@${a.slug}.example`])
      const error = await rejectionOf(
        unwrap(
          sdk.iamUsers.addPermissionsToUser(user?.id as string, {
            permissions: [{ roleId: MINIMAL_WORKSPACE_ACCESS, resources: [workspaceResource(b.id)] }],
          }),
        ),
      )
      expect(error).toMatchObject({ type: 'input-validation', status: 422, field: 'permissions.0.resources.0.id' })
    })
  })

  describe('tokens', () => {
    it('lets a MEMBER token read but answers 401 to its writes', async () => {
      const ws = await gh.workspace()
      const member = sdkFor(gh.url, (await createToken(ws, 'MEMBER')).secret)
      expect((await unwrap(member.workspaces.getWorkspace())).workspace.id).toBe(ws.id)
      expect((await unwrap(member.iamUsers.listUsers({ count: 10 }))).users).toHaveLength(1)

      const writes: Promise<unknown>[] = [
        unwrap(member.iamGroups.createUserGroup({ name: 'nope' })),
        unwrap(member.iamUsers.createInvites({ invites: [{ email: 'nope@example.com' }] })),
        unwrap(member.iamUsers.deleteUsers([ws.owner.id])),
        unwrap(member.labels.createLabel({ label: { key: 'no', value: 'pe' } })),
        unwrap(member.iamUsers.replacePermissionsForUser(ws.owner.id, { permissions: [] })),
      ]
      // Handlers attach at once: a rejection that lands before its turn must not count as unhandled.
      for (const rejection of await Promise.all(writes.map(rejectionOf))) {
        expect(rejection).toEqual({ type: 'unauthorized', message: expect.any(String), status: 401 })
      }
      const owner = sdkFor(gh.url, ws.token)
      expect((await unwrap(owner.iamGroups.listUserGroups({ count: 10 }))).userGroups).toEqual([])
      expect((await unwrap(owner.iamUsers.listInvites({ count: 10 }))).invites).toEqual([])
    })

    it('answers 401 when a MEMBER token reads the audit trail', async () => {
      const ws = await gh.workspace()
      const member = sdkFor(gh.url, (await createToken(ws, 'MEMBER')).secret)
      expect(await rejectionOf(unwrap(member.auditTrail.listAuditEvents({ count: 10 })))).toEqual({
        type: 'unauthorized',
        message: expect.any(String),
        status: 401,
      })
    })

    it('answers 401 to an unknown token', async () => {
      const sdk = sdkFor(gh.url, 'sgp_this-token-was-never-issued')
      expect(await rejectionOf(unwrap(sdk.workspaces.getWorkspace()))).toEqual({
        type: 'unauthorized',
        message: expect.any(String),
        status: 401,
      })
      expect(await rejectionOf(unwrap(sdk.iamUsers.listUsers({ count: 10 })))).toMatchObject({ status: 401 })
    })

    it('answers 401 to a token once it is revoked', async () => {
      const ws = await gh.workspace()
      const token = await createToken(ws, 'OWNER')
      const sdk = sdkFor(gh.url, token.secret)
      expect((await unwrap(sdk.workspaces.getWorkspace())).workspace.id).toBe(ws.id)
      expect((await gh.admin.delete(`/admin/workspaces/${ws.id}/tokens/${token.id}`)).status).toBe(200)
      expect(await rejectionOf(unwrap(sdk.workspaces.getWorkspace()))).toMatchObject({ type: 'unauthorized', status: 401 })
      // The workspace's other token still works.
      expect((await unwrap(sdkFor(gh.url, ws.token).workspaces.getWorkspace())).workspace.id).toBe(ws.id)
    })
  })

  describe('plan gating', () => {
    it('answers 400 bad-request to every user-group call on a team workspace', async () => {
      const ws = await gh.workspace({ plan: 'team' })
      const sdk = sdkFor(gh.url, ws.token)
      const calls: Promise<unknown>[] = [
        unwrap(sdk.iamGroups.listUserGroups({ count: 10 })),
        unwrap(sdk.iamGroups.createUserGroup({ name: 'nope' })),
        unwrap(sdk.iamGroups.getUserGroup('any')),
        unwrap(sdk.iamGroups.updateUserGroup('any', { name: 'nope' })),
        unwrap(sdk.iamGroups.deleteUserGroup('any')),
        unwrap(sdk.iamGroups.listUsersFromUserGroup('any', { count: 10 })),
        unwrap(sdk.iamGroups.listInvitesFromUserGroup('any', { count: 10 })),
        unwrap(sdk.iamGroups.addUsersToUserGroup('any', { emails: ['a@example.com'] })),
        unwrap(sdk.iamGroups.replaceUsersInUserGroup('any', { emails: ['a@example.com'] })),
        unwrap(sdk.iamGroups.removeUsersFromUserGroup('any', ['a@example.com'])),
        unwrap(
          sdk.iamGroups.addPermissionsToUserGroup('any', {
            permissions: [{ roleId: MINIMAL_WORKSPACE_ACCESS, resources: [workspaceResource(ws.id)] }],
          }),
        ),
        unwrap(
          sdk.iamGroups.replacePermissionsForUserGroup('any', {
            permissions: [{ roleId: MINIMAL_WORKSPACE_ACCESS, resources: [workspaceResource(ws.id)] }],
          }),
        ),
      ]
      // Handlers attach at once: a rejection that lands before its turn must not count as unhandled.
      for (const rejection of await Promise.all(calls.map(rejectionOf))) {
        expect(rejection).toEqual({
          type: 'bad-request',
          message: expect.stringContaining('User Groups'),
          status: 400,
          data: expect.anything(),
        })
      }
    })

    it('answers 400 bad-request to a Business-only role granted on a team workspace', async () => {
      const ws = await gh.workspace({ plan: 'team' })
      const sdk = sdkFor(gh.url, ws.token)
      const [user] = await gh.addUsers(ws, [`team@${ws.slug}.example`])
      const sourceReadOnly = await roleId(sdk, 'Source Read-only')
      const error = await rejectionOf(
        unwrap(
          sdk.iamUsers.addPermissionsToUser(user?.id as string, {
            permissions: [{ roleId: sourceReadOnly, resources: [workspaceResource(ws.id)] }],
          }),
        ),
      )
      expect(error).toMatchObject({ type: 'bad-request', status: 400 })
      expect(
        await rejectionOf(
          unwrap(sdk.iamUsers.createInvites({ invites: [{ email: 'y@example.com', permissions: [{ roleId: sourceReadOnly }] }] })),
        ),
      ).toMatchObject({ type: 'bad-request', status: 400 })
      expect((await unwrap(sdk.iamUsers.getUser(user?.id as string))).user.permissions).toEqual([])
      // Roles every plan has still work on team.
      const granted = await unwrap(
        sdk.iamUsers.addPermissionsToUser(user?.id as string, {
          permissions: [{ roleId: MINIMAL_WORKSPACE_ACCESS, resources: [workspaceResource(ws.id)] }],
        }),
      )
      expect(granted.permissions).toHaveLength(1)
    })
  })

  describe('rate limits', () => {
    it('rejects with Segment’s RequestError once an RL60 endpoint’s budget is spent', async () => {
      const limited = await startGatehouse({ rateLimit: '600', writeRateLimit: '2' })
      try {
        const ws = await limited.workspace()
        const sdk = sdkFor(limited.url, ws.token)
        await unwrap(sdk.labels.createLabel({ label: { key: 'rl', value: 'one' } }))
        await unwrap(sdk.labels.createLabel({ label: { key: 'rl', value: 'two' } }))
        expect(await rejectionOf(unwrap(sdk.labels.createLabel({ label: { key: 'rl', value: 'three' } })))).toEqual({
          type: 'RequestError',
          message: 'Too many requests',
          status: 429,
          data: { remainingPoints: 0, msBeforeNext: expect.any(Number), consumedPoints: expect.any(Number) },
        })
        // Other endpoints keep their own budget.
        expect((await unwrap(sdk.labels.listLabels())).labels).toHaveLength(4)
      } finally {
        await limited.stop()
      }
    })
  })
})
