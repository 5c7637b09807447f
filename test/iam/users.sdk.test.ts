import { unwrap } from '@segment/public-api-sdk-typescript'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Gatehouse, startGatehouse } from '../helpers/gatehouse.js'
import {
  expectPaginationOutput,
  type IamSdk,
  inviteWorkspaceResource,
  MINIMAL_WORKSPACE_ACCESS,
  rejectionOf,
  resourceOf,
  WORKSPACE_OWNER,
  workspaceResource,
  workspaceWithSdk,
} from '../helpers/sdk.js'

describe('iamUsers through the official SDK', () => {
  let gh: Gatehouse
  beforeAll(async () => {
    gh = await startGatehouse()
  })
  afterAll(() => gh.stop())

  const seeded = (emails?: string[]) => workspaceWithSdk(gh, emails)

  async function roleId(sdk: IamSdk, name: string): Promise<string> {
    const { roles } = await unwrap(sdk.iamRoles.listRoles({ count: 1000 }))
    const role = roles.find((r) => r.name === name)
    if (role === undefined) throw new Error(`no role named ${name}`)
    return role.id
  }

  describe('listUsers', () => {
    it('lists the owner and every added member as UserV1 with permissions', async () => {
      const { ws, sdk } = await seeded(['ada@example.com', 'bob@example.com'])
      const { users, pagination } = await unwrap(sdk.iamUsers.listUsers({ count: 200 }))
      expectPaginationOutput(pagination, 3)
      expect(users.map((u) => u.email).sort()).toEqual(['ada@example.com', 'bob@example.com', ws.owner.email].sort())
      for (const user of users) {
        expect(user).toEqual({
          id: expect.any(String),
          name: expect.any(String),
          email: expect.any(String),
          permissions: expect.any(Array),
        })
      }
      const owner = users.find((u) => u.id === ws.owner.id)
      expect(owner?.permissions).toEqual([{ roleId: WORKSPACE_OWNER, roleName: 'Workspace Owner', resources: [workspaceResource(ws.id)] }])
    })

    it('walks every user exactly once by next cursors, then back by previous cursors', async () => {
      const emails = Array.from({ length: 7 }, (_, i) => `walker${i}@example.com`)
      const { ws, sdk } = await seeded(emails)
      const forward: string[][] = []
      const cursors: string[] = []
      let cursor: string | undefined
      do {
        const { users, pagination } = await unwrap(sdk.iamUsers.listUsers(cursor === undefined ? { count: 3 } : { count: 3, cursor }))
        expectPaginationOutput(pagination, 8)
        if (cursor === undefined) expect(pagination?.previous ?? null).toBeNull()
        cursors.push(pagination?.current as string)
        forward.push(users.map((u) => u.email))
        cursor = pagination?.next ?? undefined
      } while (cursor !== undefined && forward.length < 10)
      expect(forward.map((page) => page.length)).toEqual([3, 3, 2])
      expect(forward.flat().sort()).toEqual([...emails, ws.owner.email].sort())

      // From the last page, previous cursors lead back through the same pages.
      const backward: string[][] = []
      let back: string | undefined = cursors[cursors.length - 1]
      while (back !== undefined && backward.length < 10) {
        const { users, pagination } = await unwrap(sdk.iamUsers.listUsers({ count: 3, cursor: back }))
        backward.unshift(users.map((u) => u.email))
        back = pagination?.previous ?? undefined
      }
      expect(backward).toEqual(forward)
    })
  })

  describe('getUser', () => {
    it('answers one user with name, email and permissions', async () => {
      const { sdk, users } = await seeded(['carol@example.com'])
      const id = users[0]?.id as string
      const { user } = await unwrap(sdk.iamUsers.getUser(id))
      expect(user).toEqual({ id, name: 'carol', email: 'carol@example.com', permissions: [] })
    })

    it('answers 404 not-found naming userId for an unknown id', async () => {
      const { sdk } = await seeded()
      const error = await rejectionOf(unwrap(sdk.iamUsers.getUser('no-such-user')))
      expect(error).toEqual({ type: 'not-found', message: expect.any(String), status: 404, field: 'userId' })
    })
  })

  describe('deleteUsers', () => {
    it('deletes the given users and their group memberships', async () => {
      const { sdk, users } = await seeded(['dan@example.com', 'eve@example.com'])
      const [dan, eve] = users as [{ id: string; email: string }, { id: string; email: string }]
      const { userGroup } = await unwrap(sdk.iamGroups.createUserGroup({ name: 'leavers' }))
      await unwrap(sdk.iamGroups.addUsersToUserGroup(userGroup.id, { emails: [dan.email, eve.email] }))

      expect(await unwrap(sdk.iamUsers.deleteUsers([dan.id]))).toEqual({ status: 'SUCCESS' })

      expect(await rejectionOf(unwrap(sdk.iamUsers.getUser(dan.id)))).toMatchObject({ status: 404 })
      const { users: left } = await unwrap(sdk.iamUsers.listUsers({ count: 200 }))
      expect(left.map((u) => u.id)).not.toContain(dan.id)
      expect(left.map((u) => u.id)).toContain(eve.id)
      const group = await unwrap(sdk.iamGroups.getUserGroup(userGroup.id))
      expect(group.userGroup.memberCount).toBe(1)
      const members = await unwrap(sdk.iamGroups.listUsersFromUserGroup(userGroup.id, { count: 200 }))
      expect(members.users.map((u) => u.email)).toEqual([eve.email])
    })

    it('deletes nothing when one of the ids is unknown', async () => {
      const { sdk, users } = await seeded(['fay@example.com'])
      const error = await rejectionOf(unwrap(sdk.iamUsers.deleteUsers([users[0]?.id as string, 'no-such-user'])))
      expect(error).toMatchObject({ type: 'not-found', status: 404, field: 'userIds' })
      expect((await unwrap(sdk.iamUsers.getUser(users[0]?.id as string))).user.email).toBe('fay@example.com')
    })

    it('answers 422 when the SDK sends no ids (an empty array vanishes from the query)', async () => {
      const { sdk } = await seeded()
      const error = await rejectionOf(unwrap(sdk.iamUsers.deleteUsers([])))
      expect(error).toMatchObject({ type: 'input-validation', status: 422, field: 'userIds' })
    })
  })

  describe('listUserGroupsFromUser', () => {
    it("lists the user's groups as MinimalUserGroupV1", async () => {
      const { sdk, users } = await seeded(['gil@example.com'])
      const gil = users[0] as { id: string; email: string }
      const a = await unwrap(sdk.iamGroups.createUserGroup({ name: 'alpha' }))
      const b = await unwrap(sdk.iamGroups.createUserGroup({ name: 'beta' }))
      await unwrap(sdk.iamGroups.createUserGroup({ name: 'gamma' }))
      for (const g of [a, b]) await unwrap(sdk.iamGroups.addUsersToUserGroup(g.userGroup.id, { emails: [gil.email] }))

      const { groups, pagination } = await unwrap(sdk.iamUsers.listUserGroupsFromUser(gil.id, { count: 200 }))
      expectPaginationOutput(pagination, 2)
      expect(groups).toHaveLength(2)
      expect(groups).toEqual(
        expect.arrayContaining([
          { id: a.userGroup.id, name: 'alpha' },
          { id: b.userGroup.id, name: 'beta' },
        ]),
      )
    })

    it('answers 404 for an unknown user', async () => {
      const { sdk } = await seeded()
      expect(await rejectionOf(unwrap(sdk.iamUsers.listUserGroupsFromUser('no-such-user', { count: 10 })))).toMatchObject({
        type: 'not-found',
        status: 404,
      })
    })
  })

  describe('permissions of a user', () => {
    it('appends with addPermissionsToUser and answers AccessPermissionV1 of what was added', async () => {
      const { ws, sdk, users } = await seeded(['hal@example.com'])
      const id = users[0]?.id as string
      const functionAdmin = await roleId(sdk, 'Function Admin')

      const first = await unwrap(
        sdk.iamUsers.addPermissionsToUser(id, {
          permissions: [{ roleId: MINIMAL_WORKSPACE_ACCESS, resources: [workspaceResource(ws.id)] }],
        }),
      )
      expect(first.permissions).toEqual([
        { roleId: MINIMAL_WORKSPACE_ACCESS, roleName: 'Minimal Workspace Access', resources: [workspaceResource(ws.id)] },
      ])
      const second = await unwrap(
        sdk.iamUsers.addPermissionsToUser(id, {
          permissions: [{ roleId: functionAdmin, resources: [resourceOf('FUNCTION', 'fn_1')] }],
        }),
      )
      expect(second.permissions).toEqual([
        { roleId: functionAdmin, roleName: 'Function Admin', resources: [{ id: 'fn_1', type: 'FUNCTION' }] },
      ])

      const { user } = await unwrap(sdk.iamUsers.getUser(id))
      expect(user.permissions).toEqual([
        { roleId: MINIMAL_WORKSPACE_ACCESS, roleName: 'Minimal Workspace Access', resources: [workspaceResource(ws.id)] },
        { roleId: functionAdmin, roleName: 'Function Admin', resources: [{ id: 'fn_1', type: 'FUNCTION' }] },
      ])
    })

    it('replaces the whole set with replacePermissionsForUser', async () => {
      const { ws, sdk, users } = await seeded(['ivy@example.com'])
      const id = users[0]?.id as string
      const sourceAdmin = await roleId(sdk, 'Source Admin')
      await unwrap(
        sdk.iamUsers.addPermissionsToUser(id, {
          permissions: [{ roleId: MINIMAL_WORKSPACE_ACCESS, resources: [workspaceResource(ws.id)] }],
        }),
      )
      const replaced = await unwrap(
        sdk.iamUsers.replacePermissionsForUser(id, {
          permissions: [
            { roleId: sourceAdmin, resources: [{ ...workspaceResource(ws.id), labels: [{ key: 'environment', value: 'prod' }] }] },
          ],
        }),
      )
      const expected = {
        roleId: sourceAdmin,
        roleName: 'Source Admin',
        resources: [{ ...workspaceResource(ws.id), labels: [{ key: 'environment', value: 'prod' }] }],
      }
      expect(replaced.permissions).toEqual([expected])
      expect((await unwrap(sdk.iamUsers.getUser(id))).user.permissions).toEqual([expected])

      await unwrap(sdk.iamUsers.replacePermissionsForUser(id, { permissions: [] }))
      expect((await unwrap(sdk.iamUsers.getUser(id))).user.permissions).toEqual([])
    })

    it('answers 404 when the user does not exist', async () => {
      const { ws, sdk } = await seeded()
      const error = await rejectionOf(
        unwrap(
          sdk.iamUsers.addPermissionsToUser('no-such-user', {
            permissions: [{ roleId: MINIMAL_WORKSPACE_ACCESS, resources: [workspaceResource(ws.id)] }],
          }),
        ),
      )
      expect(error).toMatchObject({ type: 'not-found', status: 404 })
    })

    it('refuses with 409 to take Workspace Owner from the last owner', async () => {
      const { ws, sdk } = await seeded()
      const error = await rejectionOf(
        unwrap(
          sdk.iamUsers.replacePermissionsForUser(ws.owner.id, {
            permissions: [{ roleId: MINIMAL_WORKSPACE_ACCESS, resources: [workspaceResource(ws.id)] }],
          }),
        ),
      )
      expect(error).toMatchObject({ type: 'conflict', status: 409 })
      expect((await unwrap(sdk.iamUsers.getUser(ws.owner.id))).user.permissions?.[0]?.roleId).toBe(WORKSPACE_OWNER)
    })
  })

  describe('invites', () => {
    it('creates invites with 201 and answers their emails', async () => {
      const { ws, sdk } = await seeded()
      const res = await sdk.iamUsers.createInvites({
        invites: [
          { email: 'new1@example.com', permissions: [{ roleId: MINIMAL_WORKSPACE_ACCESS, resources: [inviteWorkspaceResource(ws.id)] }] },
          { email: 'new2@example.com' },
        ],
      })
      expect(res.response.statusCode).toBe(201)
      expect(res.body.data).toEqual({ emails: ['new1@example.com', 'new2@example.com'] })
      const { invites, pagination } = await unwrap(sdk.iamUsers.listInvites({ count: 200 }))
      expect([...invites].sort()).toEqual(['new1@example.com', 'new2@example.com'])
      expectPaginationOutput(pagination, 2)
    })

    it('pages invites by next cursor', async () => {
      const { sdk } = await seeded()
      const emails = Array.from({ length: 5 }, (_, i) => `paged${i}@example.com`)
      await unwrap(sdk.iamUsers.createInvites({ invites: emails.map((email) => ({ email })) }))
      const seen: string[] = []
      let cursor: string | undefined
      let pages = 0
      do {
        const { invites, pagination } = await unwrap(sdk.iamUsers.listInvites(cursor === undefined ? { count: 2 } : { count: 2, cursor }))
        seen.push(...invites)
        cursor = pagination?.next ?? undefined
        pages++
      } while (cursor !== undefined && pages < 10)
      expect(pages).toBe(3)
      expect(seen.sort()).toEqual(emails)
    })

    it("carries an invite's permissions into the user when the email joins (acceptance)", async () => {
      const { ws, sdk } = await seeded()
      const functionAdmin = await roleId(sdk, 'Function Admin')
      await unwrap(
        sdk.iamUsers.createInvites({
          invites: [
            {
              email: 'joiner@example.com',
              permissions: [{ roleId: MINIMAL_WORKSPACE_ACCESS }, { roleId: functionAdmin, resources: [resourceOf('FUNCTION', 'fn_9')] }],
            },
          ],
        }),
      )
      const [joined] = await gh.addUsers(ws, ['joiner@example.com'])
      const { user } = await unwrap(sdk.iamUsers.getUser(joined?.id as string))
      expect(user.permissions).toEqual([
        { roleId: MINIMAL_WORKSPACE_ACCESS, roleName: 'Minimal Workspace Access', resources: [workspaceResource(ws.id)] },
        { roleId: functionAdmin, roleName: 'Function Admin', resources: [{ id: 'fn_9', type: 'FUNCTION' }] },
      ])
      expect((await unwrap(sdk.iamUsers.listInvites({ count: 200 }))).invites).not.toContain('joiner@example.com')
    })

    it("carries an invite's labels into the joined user's WORKSPACE resource", async () => {
      const { ws, sdk } = await seeded()
      const sourceAdmin = await roleId(sdk, 'Source Admin')
      await unwrap(
        sdk.iamUsers.createInvites({
          invites: [
            { email: 'labelled@example.com', permissions: [{ roleId: sourceAdmin, labels: [{ key: 'environment', value: 'dev' }] }] },
          ],
        }),
      )
      const [joined] = await gh.addUsers(ws, ['labelled@example.com'])
      const { user } = await unwrap(sdk.iamUsers.getUser(joined?.id as string))
      expect(user.permissions).toEqual([
        {
          roleId: sourceAdmin,
          roleName: 'Source Admin',
          resources: [{ ...workspaceResource(ws.id), labels: [{ key: 'environment', value: 'dev' }] }],
        },
      ])
    })

    it('adds permissions to a pending invite when the same email is invited again', async () => {
      const { ws, sdk } = await seeded()
      const functionAdmin = await roleId(sdk, 'Function Admin')
      await unwrap(
        sdk.iamUsers.createInvites({ invites: [{ email: 'again@example.com', permissions: [{ roleId: MINIMAL_WORKSPACE_ACCESS }] }] }),
      )
      const res = await sdk.iamUsers.createInvites({ invites: [{ email: 'again@example.com', permissions: [{ roleId: functionAdmin }] }] })
      expect(res.response.statusCode).toBe(201)
      const invites = await unwrap(sdk.iamUsers.listInvites({ count: 10 }))
      expect(invites.invites).toEqual(['again@example.com'])
      const [joined] = await gh.addUsers(ws, ['again@example.com'])
      const { user } = await unwrap(sdk.iamUsers.getUser(joined?.id as string))
      expect(user.permissions?.map((p) => p.roleName)).toEqual(['Minimal Workspace Access', 'Function Admin'])
    })

    it('refuses with 409 to invite an email that is already a member', async () => {
      const { sdk } = await seeded(['member@example.com'])
      const error = await rejectionOf(unwrap(sdk.iamUsers.createInvites({ invites: [{ email: 'member@example.com' }] })))
      expect(error).toMatchObject({ type: 'conflict', status: 409, field: 'invites.0.email' })
    })

    it('refuses a malformed email with 422 naming the field', async () => {
      const { sdk } = await seeded()
      const error = await rejectionOf(unwrap(sdk.iamUsers.createInvites({ invites: [{ email: 'not-an-email' }] })))
      expect(error).toMatchObject({ type: 'input-validation', status: 422, field: 'invites.0.email' })
    })

    it('deletes invites by email, and refuses unknown emails with 404', async () => {
      const { sdk } = await seeded()
      await unwrap(sdk.iamUsers.createInvites({ invites: [{ email: 'x+1@example.com' }, { email: 'y@example.com' }] }))
      expect(await unwrap(sdk.iamUsers.deleteInvites(['x+1@example.com']))).toEqual({ status: 'SUCCESS' })
      expect((await unwrap(sdk.iamUsers.listInvites({ count: 200 }))).invites).toEqual(['y@example.com'])
      const error = await rejectionOf(unwrap(sdk.iamUsers.deleteInvites(['nobody@example.com'])))
      expect(error).toMatchObject({ type: 'not-found', status: 404, field: 'emails' })
    })
  })
})
