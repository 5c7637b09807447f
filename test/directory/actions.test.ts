import { describe, expect, it } from 'vitest'
import { directoryClient, directoryServerForSuite } from '../helpers/directory.js'
import {
  act,
  actionEvents,
  connectAndSync,
  createGroup,
  directoryOf,
  inviteRemotely,
  lastSeq,
  MINIMAL_ROLE,
  remote,
  sync,
} from './actions-helpers.js'

describe('directory actions: invite and group changes', () => {
  const { gh, api } = directoryServerForSuite({ clearFaultsAfterEach: true })

  /** A synced workspace: members ada and bob, invite ivy; group eng (ada, ivy) and empty group ops. */
  async function seeded() {
    const ws = await gh.workspace()
    await gh.addUsers(ws, ['ada@example.com', 'bob@example.com'])
    await inviteRemotely(ws, ['ivy@example.com'])
    const remoteIds = { eng: await createGroup(ws, 'eng', ['ada@example.com', 'ivy@example.com']), ops: await createGroup(ws, 'ops') }
    const connection = await connectAndSync(gh, ws)
    return { ws, connection, remoteIds, dir: await directoryOf(gh, connection) }
  }

  it('invites an email with a workspace role and a group, and records the invite in the directory at once', async () => {
    const { ws, connection, remoteIds, dir } = await seeded()
    const before = await lastSeq(gh)
    const res = await act(api, 'invite', {
      connection_id: connection.id,
      email: 'New.Hire@example.com',
      role_ids: [MINIMAL_ROLE],
      group_ids: [dir.group('ops').id],
    })
    expect(res.status, res.text).toBe(200)
    expect(res.body).toMatchObject({ action: 'invite', dry_run: false, status: 'succeeded' })
    expect(res.body.calls).toEqual([
      expect.objectContaining({
        connection_id: connection.id,
        method: 'POST',
        path: '/invites',
        query: null,
        body: {
          invites: [
            { email: 'New.Hire@example.com', permissions: [{ roleId: MINIMAL_ROLE, resources: [{ id: ws.id, type: 'WORKSPACE' }] }] },
          ],
        },
        url: `${gh.url}/invites`,
        outcome: 'succeeded',
        status: 201,
        error: null,
      }),
      expect.objectContaining({
        method: 'POST',
        path: `/groups/${remoteIds.ops}/users`,
        body: { emails: ['New.Hire@example.com'] },
        outcome: 'succeeded',
        status: 200,
      }),
    ])
    expect(res.body.connections).toEqual([
      expect.objectContaining({ connection_id: connection.id, status: 'succeeded', error: null, requests: 2, rate_limited: 0 }),
    ])

    // The remote holds the invite, in the group, with its role.
    expect(await remote.invites(ws)).toContain('new.hire@example.com')
    expect(await remote.groupMembers(ws, remoteIds.ops)).toEqual(['new.hire@example.com'])

    // The directory shows it at once, with the events a sync would have emitted.
    const after = await directoryOf(gh, connection)
    const hire = after.user('new.hire@example.com')
    expect(hire).toMatchObject({ status: 'invited', remote_id: null, email: 'New.Hire@example.com', deleted_at: null })
    expect(after.memberships).toContain('ops new.hire@example.com')
    expect(res.body.users).toEqual([
      expect.objectContaining({ id: hire.id, status: 'invited', groups: [expect.objectContaining({ name: 'ops' })] }),
    ])
    const events = await actionEvents(gh, connection.id, before)
    expect(events.map((e) => [e.type, e.subject_id, e.sync_run_id])).toEqual([
      ['user.created', hire.id, null],
      ['membership.added', hire.id, null],
    ])
    expect(events[0]?.body).toMatchObject({ email: 'New.Hire@example.com', status: 'invited', groups: [{ name: 'ops' }] })

    // The next sync finds the directory already right: nothing to write, no event.
    const run = await sync(gh, connection.id)
    expect(run.stats.created).toEqual({ users: 0, groups: 0, memberships: 0, roles: 0 })
    expect(run.stats.updated).toEqual({ users: 0, groups: 0, memberships: 0, roles: 0 })
    expect(await lastSeq(gh)).toBe(before + 2)
  })

  it('reports an invite of a member as a no-op and sends nothing', async () => {
    const { ws, connection } = await seeded()
    const res = await act(api, 'invite', { connection_id: connection.id, email: 'ADA@example.com', role_ids: [MINIMAL_ROLE] })
    expect(res.status, res.text).toBe(200)
    expect(res.body).toMatchObject({ status: 'noop', calls: [], summary: { calls: 0 } })
    expect(res.body.connections[0]).toMatchObject({ status: 'noop', requests: 0 })
    expect(res.body.connections[0].noops).toEqual([
      expect.stringMatching(/ada@example.com is already a member .*no invite sent, roles unchanged/),
    ])
    expect(await remote.audited(ws, 'New Segment User Invited to Workspace', 'ADA@example.com')).toBe(0)
  })

  it('reads a 409 on an invite (a member the directory has not synced yet) as done, and still adds the groups', async () => {
    const { ws, connection, remoteIds, dir } = await seeded()
    await gh.addUsers(ws, ['late@example.com'])
    const res = await act(api, 'invite', { connection_id: connection.id, email: 'late@example.com', group_ids: [dir.group('ops').id] })
    expect(res.status, res.text).toBe(200)
    expect(res.body).toMatchObject({ status: 'succeeded', summary: { calls: 2, succeeded: 1, already_done: 1 } })
    expect(res.body.calls.map((c: any) => [c.path, c.outcome, c.status])).toEqual([
      ['/invites', 'already_done', 409],
      [`/groups/${remoteIds.ops}/users`, 'succeeded', 200],
    ])
    expect(await remote.groupMembers(ws, remoteIds.ops)).toEqual(['late@example.com'])
  })

  it('does not add the groups when the invite itself fails, and says so per call', async () => {
    const { ws, connection, remoteIds, dir } = await seeded()
    // More 500s than the client retries: the invite fails for good.
    const fault = { route: '/invites', method: 'POST', workspaceId: ws.id, fault: 'error', status: 500, count: 20 }
    expect((await gh.admin.post('/admin/faults', fault)).status).toBe(201)
    const res = await act(api, 'invite', { connection_id: connection.id, email: 'unlucky@example.com', group_ids: [dir.group('ops').id] })
    expect(res.status, res.text).toBe(207)
    expect(res.body).toMatchObject({ status: 'failed', summary: { calls: 2, succeeded: 0, failed: 1, not_attempted: 1 } })
    expect(res.body.calls.map((c: any) => [c.path, c.outcome, c.status, c.error?.type ?? null])).toEqual([
      ['/invites', 'failed', 500, 'server'],
      [`/groups/${remoteIds.ops}/users`, 'not_attempted', null, null],
    ])
    // The first attempt and five retries, then it gave up.
    expect(res.body.connections[0]).toMatchObject({ status: 'failed', error: { status: 500 }, requests: 6 })
    expect(await remote.groupMembers(ws, remoteIds.ops)).toEqual([])
    expect((await directoryOf(gh, connection)).connection.status).toBe('active')
  })

  it('answers a dry run with the exact calls it would make, and changes nothing', async () => {
    const { ws, connection, remoteIds, dir } = await seeded()
    const before = await lastSeq(gh)
    const res = await act(api, 'invite', {
      connection_id: connection.id,
      email: 'dry@example.com',
      group_ids: [dir.group('eng').id, remoteIds.ops],
      dry_run: true,
    })
    expect(res.status, res.text).toBe(200)
    expect(res.body).toMatchObject({ dry_run: true, status: 'planned', summary: { calls: 3, succeeded: 0 } })
    expect(res.body.calls.map((c: any) => [c.method, c.url, c.body, c.outcome, c.status])).toEqual([
      ['POST', `${gh.url}/invites`, { invites: [{ email: 'dry@example.com' }] }, 'planned', null],
      ['POST', `${gh.url}/groups/${remoteIds.eng}/users`, { emails: ['dry@example.com'] }, 'planned', null],
      ['POST', `${gh.url}/groups/${remoteIds.ops}/users`, { emails: ['dry@example.com'] }, 'planned', null],
    ])
    expect(res.body.connections[0]).toMatchObject({ status: 'planned', requests: 0 })
    expect(await remote.invites(ws)).not.toContain('dry@example.com')
    expect((await directoryOf(gh, connection)).memberships).toEqual(dir.memberships)
    expect(await lastSeq(gh)).toBe(before)
  })

  it('adds a member and an invited user to a group and removes them again, on the remote and in the directory', async () => {
    const { ws, connection, remoteIds, dir } = await seeded()
    const [bob, ivy, ops] = [dir.user('bob@example.com'), dir.user('ivy@example.com'), dir.group('ops')]
    const before = await lastSeq(gh)

    for (const user of [bob, ivy]) {
      const res = await act(api, 'add_to_groups', { user_id: user.id, group_ids: [ops.id] })
      expect(res.status, res.text).toBe(200)
      expect(res.body).toMatchObject({ status: 'succeeded', summary: { calls: 1, succeeded: 1 } })
      expect(res.body.calls[0]).toMatchObject({ method: 'POST', path: `/groups/${remoteIds.ops}/users`, body: { emails: [user.email] } })
    }
    expect((await remote.groupMembers(ws, remoteIds.ops)).sort()).toEqual(['bob@example.com', 'ivy@example.com'])
    expect((await directoryOf(gh, connection)).memberships).toEqual(
      [...dir.memberships, 'ops bob@example.com', 'ops ivy@example.com'].sort(),
    )
    // Bob counts as a member of ops now (an invite does not): the group row says so too.
    expect((await directoryOf(gh, connection)).group('ops').member_count).toBe(1)

    // Adding again is a no-op reported, with no call.
    const again = await act(api, 'add_to_groups', { user_id: bob.id, group_ids: [ops.id] })
    expect(again.body).toMatchObject({ status: 'noop', calls: [] })
    expect(again.body.connections[0].noops).toEqual(['bob@example.com is already in group ops'])

    for (const user of [bob, ivy]) {
      const res = await act(api, 'remove_from_groups', { user_id: user.id, group_ids: [ops.id] })
      expect(res.status, res.text).toBe(200)
      expect(res.body.status).toBe('succeeded')
      // Segment's singular /group/ path, the email in the SDK's indexed query form.
      expect(res.body.calls[0]).toMatchObject({
        method: 'DELETE',
        path: `/group/${remoteIds.ops}/users`,
        query: { emails: [user.email] },
        url: `${gh.url}/group/${remoteIds.ops}/users?emails%5B0%5D=${encodeURIComponent(user.email)}`,
        outcome: 'succeeded',
        status: 200,
      })
    }
    expect(await remote.groupMembers(ws, remoteIds.ops)).toEqual([])
    const after = await directoryOf(gh, connection)
    expect(after.memberships).toEqual(dir.memberships)
    expect(after.group('ops').member_count).toBe(0)

    const events = await actionEvents(gh, connection.id, before)
    expect(events.map((e) => `${e.type} ${e.body.user?.email ?? e.body.name}`)).toEqual([
      'membership.added bob@example.com',
      'group.updated ops',
      'membership.added ivy@example.com',
      'membership.removed bob@example.com',
      'group.updated ops',
      'membership.removed ivy@example.com',
    ])
    expect(events.find((e) => e.body.user?.email === 'ivy@example.com')?.body.member_kind).toBe('invite')

    // The next sync agrees with every row the actions wrote.
    const run = await sync(gh, connection.id)
    expect([run.stats.created, run.stats.updated, run.stats.removed]).toEqual([
      { users: 0, groups: 0, memberships: 0, roles: 0 },
      { users: 0, groups: 0, memberships: 0, roles: 0 },
      { users: 0, groups: 0, memberships: 0, roles: 0 },
    ])
  })

  it('removes a synced member from every group the directory shows', async () => {
    const { ws, connection, remoteIds, dir } = await seeded()
    const ada = dir.user('ada@example.com')
    await act(api, 'add_to_groups', { user_id: ada.id, group_ids: [dir.group('ops').id] })

    const res = await act(api, 'remove_from_all_groups', { user_id: ada.id })
    expect(res.status, res.text).toBe(200)
    expect(res.body.status).toBe('succeeded')
    expect(res.body.calls.map((c: any) => c.path).sort()).toEqual([`/group/${remoteIds.eng}/users`, `/group/${remoteIds.ops}/users`].sort())
    const groups = await ws.http.get(`/users/${ada.remote_id}/groups`)
    expect(groups.body.data.groups).toEqual([])
    expect((await directoryOf(gh, connection)).memberships).toEqual(['eng ivy@example.com'])
    expect(res.body.users).toEqual([expect.objectContaining({ id: ada.id, status: 'active', groups: [] })])
  })

  it('refuses to remove an invited user from all groups with a clear 422, sending nothing', async () => {
    const { ws, connection, remoteIds, dir } = await seeded()
    const ivy = dir.user('ivy@example.com')
    const res = await act(api, 'remove_from_all_groups', { user_id: ivy.id })
    expect(res.status).toBe(422)
    expect(res.body.errors).toEqual([
      expect.objectContaining({
        type: 'input-validation',
        status: 422,
        field: 'user_id',
        message: expect.stringMatching(/only for synced members, and ivy@example.com is a pending invite/),
      }),
    ])
    expect(await remote.groupMembers(ws, remoteIds.eng)).toContain('ivy@example.com')
    expect((await directoryOf(gh, connection)).memberships).toEqual(dir.memberships)

    const unknown = await act(api, 'remove_from_all_groups', { user_id: 'no-such-user' })
    expect(unknown.status).toBe(404)
    expect(unknown.body.errors[0]).toMatchObject({ type: 'not-found', field: 'user_id' })
  })

  it('replays the first answer to a retry with the same Idempotency-Key, so the remote acts once', async () => {
    const { ws, connection } = await seeded()
    const request = { connection_id: connection.id, email: 'once@example.com', role_ids: [MINIMAL_ROLE] }
    const key = { 'Idempotency-Key': `invite-once-${connection.id}` }
    const first = await act(api, 'invite', request, key)
    expect(first.status, first.text).toBe(200)
    expect(first.body.status).toBe('succeeded')

    const retry = await act(api, 'invite', request, key)
    expect(retry.status).toBe(first.status)
    expect(retry.body).toEqual(first.body)
    expect(retry.headers.get('idempotent-replayed')).toBe('true')
    // Without the key, the same request is planned afresh: the directory already knows the invite.
    const fresh = await act(api, 'invite', request)
    expect(fresh.body.status).toBe('noop')
    expect(await remote.audited(ws, 'New Segment User Invited to Workspace', 'once@example.com')).toBe(1)

    // The same key for another request is refused; another API key's keys are its own.
    const other = await act(api, 'invite', { ...request, email: 'twice@example.com' }, key)
    expect(other.status).toBe(422)
    expect(other.body.errors[0]).toMatchObject({
      field: 'Idempotency-Key',
      message: expect.stringMatching(/already used for a different request/),
    })
    const otherApi = await directoryClient(gh)
    expect((await act(otherApi, 'invite', request, key)).body.status).toBe('noop')
    expect(await remote.invites(ws)).not.toContain('twice@example.com')
  })

  it('lets concurrent requests with one Idempotency-Key act once', async () => {
    const { ws, connection, dir } = await seeded()
    const request = { user_id: dir.user('bob@example.com').id, group_ids: [dir.group('eng').id] }
    const key = { 'Idempotency-Key': `race-${connection.id}` }
    const answers = await Promise.all([act(api, 'add_to_groups', request, key), act(api, 'add_to_groups', request, key)])
    expect(answers.map((a) => a.status).sort()).toEqual(answers.some((a) => a.status === 409) ? [200, 409] : [200, 200])
    const conflict = answers.find((a) => a.status === 409)
    if (conflict) expect(conflict.body.errors[0].message).toMatch(/still in progress/)
    expect(await remote.audited(ws, 'User Added To User Group', 'bob@example.com')).toBe(1)
  })

  it('waits out a 429 and retries a 500 from the remote, and the action still succeeds', async () => {
    const { ws, connection, remoteIds, dir } = await seeded()
    for (const fault of [
      { fault: 'rate-limit', msBeforeNext: 200 },
      { fault: 'error', status: 503 },
    ])
      expect(
        (
          await gh.admin.post('/admin/faults', {
            route: '/groups/:userGroupId/users',
            method: 'POST',
            workspaceId: ws.id,
            count: 1,
            ...fault,
          })
        ).status,
      ).toBe(201)
    const res = await act(api, 'add_to_groups', { user_id: dir.user('bob@example.com').id, group_ids: [dir.group('ops').id] })
    expect(res.status, res.text).toBe(200)
    expect(res.body.status).toBe('succeeded')
    expect(res.body.connections[0]).toMatchObject({ rate_limited: 1, retries: 1, requests: 3 })
    expect(await remote.groupMembers(ws, remoteIds.ops)).toEqual(['bob@example.com'])
    expect((await directoryOf(gh, connection)).memberships).toContain('ops bob@example.com')
  })

  it('rejects unknown groups and roles of the connection before sending anything', async () => {
    const { connection, dir } = await seeded()
    const badGroup = await act(api, 'add_to_groups', { user_id: dir.user('bob@example.com').id, group_ids: ['nope'] })
    expect(badGroup.status).toBe(422)
    expect(badGroup.body.errors[0]).toMatchObject({ field: 'group_ids.0', message: expect.stringMatching(/not a group of connection/) })
    const badRole = await act(api, 'invite', { connection_id: connection.id, email: 'r@example.com', role_ids: ['nope'] })
    expect(badRole.status).toBe(422)
    expect(badRole.body.errors[0]).toMatchObject({ field: 'role_ids.0' })
    const badBody = await act(api, 'offboard', { email: 'not-an-email' })
    expect(badBody.status).toBe(422)
  })
})
