import { setTimeout as sleep } from 'node:timers/promises'
import { type AuditEventV1, unwrap } from '@segment/public-api-sdk-typescript'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Gatehouse, startGatehouse } from '../helpers/gatehouse.js'
import { expectPaginationOutput, type IamSdk, MINIMAL_WORKSPACE_ACCESS, sdkFor, workspaceResource } from '../helpers/sdk.js'

describe('auditTrail.listAuditEvents through the official SDK', () => {
  let gh: Gatehouse
  beforeAll(async () => {
    gh = await startGatehouse()
  })
  afterAll(() => gh.stop())

  /** Every event of the workspace, newest first, walking `next` cursors. */
  async function allEvents(sdk: IamSdk, filter: { startTime?: string; endTime?: string; resourceId?: string; resourceType?: string } = {}) {
    const events: AuditEventV1[] = []
    let cursor: string | undefined
    let pages = 0
    do {
      // SDK 47.x takes pagination first: listAuditEvents(pagination, startTime?, endTime?, resourceId?, resourceType?).
      const page = await unwrap(
        sdk.auditTrail.listAuditEvents(
          cursor === undefined ? { count: 100 } : { count: 100, cursor },
          filter.startTime,
          filter.endTime,
          filter.resourceId,
          filter.resourceType,
        ),
      )
      events.push(...page.events)
      cursor = page.pagination?.next ?? undefined
      pages++
    } while (cursor !== undefined && pages < 50)
    return events
  }

  it('records the writes made through the SDK, newest first, as AuditEventV1', async () => {
    const ws = await gh.workspace()
    const sdk = sdkFor(gh.url, ws.token)
    const [user] = await gh.addUsers(ws, ['audited@example.com'])
    // Writes a few milliseconds apart, so timestamps order them unambiguously.
    const { userGroup } = await unwrap(sdk.iamGroups.createUserGroup({ name: 'audited' }))
    await sleep(5)
    await unwrap(sdk.iamGroups.updateUserGroup(userGroup.id, { name: 'audited-renamed' }))
    await sleep(5)
    await unwrap(sdk.iamGroups.addUsersToUserGroup(userGroup.id, { emails: ['audited@example.com'] }))
    await sleep(5)
    await unwrap(
      sdk.iamUsers.addPermissionsToUser(user?.id as string, {
        permissions: [{ roleId: MINIMAL_WORKSPACE_ACCESS, resources: [workspaceResource(ws.id)] }],
      }),
    )
    await sleep(5)
    await unwrap(sdk.labels.createLabel({ label: { key: 'audit', value: 'trail' } }))
    await sleep(5)
    await unwrap(sdk.iamUsers.createInvites({ invites: [{ email: 'invited@example.com' }] }))
    await sleep(5)
    await unwrap(sdk.iamGroups.deleteUserGroup(userGroup.id))

    const events = await allEvents(sdk)
    for (const e of events) {
      expect(e).toEqual(
        expect.objectContaining({
          id: expect.any(String),
          timestamp: expect.any(String),
          type: expect.any(String),
          actor: expect.any(String),
          resourceId: expect.any(String),
          resourceType: expect.any(String),
          resourceName: expect.any(String),
        }),
      )
      expect(new Date(e.timestamp).toISOString()).toBe(e.timestamp)
    }
    const times = events.map((e) => e.timestamp)
    expect(times).toEqual([...times].sort().reverse())
    expect(new Set(events.map((e) => e.id)).size).toBe(events.length)

    const order = [
      'User Group Deleted',
      'New Segment User Invited to Workspace',
      'Label Created',
      'User Policy Updated',
      'Subjects Added to Group',
      'User Group Updated',
      'User Group Created',
    ]
    const positions = order.map((type) => events.findIndex((e) => e.type === type))
    expect(positions.every((p) => p >= 0)).toBe(true)
    expect(positions).toEqual([...positions].sort((a, b) => a - b))

    const created = events.find((e) => e.type === 'User Group Created')
    expect(created).toMatchObject({ resourceId: userGroup.id, resourceType: 'user_group', resourceName: 'audited' })
    expect(events.find((e) => e.type === 'Label Created')).toMatchObject({ resourceName: 'audit:trail' })
    expect(events.find((e) => e.type === 'User Policy Updated')).toMatchObject({ resourceId: user?.id, resourceType: 'user' })
  })

  it('records the event names Segment documents for each write endpoint', async () => {
    const ws = await gh.workspace()
    const sdk = sdkFor(gh.url, ws.token)
    const [user, other] = await gh.addUsers(ws, ['documented@example.com', 'other@example.com'])
    if (user === undefined || other === undefined) throw new Error('users were not added')
    const seen = new Set((await allEvents(sdk)).map((e) => e.id))
    /** Runs a write and answers the types of the events it recorded. */
    async function typesOf(write: () => Promise<unknown>): Promise<string[]> {
      await write()
      const fresh = (await allEvents(sdk)).filter((e) => !seen.has(e.id))
      for (const e of fresh) seen.add(e.id)
      return fresh.map((e) => e.type)
    }
    const grant = { permissions: [{ roleId: MINIMAL_WORKSPACE_ACCESS, resources: [workspaceResource(ws.id)] }] }
    let groupId = ''

    const expectations: [string, () => Promise<unknown>, string[]][] = [
      ['addPermissionsToUser', () => unwrap(sdk.iamUsers.addPermissionsToUser(user.id, grant)), ['Policy Created', 'User Policy Updated']],
      ['replacePermissionsForUser', () => unwrap(sdk.iamUsers.replacePermissionsForUser(user.id, grant)), ['Policy Deleted']],
      [
        'createInvites',
        () =>
          unwrap(
            sdk.iamUsers.createInvites({ invites: [{ email: 'fresh@example.com', permissions: [{ roleId: MINIMAL_WORKSPACE_ACCESS }] }] }),
          ),
        ['Policy Created'],
      ],
      [
        'createUserGroup',
        async () => {
          groupId = (await unwrap(sdk.iamGroups.createUserGroup({ name: 'documented' }))).userGroup.id
        },
        ['User Group Created', 'Policy Created'],
      ],
      ['updateUserGroup', () => unwrap(sdk.iamGroups.updateUserGroup(groupId, { name: 'documented-2' })), ['User Group Updated']],
      [
        'addUsersToUserGroup',
        () => unwrap(sdk.iamGroups.addUsersToUserGroup(groupId, { emails: [user.email, other.email] })),
        ['Subjects Added to Group', 'User Added To User Group'],
      ],
      [
        'replaceUsersInUserGroup',
        () => unwrap(sdk.iamGroups.replaceUsersInUserGroup(groupId, { emails: [user.email, 'fresh@example.com'] })),
        ['Subjects Added to Group', 'User Added To User Group', 'Group Memberships Deleted'],
      ],
      [
        'removeUsersFromUserGroup',
        () => unwrap(sdk.iamGroups.removeUsersFromUserGroup(groupId, ['fresh@example.com'])),
        ['Group Memberships Deleted', 'User Removed From User Group'],
      ],
      [
        'addPermissionsToUserGroup',
        () => unwrap(sdk.iamGroups.addPermissionsToUserGroup(groupId, grant)),
        ['Policy Created', 'User Group Policy Updated'],
      ],
      ['replacePermissionsForUserGroup', () => unwrap(sdk.iamGroups.replacePermissionsForUserGroup(groupId, grant)), ['Policy Deleted']],
      ['deleteUsers', () => unwrap(sdk.iamUsers.deleteUsers([user.id])), ['Group Memberships Deleted']],
      ['deleteInvites', () => unwrap(sdk.iamUsers.deleteInvites(['fresh@example.com'])), ['Invite Deleted']],
      ['deleteUserGroup', () => unwrap(sdk.iamGroups.deleteUserGroup(groupId)), ['User Group Deleted']],
      ['createLabel', () => unwrap(sdk.labels.createLabel({ label: { key: 'documented', value: 'yes' } })), ['Label Created']],
      ['deleteLabel', () => unwrap(sdk.labels.deleteLabel('documented', 'yes')), ['Label Deleted']],
    ]
    for (const [endpoint, write, documented] of expectations) {
      expect(await typesOf(write), endpoint).toEqual(expect.arrayContaining(documented))
    }
  })

  it('filters by resourceId', async () => {
    const ws = await gh.workspace()
    const sdk = sdkFor(gh.url, ws.token)
    const { userGroup } = await unwrap(sdk.iamGroups.createUserGroup({ name: 'one' }))
    await unwrap(sdk.iamGroups.createUserGroup({ name: 'other' }))
    await unwrap(sdk.iamGroups.updateUserGroup(userGroup.id, { name: 'one-renamed' }))

    const events = await allEvents(sdk, { resourceId: userGroup.id })
    expect(events.length).toBeGreaterThanOrEqual(2)
    expect(events.every((e) => e.resourceId === userGroup.id)).toBe(true)
    expect(events.map((e) => e.type)).toEqual(expect.arrayContaining(['User Group Created', 'User Group Updated']))
  })

  it('filters by resourceType, case-insensitively', async () => {
    const ws = await gh.workspace()
    const sdk = sdkFor(gh.url, ws.token)
    await unwrap(sdk.iamGroups.createUserGroup({ name: 'typed' }))
    await unwrap(sdk.labels.createLabel({ label: { key: 'kind', value: 'label' } }))

    const labels = await allEvents(sdk, { resourceType: 'label' })
    expect(labels.map((e) => e.type)).toEqual(['Label Created'])
    const groups = await allEvents(sdk, { resourceType: 'USER_GROUP' })
    expect(groups.length).toBeGreaterThan(0)
    expect(groups.every((e) => e.resourceType === 'user_group')).toBe(true)
  })

  it('limits events to the time range: after startTime, up to endTime', async () => {
    const ws = await gh.workspace()
    const sdk = sdkFor(gh.url, ws.token)
    await unwrap(sdk.labels.createLabel({ label: { key: 'when', value: 'before' } }))
    await sleep(20)
    const start = new Date().toISOString()
    await sleep(20)
    await unwrap(sdk.labels.createLabel({ label: { key: 'when', value: 'during' } }))
    await sleep(20)
    const end = new Date().toISOString()
    await sleep(20)
    await unwrap(sdk.labels.createLabel({ label: { key: 'when', value: 'after' } }))

    const inRange = await allEvents(sdk, { startTime: start, endTime: end })
    expect(inRange.map((e) => e.resourceName)).toEqual(['when:during'])
    const since = await allEvents(sdk, { startTime: start })
    expect(since.map((e) => e.resourceName)).toEqual(['when:after', 'when:during'])
    const until = (await allEvents(sdk, { endTime: end })).map((e) => e.resourceName)
    expect(until).toContain('when:before')
    expect(until).toContain('when:during')
    expect(until).not.toContain('when:after')
  })

  it('pages events by next cursor without repeats and with a current cursor', async () => {
    const ws = await gh.workspace()
    const sdk = sdkFor(gh.url, ws.token)
    for (const value of ['a', 'b', 'c', 'd', 'e']) await unwrap(sdk.labels.createLabel({ label: { key: 'page', value } }))
    const everything = await allEvents(sdk)
    const paged: string[] = []
    let cursor: string | undefined
    let pages = 0
    do {
      const page = await unwrap(sdk.auditTrail.listAuditEvents(cursor === undefined ? { count: 2 } : { count: 2, cursor }))
      expectPaginationOutput(page.pagination)
      expect(page.events.length).toBeLessThanOrEqual(2)
      paged.push(...page.events.map((e) => e.id))
      cursor = page.pagination?.next ?? undefined
      pages++
    } while (cursor !== undefined && pages < 50)
    expect(paged).toEqual(everything.map((e) => e.id))
  })

  it('returns to the newest page through the previous cursor of the second', async () => {
    const ws = await gh.workspace()
    const sdk = sdkFor(gh.url, ws.token)
    for (const value of ['a', 'b', 'c', 'd']) await unwrap(sdk.labels.createLabel({ label: { key: 'back', value } }))
    const first = await unwrap(sdk.auditTrail.listAuditEvents({ count: 2 }))
    expect(first.pagination?.previous ?? null).toBeNull()
    const second = await unwrap(sdk.auditTrail.listAuditEvents({ count: 2, cursor: first.pagination?.next as string }))
    expect(second.events.map((e) => e.id)).not.toEqual(first.events.map((e) => e.id))
    const back = await unwrap(sdk.auditTrail.listAuditEvents({ count: 2, cursor: second.pagination?.previous as string }))
    expect(back.events.map((e) => e.id)).toEqual(first.events.map((e) => e.id))
  })

  it('rejects a startTime that is not an ISO-8601 time with 422 naming the field', async () => {
    const ws = await gh.workspace()
    const sdk = sdkFor(gh.url, ws.token)
    await expect(unwrap(sdk.auditTrail.listAuditEvents({ count: 10 }, 'yesterday'))).rejects.toEqual({
      type: 'input-validation',
      message: expect.any(String),
      status: 422,
      field: 'startTime',
    })
  })
})
