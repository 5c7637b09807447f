import { unwrap } from '@segment/public-api-sdk-typescript'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Gatehouse, startGatehouse } from '../helpers/gatehouse.js'
import {
  expectPaginationOutput,
  type IamSdk,
  MINIMAL_WORKSPACE_ACCESS,
  rejectionOf,
  resourceOf,
  workspaceResource,
  workspaceWithSdk,
} from '../helpers/sdk.js'

describe('iamGroups through the official SDK', () => {
  let gh: Gatehouse
  beforeAll(async () => {
    gh = await startGatehouse()
  })
  afterAll(() => gh.stop())

  const seeded = (emails?: string[]) => workspaceWithSdk(gh, emails)

  async function memberEmails(sdk: IamSdk, groupId: string): Promise<string[]> {
    return (await unwrap(sdk.iamGroups.listUsersFromUserGroup(groupId, { count: 1000 }))).users.map((u) => u.email).sort()
  }

  async function pendingEmails(sdk: IamSdk, groupId: string): Promise<string[]> {
    return [...(await unwrap(sdk.iamGroups.listInvitesFromUserGroup(groupId, { count: 1000 }))).emails].sort()
  }

  describe('group lifecycle', () => {
    it('creates a group (200) as a UserGroupV1 with memberCount 0', async () => {
      const { sdk } = await seeded()
      const res = await sdk.iamGroups.createUserGroup({ name: 'Engineering' })
      expect(res.response.statusCode).toBe(200)
      expect(res.body.data?.userGroup).toEqual({ id: expect.any(String), name: 'Engineering', memberCount: 0, permissions: [] })
    })

    it('gets, renames and lists a group', async () => {
      const { sdk } = await seeded()
      const { userGroup } = await unwrap(sdk.iamGroups.createUserGroup({ name: 'ops' }))
      expect((await unwrap(sdk.iamGroups.getUserGroup(userGroup.id))).userGroup).toEqual(userGroup)

      const renamed = await unwrap(sdk.iamGroups.updateUserGroup(userGroup.id, { name: 'operations' }))
      expect(renamed.userGroup).toEqual({ ...userGroup, name: 'operations' })
      expect((await unwrap(sdk.iamGroups.getUserGroup(userGroup.id))).userGroup.name).toBe('operations')

      const { userGroups, pagination } = await unwrap(sdk.iamGroups.listUserGroups({ count: 200 }))
      expect(userGroups).toEqual([{ id: userGroup.id, name: 'operations', memberCount: 0, permissions: [] }])
      expectPaginationOutput(pagination, 1)
    })

    it('walks every group exactly once by next cursors', async () => {
      const { sdk } = await seeded()
      const names = ['g1', 'g2', 'g3', 'g4', 'g5']
      for (const name of names) await unwrap(sdk.iamGroups.createUserGroup({ name }))
      const seen: string[] = []
      let cursor: string | undefined
      let pages = 0
      do {
        const { userGroups, pagination } = await unwrap(
          sdk.iamGroups.listUserGroups(cursor === undefined ? { count: 2 } : { count: 2, cursor }),
        )
        expectPaginationOutput(pagination, 5)
        seen.push(...userGroups.map((g) => g.name))
        cursor = pagination?.next ?? undefined
        pages++
      } while (cursor !== undefined && pages < 10)
      expect(pages).toBe(3)
      expect(seen.sort()).toEqual(names)
    })

    it('refuses a second group of the same name with 409', async () => {
      const { sdk } = await seeded()
      await unwrap(sdk.iamGroups.createUserGroup({ name: 'dupes' }))
      expect(await rejectionOf(unwrap(sdk.iamGroups.createUserGroup({ name: 'dupes' })))).toMatchObject({ type: 'conflict', status: 409 })
    })

    it('deletes a group, after which it is not found', async () => {
      const { sdk, users } = await seeded(['del@example.com'])
      const { userGroup } = await unwrap(sdk.iamGroups.createUserGroup({ name: 'doomed' }))
      await unwrap(sdk.iamGroups.addUsersToUserGroup(userGroup.id, { emails: ['del@example.com'] }))
      expect(await unwrap(sdk.iamGroups.deleteUserGroup(userGroup.id))).toEqual({ status: 'SUCCESS' })
      const error = await rejectionOf(unwrap(sdk.iamGroups.getUserGroup(userGroup.id)))
      expect(error).toEqual({ type: 'not-found', message: expect.any(String), status: 404, field: 'userGroupId' })
      expect((await unwrap(sdk.iamUsers.listUserGroupsFromUser(users[0]?.id as string, { count: 10 }))).groups).toEqual([])
      expect((await unwrap(sdk.iamGroups.listUserGroups({ count: 10 }))).userGroups).toEqual([])
    })

    it('answers 404 for every call on an unknown group', async () => {
      const { sdk } = await seeded()
      const calls: Promise<unknown>[] = [
        unwrap(sdk.iamGroups.getUserGroup('nope')),
        unwrap(sdk.iamGroups.updateUserGroup('nope', { name: 'x' })),
        unwrap(sdk.iamGroups.deleteUserGroup('nope')),
        unwrap(sdk.iamGroups.listUsersFromUserGroup('nope', { count: 10 })),
        unwrap(sdk.iamGroups.listInvitesFromUserGroup('nope', { count: 10 })),
        unwrap(sdk.iamGroups.addUsersToUserGroup('nope', { emails: ['a@example.com'] })),
        unwrap(sdk.iamGroups.replaceUsersInUserGroup('nope', { emails: ['a@example.com'] })),
        unwrap(sdk.iamGroups.removeUsersFromUserGroup('nope', ['a@example.com'])),
      ]
      // Handlers attach at once: a rejection that lands before its turn must not count as unhandled.
      for (const rejection of await Promise.all(calls.map(rejectionOf))) expect(rejection).toMatchObject({ type: 'not-found', status: 404 })
    })
  })

  describe('membership by email', () => {
    it('adds a member by email and counts users only in memberCount; an unknown email becomes a pending invite', async () => {
      const { sdk, users } = await seeded(['member@example.com'])
      const { userGroup } = await unwrap(sdk.iamGroups.createUserGroup({ name: 'mixed' }))

      const added = await unwrap(
        sdk.iamGroups.addUsersToUserGroup(userGroup.id, { emails: ['member@example.com', 'stranger@example.com'] }),
      )
      expect(added.userGroup).toEqual({ id: userGroup.id, name: 'mixed', memberCount: 1, permissions: [] })

      const { users: members, pagination } = await unwrap(sdk.iamGroups.listUsersFromUserGroup(userGroup.id, { count: 10 }))
      expect(members).toEqual([{ id: users[0]?.id, name: 'member', email: 'member@example.com' }])
      expectPaginationOutput(pagination, 1)

      const pending = await unwrap(sdk.iamGroups.listInvitesFromUserGroup(userGroup.id, { count: 10 }))
      expect(pending.emails).toEqual(['stranger@example.com'])
      expectPaginationOutput(pending.pagination, 1)
      expect((await unwrap(sdk.iamUsers.listInvites({ count: 200 }))).invites).toEqual(['stranger@example.com'])
    })

    it('adds the same email twice without counting it twice', async () => {
      const { sdk } = await seeded(['twice@example.com'])
      const { userGroup } = await unwrap(sdk.iamGroups.createUserGroup({ name: 'idempotent' }))
      await unwrap(sdk.iamGroups.addUsersToUserGroup(userGroup.id, { emails: ['twice@example.com'] }))
      const again = await unwrap(sdk.iamGroups.addUsersToUserGroup(userGroup.id, { emails: ['TWICE@example.com'] }))
      expect(again.userGroup.memberCount).toBe(1)
      expect(await memberEmails(sdk, userGroup.id)).toEqual(['twice@example.com'])
    })

    it("turns a group's pending invite into a member when the email joins the workspace", async () => {
      const { ws, sdk } = await seeded()
      const { userGroup } = await unwrap(sdk.iamGroups.createUserGroup({ name: 'welcome' }))
      await unwrap(sdk.iamGroups.addUsersToUserGroup(userGroup.id, { emails: ['late@example.com'] }))
      await gh.addUsers(ws, ['late@example.com'])
      expect(await memberEmails(sdk, userGroup.id)).toEqual(['late@example.com'])
      expect(await pendingEmails(sdk, userGroup.id)).toEqual([])
      expect((await unwrap(sdk.iamGroups.getUserGroup(userGroup.id))).userGroup.memberCount).toBe(1)
    })

    it('replaces the membership with exactly the given emails, dropping other members and pending invites', async () => {
      const { sdk } = await seeded(['keep@example.com', 'drop@example.com', 'join@example.com'])
      const { userGroup } = await unwrap(sdk.iamGroups.createUserGroup({ name: 'replaced' }))
      await unwrap(
        sdk.iamGroups.addUsersToUserGroup(userGroup.id, {
          emails: ['keep@example.com', 'drop@example.com', 'pending-drop@example.com', 'pending-keep@example.com'],
        }),
      )

      const replaced = await unwrap(
        sdk.iamGroups.replaceUsersInUserGroup(userGroup.id, {
          emails: ['keep@example.com', 'join@example.com', 'pending-keep@example.com', 'pending-new@example.com'],
        }),
      )
      expect(replaced.userGroup).toEqual({ id: userGroup.id, name: 'replaced', memberCount: 2, permissions: [] })
      expect(await memberEmails(sdk, userGroup.id)).toEqual(['join@example.com', 'keep@example.com'])
      expect(await pendingEmails(sdk, userGroup.id)).toEqual(['pending-keep@example.com', 'pending-new@example.com'])
    })

    it('empties a group when replacing with no emails', async () => {
      const { sdk } = await seeded(['gone@example.com'])
      const { userGroup } = await unwrap(sdk.iamGroups.createUserGroup({ name: 'emptied' }))
      await unwrap(sdk.iamGroups.addUsersToUserGroup(userGroup.id, { emails: ['gone@example.com', 'gone-invite@example.com'] }))
      const replaced = await unwrap(sdk.iamGroups.replaceUsersInUserGroup(userGroup.id, { emails: [] }))
      expect(replaced.userGroup.memberCount).toBe(0)
      expect(await memberEmails(sdk, userGroup.id)).toEqual([])
      expect(await pendingEmails(sdk, userGroup.id)).toEqual([])
    })

    it('removes members and pending invites on the singular /group/ path the SDK uses', async () => {
      const { sdk } = await seeded(['stay@example.com', 'leave@example.com'])
      const { userGroup } = await unwrap(sdk.iamGroups.createUserGroup({ name: 'shrinking' }))
      await unwrap(
        sdk.iamGroups.addUsersToUserGroup(userGroup.id, { emails: ['stay@example.com', 'leave@example.com', 'invitee@example.com'] }),
      )
      expect(await unwrap(sdk.iamGroups.removeUsersFromUserGroup(userGroup.id, ['leave@example.com', 'invitee@example.com']))).toEqual({
        status: 'SUCCESS',
      })
      expect(await memberEmails(sdk, userGroup.id)).toEqual(['stay@example.com'])
      expect(await pendingEmails(sdk, userGroup.id)).toEqual([])
      expect((await unwrap(sdk.iamGroups.getUserGroup(userGroup.id))).userGroup.memberCount).toBe(1)
      // The removed invite leaves the group, not the workspace.
      expect((await unwrap(sdk.iamUsers.listInvites({ count: 200 }))).invites).toContain('invitee@example.com')
    })

    it('matches emails case-insensitively when removing', async () => {
      const { sdk } = await seeded(['Mixed.Case@Example.com'])
      const { userGroup } = await unwrap(sdk.iamGroups.createUserGroup({ name: 'cased' }))
      await unwrap(sdk.iamGroups.addUsersToUserGroup(userGroup.id, { emails: ['mixed.case@example.com', 'Pending.Case@Example.com'] }))
      expect(await memberEmails(sdk, userGroup.id)).toEqual(['Mixed.Case@Example.com'])
      await unwrap(sdk.iamGroups.removeUsersFromUserGroup(userGroup.id, ['MIXED.CASE@EXAMPLE.COM', 'pending.case@example.com']))
      expect(await memberEmails(sdk, userGroup.id)).toEqual([])
      expect(await pendingEmails(sdk, userGroup.id)).toEqual([])
    })

    it('refuses to rename a group to the name of another with 409, but allows a change of case', async () => {
      const { sdk } = await seeded()
      await unwrap(sdk.iamGroups.createUserGroup({ name: 'taken' }))
      const { userGroup } = await unwrap(sdk.iamGroups.createUserGroup({ name: 'mine' }))
      expect(await rejectionOf(unwrap(sdk.iamGroups.updateUserGroup(userGroup.id, { name: 'TAKEN' })))).toMatchObject({
        type: 'conflict',
        status: 409,
      })
      expect((await unwrap(sdk.iamGroups.updateUserGroup(userGroup.id, { name: 'Mine' }))).userGroup.name).toBe('Mine')
    })

    it('pages the members of a group by next cursor', async () => {
      const emails = Array.from({ length: 5 }, (_, i) => `m${i}@example.com`)
      const { sdk } = await seeded(emails)
      const { userGroup } = await unwrap(sdk.iamGroups.createUserGroup({ name: 'big' }))
      await unwrap(sdk.iamGroups.addUsersToUserGroup(userGroup.id, { emails }))
      const seen: string[] = []
      let cursor: string | undefined
      let pages = 0
      do {
        const page = await unwrap(
          sdk.iamGroups.listUsersFromUserGroup(userGroup.id, cursor === undefined ? { count: 2 } : { count: 2, cursor }),
        )
        expectPaginationOutput(page.pagination, 5)
        seen.push(...page.users.map((u) => u.email))
        cursor = page.pagination?.next ?? undefined
        pages++
      } while (cursor !== undefined && pages < 10)
      expect(pages).toBe(3)
      expect(seen.sort()).toEqual(emails)
    })
  })

  describe('permissions of a group', () => {
    it('appends with addPermissionsToUserGroup and shows them on the group', async () => {
      const { ws, sdk } = await seeded()
      const { roles } = await unwrap(sdk.iamRoles.listRoles({ count: 1000 }))
      const functionAdmin = roles.find((r) => r.name === 'Function Admin')?.id as string
      const { userGroup } = await unwrap(sdk.iamGroups.createUserGroup({ name: 'granted' }))

      const first = await unwrap(
        sdk.iamGroups.addPermissionsToUserGroup(userGroup.id, {
          permissions: [{ roleId: MINIMAL_WORKSPACE_ACCESS, resources: [workspaceResource(ws.id)] }],
        }),
      )
      expect(first.permissions).toEqual([
        { roleId: MINIMAL_WORKSPACE_ACCESS, roleName: 'Minimal Workspace Access', resources: [workspaceResource(ws.id)] },
      ])
      await unwrap(
        sdk.iamGroups.addPermissionsToUserGroup(userGroup.id, {
          permissions: [{ roleId: functionAdmin, resources: [resourceOf('FUNCTION', 'fn_1'), resourceOf('FUNCTION', 'fn_2')] }],
        }),
      )
      const { userGroup: after } = await unwrap(sdk.iamGroups.getUserGroup(userGroup.id))
      expect(after.permissions).toEqual([
        { roleId: MINIMAL_WORKSPACE_ACCESS, roleName: 'Minimal Workspace Access', resources: [workspaceResource(ws.id)] },
        { roleId: functionAdmin, roleName: 'Function Admin', resources: [resourceOf('FUNCTION', 'fn_1'), resourceOf('FUNCTION', 'fn_2')] },
      ])
      expect((await unwrap(sdk.iamGroups.listUserGroups({ count: 10 }))).userGroups[0]?.permissions).toEqual(after.permissions)
    })

    it('replaces the whole set with replacePermissionsForUserGroup', async () => {
      const { ws, sdk } = await seeded()
      const { roles } = await unwrap(sdk.iamRoles.listRoles({ count: 1000 }))
      const sourceAdmin = roles.find((r) => r.name === 'Source Admin')?.id as string
      const { userGroup } = await unwrap(sdk.iamGroups.createUserGroup({ name: 'regranted' }))
      await unwrap(
        sdk.iamGroups.addPermissionsToUserGroup(userGroup.id, {
          permissions: [{ roleId: MINIMAL_WORKSPACE_ACCESS, resources: [workspaceResource(ws.id)] }],
        }),
      )
      const replaced = await unwrap(
        sdk.iamGroups.replacePermissionsForUserGroup(userGroup.id, {
          permissions: [{ roleId: sourceAdmin, resources: [resourceOf('SOURCE', 'src_1')] }],
        }),
      )
      const expected = [{ roleId: sourceAdmin, roleName: 'Source Admin', resources: [resourceOf('SOURCE', 'src_1')] }]
      expect(replaced.permissions).toEqual(expected)
      expect((await unwrap(sdk.iamGroups.getUserGroup(userGroup.id))).userGroup.permissions).toEqual(expected)
    })

    it('refuses a resource type the role cannot be granted on with 422', async () => {
      const { sdk } = await seeded()
      const { userGroup } = await unwrap(sdk.iamGroups.createUserGroup({ name: 'wrong-type' }))
      const error = await rejectionOf(
        unwrap(
          sdk.iamGroups.addPermissionsToUserGroup(userGroup.id, {
            permissions: [{ roleId: MINIMAL_WORKSPACE_ACCESS, resources: [resourceOf('SOURCE', 'src_1')] }],
          }),
        ),
      )
      expect(error).toMatchObject({ type: 'input-validation', status: 422, field: 'permissions.0.resources.0.type' })
    })
  })
})
