import { unwrap } from '@segment/public-api-sdk-typescript'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Gatehouse, startGatehouse } from '../helpers/gatehouse.js'
import { rejectionOf, sdkFor } from '../helpers/sdk.js'

// totalEntries comes from counters moved by each write; after every kind of write, each list's
// totalEntries must still equal the number of items a full walk of that list returns.
describe('totalEntries and membership side effects through the official SDK', () => {
  let gh: Gatehouse
  beforeAll(async () => {
    gh = await startGatehouse()
  })
  afterAll(() => gh.stop())

  it('keeps every list’s totalEntries equal to its length across invites, joins, group edits and deletes', async () => {
    const ws = await gh.workspace()
    const sdk = sdkFor(gh.url, ws.token)
    const [ann, ben] = await gh.addUsers(ws, ['ann@example.com', 'ben@example.com'])
    if (ann === undefined || ben === undefined) throw new Error('users were not added')
    const g1 = (await unwrap(sdk.iamGroups.createUserGroup({ name: 'one' }))).userGroup.id
    const g2 = (await unwrap(sdk.iamGroups.createUserGroup({ name: 'two' }))).userGroup.id

    async function expectTotalsConsistent() {
      const users = await unwrap(sdk.iamUsers.listUsers({ count: 1000 }))
      expect(users.pagination?.totalEntries).toBe(users.users.length)
      const invites = await unwrap(sdk.iamUsers.listInvites({ count: 1000 }))
      expect(invites.pagination?.totalEntries).toBe(invites.invites.length)
      const groups = await unwrap(sdk.iamGroups.listUserGroups({ count: 1000 }))
      expect(groups.pagination?.totalEntries).toBe(groups.userGroups.length)
      for (const group of groups.userGroups) {
        const members = await unwrap(sdk.iamGroups.listUsersFromUserGroup(group.id, { count: 1000 }))
        expect(members.pagination?.totalEntries).toBe(members.users.length)
        expect(group.memberCount).toBe(members.users.length)
        const pending = await unwrap(sdk.iamGroups.listInvitesFromUserGroup(group.id, { count: 1000 }))
        expect(pending.pagination?.totalEntries).toBe(pending.emails.length)
      }
      for (const user of users.users) {
        const mine = await unwrap(sdk.iamUsers.listUserGroupsFromUser(user.id, { count: 1000 }))
        expect(mine.pagination?.totalEntries).toBe(mine.groups.length)
      }
      return { users, invites, groups }
    }

    await unwrap(sdk.iamGroups.addUsersToUserGroup(g1, { emails: ['ann@example.com', 'ben@example.com', 'cat@example.com'] }))
    await unwrap(sdk.iamGroups.addUsersToUserGroup(g2, { emails: ['ann@example.com', 'cat@example.com', 'dov@example.com'] }))
    await unwrap(sdk.iamUsers.createInvites({ invites: [{ email: 'eli@example.com' }] }))
    let totals = await expectTotalsConsistent()
    expect(totals.invites.invites.sort()).toEqual(['cat@example.com', 'dov@example.com', 'eli@example.com'])

    // cat joins: the invite leaves both groups' pending lists and cat becomes a member of both.
    await gh.addUsers(ws, ['cat@example.com'])
    totals = await expectTotalsConsistent()
    expect(totals.invites.invites.sort()).toEqual(['dov@example.com', 'eli@example.com'])
    expect((await unwrap(sdk.iamGroups.getUserGroup(g1))).userGroup.memberCount).toBe(3)
    expect((await unwrap(sdk.iamGroups.getUserGroup(g2))).userGroup.memberCount).toBe(2)

    // Withdrawing dov's invite takes it out of g2 too.
    await unwrap(sdk.iamUsers.deleteInvites(['dov@example.com']))
    totals = await expectTotalsConsistent()
    expect((await unwrap(sdk.iamGroups.listInvitesFromUserGroup(g2, { count: 10 }))).emails).toEqual([])

    await unwrap(sdk.iamGroups.replaceUsersInUserGroup(g1, { emails: ['ben@example.com', 'fay@example.com'] }))
    await unwrap(sdk.iamGroups.removeUsersFromUserGroup(g2, ['ann@example.com', 'not-in-group@example.com']))
    await unwrap(sdk.iamUsers.deleteUsers([ben.id]))
    totals = await expectTotalsConsistent()
    expect(totals.users.users.map((u) => u.id)).not.toContain(ben.id)

    await unwrap(sdk.iamGroups.deleteUserGroup(g2))
    totals = await expectTotalsConsistent()
    expect(totals.groups.userGroups.map((g) => g.id)).toEqual([g1])
    expect((await unwrap(sdk.iamUsers.listUserGroupsFromUser(ann.id, { count: 10 }))).groups).toEqual([])
  })

  it('adds an already-invited email to a group as that same pending invite', async () => {
    const ws = await gh.workspace()
    const sdk = sdkFor(gh.url, ws.token)
    await unwrap(sdk.iamUsers.createInvites({ invites: [{ email: 'Pending@Example.com' }] }))
    const { userGroup } = await unwrap(sdk.iamGroups.createUserGroup({ name: 'reuse' }))
    const added = await unwrap(sdk.iamGroups.addUsersToUserGroup(userGroup.id, { emails: ['pending@example.com'] }))
    expect(added.userGroup.memberCount).toBe(0)
    const invites = await unwrap(sdk.iamUsers.listInvites({ count: 10 }))
    expect(invites.invites).toEqual(['Pending@Example.com'])
    expect(invites.pagination?.totalEntries).toBe(1)
    expect((await unwrap(sdk.iamGroups.listInvitesFromUserGroup(userGroup.id, { count: 10 }))).emails).toEqual(['Pending@Example.com'])
  })

  it('refuses with 409 to delete the only Workspace Owner, and keeps them', async () => {
    const ws = await gh.workspace()
    const sdk = sdkFor(gh.url, ws.token)
    expect(await rejectionOf(unwrap(sdk.iamUsers.deleteUsers([ws.owner.id])))).toMatchObject({ type: 'conflict', status: 409 })
    expect((await unwrap(sdk.iamUsers.getUser(ws.owner.id))).user.id).toBe(ws.owner.id)
    expect((await unwrap(sdk.iamUsers.listUsers({ count: 10 }))).pagination?.totalEntries).toBe(1)
  })

  it('serves an SDK whose basePath ends in a slash (the SDK then doubles it)', async () => {
    const ws = await gh.workspace()
    const sdk = sdkFor(`${gh.url}/`, ws.token)
    expect((await unwrap(sdk.workspaces.getWorkspace())).workspace.id).toBe(ws.id)
    expect((await unwrap(sdk.iamUsers.listUsers({ count: 10 }))).users).toHaveLength(1)
    const { userGroup } = await unwrap(sdk.iamGroups.createUserGroup({ name: 'slashes' }))
    expect(await unwrap(sdk.iamGroups.removeUsersFromUserGroup(userGroup.id, ['a@example.com']))).toEqual({ status: 'SUCCESS' })
  })
})
