import { describe, expect, it } from 'vitest'
import { approveRun, runSync } from '../../src/directory/sync/run.js'
import { SyncConflictError } from '../../src/errors.js'
import { newId } from '../../src/ids.js'
import { connect, directoryServerForSuite } from '../helpers/directory.js'
import { createGroup, deleteUsers, eventsOf, expectMirrors, lastSeq, remoteTruth, seedRemote, storedRows } from './sync-helpers.js'

describe('directory sync', () => {
  const { gh, api } = directoryServerForSuite({ clearFaultsAfterEach: true })
  const sync = (connectionId: string) => runSync(gh.server.directory, connectionId, { trigger: 'test' })
  const stats = (run: { stats: string }) => JSON.parse(run.stats)

  it('mirrors two workspaces exactly: members with direct roles, invites, groups with members and invites, roles, workspace', async () => {
    const [a, b] = [await gh.workspace({ name: 'Acme Prod' }), await gh.workspace({ name: 'Acme EU' })]
    await seedRemote(gh, a, 'a')
    await seedRemote(gh, b, 'b')
    await createGroup(b, 'b-empty')
    const [ca, cb] = [await connect(gh, a), await connect(gh, b)]
    const before = await lastSeq(gh)

    const [ra, rb] = await Promise.all([sync(ca.id), sync(cb.id)])
    expect([ra.state, rb.state]).toEqual(['succeeded', 'succeeded'])
    expect([ra.complete, rb.complete]).toEqual([1, 1])

    const rows = await expectMirrors(gh, ca.id, await remoteTruth(a))
    await expectMirrors(gh, cb.id, await remoteTruth(b))
    // owner, ada, bob, cy (members); ivy (invite in eng), ike, new.hire (invite in ops)
    expect(rows.users.map((u) => u.status).sort()).toEqual(['active', 'active', 'active', 'active', 'invited', 'invited', 'invited'])
    expect(rows.users.find((u) => u.email_key === 'a.cy.mixed@example.com')?.email).toBe('a.Cy.Mixed@Example.com')
    expect(rows.connection.last_complete_sync_at).toBe(ra.finished_at)
    expect(rows.connection.last_sync_run_id).toBe(ra.id)

    // Every list fits one page: the fewest requests the page size allows (the audit watermark, workspace,
    // 4 lists, 2 per group).
    const s = stats(ra)
    expect(s).toMatchObject({
      requests: 1 + 5 + 2 * 2,
      pages: 4 + 2 * 2,
      rateLimited: 0,
      retries: 0,
      seen: { users: 7, groups: 2, memberships: 5, roles: rows.roles.length },
      created: { users: 7, groups: 2, memberships: 5, roles: rows.roles.length },
      updated: { users: 0, groups: 0, memberships: 0, roles: 0 },
      removed: { users: 0, groups: 0, memberships: 0, roles: 0 },
    })
    expect(stats(rb).requests).toBe(1 + 5 + 2 * 3)

    // One event per created user, group and membership, groups and users before the memberships naming them.
    const events = await eventsOf(gh, ca.id, before)
    expect(events.map((e) => e.type)).toEqual([
      ...Array(2).fill('group.created'),
      ...Array(7).fill('user.created'),
      ...Array(5).fill('membership.added'),
    ])
    expect(events.every((e) => e.sync_run_id === ra.id)).toBe(true)
    const ada = events.find((e) => e.type === 'user.created' && e.body.email === 'a.ada@example.com')?.body
    expect(ada).toMatchObject({
      connection_id: ca.id,
      status: 'active',
      license_type: 'Segment',
      workspace: { id: a.id, slug: a.slug, name: 'Acme Prod' },
      groups: [{ name: 'a-eng' }],
      deleted_at: null,
    })
    // Direct roles, then the ones the group grants.
    expect(ada.roles.map((r: any) => [r.name, r.via, r.group?.name])).toEqual([
      ['Source Admin', 'direct', undefined],
      ['Function Admin', 'group', 'a-eng'],
    ])
    const invited = events.find((e) => e.body.email === 'a.ivy@example.com')?.body
    expect(invited).toMatchObject({ remote_id: null, name: null, status: 'invited', remote_data: { invite: 'a.ivy@example.com' } })
    // An invite's own roles are not readable remotely; the group it is invited into still grants its roles.
    expect(invited.roles.map((r: any) => [r.name, r.via])).toEqual([['Function Admin', 'group']])
    const membership = events.find((e) => e.type === 'membership.added' && e.body.user.email === 'a.new.hire@example.com')?.body
    expect(membership).toMatchObject({ group: { name: 'a-ops' }, member_kind: 'invite', connection_id: ca.id })
  })

  it('writes nothing and emits no event when nothing changed remotely, then reports only what did', async () => {
    const ws = await gh.workspace()
    const { eng, ops } = await seedRemote(gh, ws, 'n')
    const conn = await connect(gh, ws)
    await sync(conn.id)
    const before = await storedRows(gh, conn.id)
    const seq = await lastSeq(gh)

    const again = await sync(conn.id)
    expect(again.state).toBe('succeeded')
    expect(stats(again)).toMatchObject({
      created: { users: 0, groups: 0, memberships: 0, roles: 0 },
      updated: { users: 0, groups: 0, memberships: 0, roles: 0 },
      removed: { users: 0, groups: 0, memberships: 0, roles: 0 },
    })
    const after = await storedRows(gh, conn.id)
    // Not even last_seen_at moves: only the run record and the connection's sync bookkeeping change.
    expect({ ...after, connection: undefined }).toEqual({ ...before, connection: undefined })
    expect({ ...after.connection, last_sync_run_id: null, last_complete_sync_at: null, next_sync_at: null }).toEqual({
      ...before.connection,
      last_sync_run_id: null,
      last_complete_sync_at: null,
      next_sync_at: null,
    })
    expect(await eventsOf(gh, conn.id, seq)).toEqual([])

    // Now a rename and a deleted group: one group.updated, one group.deleted, its memberships removed first.
    expect((await ws.http.patch(`/groups/${eng}`, { name: 'n-engineering' })).status).toBe(200)
    expect((await ws.http.delete(`/groups/${ops}`)).status).toBe(200)
    const third = await sync(conn.id)
    expect(third.state).toBe('succeeded')
    await expectMirrors(gh, conn.id, await remoteTruth(ws))
    const events = await eventsOf(gh, conn.id, seq)
    expect(events.map((e) => e.type)).toEqual(['group.updated', 'membership.removed', 'membership.removed', 'group.deleted'])
    expect(events[0]?.body).toMatchObject({ name: 'n-engineering', previous: { name: 'n-eng' } })
    expect(events[3]?.body.deleted_at).toBe(third.finished_at)
    const ops_ = (await storedRows(gh, conn.id)).groups.find((g) => g.remote_id === ops)
    expect(ops_?.deleted_at).not.toBeNull()
  })

  it('skips the full read when the audit trail and totals show no change, and reads in full when either moves', async () => {
    const ws = await gh.workspace()
    await seedRemote(gh, ws, 'q')
    const conn = await connect(gh, ws)
    expect(stats(await sync(conn.id)).mode).toBe('full')
    const quiet = await sync(conn.id)
    // The newest audit event, then one total per list (users, invites, groups): nothing else is read.
    expect(quiet).toMatchObject({ state: 'succeeded', complete: 1 })
    expect(stats(quiet)).toMatchObject({ mode: 'unchanged', requests: 4 })

    // A change the audit trail never saw (rows removed behind the API's back) still shows in the totals.
    const [pending] = (await gh.server.store.read((q) => q.invites.list(ws.id, { direction: 'after', key: null, limit: 1 }))).rows
    if (!pending) throw new Error('seedRemote made no invite')
    await gh.server.store.write((q) => q.invites.deleteMany(ws.id, [pending.id]))
    const caught = await sync(conn.id)
    expect(stats(caught)).toMatchObject({ mode: 'full', removed: { users: 1 } })
    await expectMirrors(gh, conn.id, await remoteTruth(ws))

    // However quiet the trail, a full read still runs once fullSyncEveryMs has passed.
    expect(stats(await sync(conn.id)).mode).toBe('unchanged')
    const config = gh.server.directory.config
    const every = config.fullSyncEveryMs
    config.fullSyncEveryMs = 0
    try {
      expect(stats(await sync(conn.id)).mode).toBe('full')
    } finally {
      config.fullSyncEveryMs = every
    }
  })

  it('reads in full every time when the token cannot read the audit trail (a MEMBER token)', async () => {
    const ws = await gh.workspace()
    await seedRemote(gh, ws, 'm')
    const member = await gh.admin.post(`/admin/workspaces/${ws.id}/tokens`, { description: 'reader', role: 'MEMBER' })
    const conn = await connect(gh, ws, { token: member.body.data.secret })
    expect(stats(await sync(conn.id)).mode).toBe('full')
    const again = await sync(conn.id)
    expect(stats(again).mode).toBe('full')
    expect(again.state).toBe('succeeded')
  })

  it('keeps the directory id when an invite is accepted remotely, as one user.updated', async () => {
    const ws = await gh.workspace()
    const { eng } = await seedRemote(gh, ws, 'v')
    const conn = await connect(gh, ws)
    await sync(conn.id)
    const invitedRow = (await storedRows(gh, conn.id)).users.find((u) => u.email_key === 'v.ivy@example.com')
    expect(invitedRow).toMatchObject({ status: 'invited', remote_id: null })
    const seq = await lastSeq(gh)

    const [member] = await gh.addUsers(ws, ['V.Ivy@example.com'])
    const run = await sync(conn.id)
    expect(run.state).toBe('succeeded')
    await expectMirrors(gh, conn.id, await remoteTruth(ws))
    const row = (await storedRows(gh, conn.id)).users.find((u) => u.email_key === 'v.ivy@example.com')
    expect(row).toMatchObject({ id: invitedRow?.id, status: 'active', remote_id: member?.id, first_seen_at: invitedRow?.first_seen_at })

    const events = await eventsOf(gh, conn.id, seq)
    const userEvents = events.filter((e) => e.type.startsWith('user.'))
    expect(userEvents.map((e) => [e.type, e.subject_id])).toEqual([['user.updated', invitedRow?.id]])
    expect(userEvents[0]?.body).toMatchObject({ status: 'active', previous: { status: 'invited', remote_id: null } })
    // Still in the same group, so no membership event; the group now counts one more member.
    expect(events.filter((e) => e.type.startsWith('membership.'))).toEqual([])
    expect(events.filter((e) => e.type === 'group.updated').map((e) => e.body.remote_id)).toEqual([eng])
  })

  it('marks a user deleted remotely only after a complete run: a 401 marks nothing and stops the connection', async () => {
    const ws = await gh.workspace()
    const users = await gh.addUsers(
      ws,
      Array.from({ length: 9 }, (_, i) => `d${i}@example.com`),
    )
    const token = await gh.admin.post(`/admin/workspaces/${ws.id}/tokens`, { description: 'directory' })
    const conn = await connect(gh, ws, { token: token.body.data.secret })
    await sync(conn.id)
    const gone = users[0]!
    await deleteUsers(ws, [gone.id])
    expect((await gh.admin.delete(`/admin/workspaces/${ws.id}/tokens/${token.body.data.token.id}`)).status).toBe(200)
    const seq = await lastSeq(gh)

    const failed = await sync(conn.id)
    expect(failed.state).toBe('failed')
    expect(failed.error).toMatch(/401/)
    let rows = await storedRows(gh, conn.id)
    expect(rows.connection).toMatchObject({ status: 'needs_reauth', last_sync_run_id: failed.id })
    expect(rows.connection.status_detail).toMatch(/401/)
    expect(rows.users.find((u) => u.remote_id === gone.id)?.status).toBe('active')
    expect(await eventsOf(gh, conn.id, seq)).toEqual([])
    // Syncs stop until the token is rotated.
    await expect(sync(conn.id)).rejects.toThrow(/needs a new token/)
    const refused = await api.post(`/directory/connections/${conn.id}/sync`)
    expect(refused.status).toBe(409)
    expect(refused.body.errors[0]).toMatchObject({ type: 'conflict', status: 409 })

    // What rotating the token does (the connections routes own it): a new sealed token, status active.
    await gh.server.store.write((q) =>
      q.connections.update(conn.id, { token_ciphertext: gh.server.directory.cipher.seal(ws.token), status: 'active', status_detail: null }),
    )
    const healed = await sync(conn.id)
    expect(healed.state).toBe('succeeded')
    rows = await expectMirrors(gh, conn.id, await remoteTruth(ws))
    const tombstone = rows.users.find((u) => u.remote_id === gone.id)
    expect(tombstone).toMatchObject({ status: 'deleted', deleted_at: healed.finished_at })
    expect(rows.connection).toMatchObject({ status: 'active', status_detail: null })
    expect((await eventsOf(gh, conn.id, seq)).map((e) => [e.type, e.subject_id])).toEqual([['user.deleted', tombstone?.id]])

    // Back again: the same row, reactivated.
    const seq2 = await lastSeq(gh)
    await gh.addUsers(ws, [gone.email])
    await sync(conn.id)
    const back = (await storedRows(gh, conn.id)).users.find((u) => u.email_key === gone.email)
    expect(back).toMatchObject({ id: tombstone?.id, status: 'active', deleted_at: null })
    expect((await eventsOf(gh, conn.id, seq2)).map((e) => e.type)).toEqual(['user.reactivated'])
  })

  it('records other failures as an error on the connection, which the next successful run clears', async () => {
    const [ws, other] = [await gh.workspace(), await gh.workspace()]
    await gh.addUsers(ws, ['e1@example.com'])
    // A token that reaches another workspace than the one connected.
    const conn = await connect(gh, ws, { token: other.token })
    const failed = await sync(conn.id)
    expect(failed.state).toBe('failed')
    expect(failed.error).toMatch(/token now reaches workspace/)
    expect((await storedRows(gh, conn.id)).connection).toMatchObject({ status: 'error', status_detail: failed.error })
    expect((await storedRows(gh, conn.id)).users).toEqual([])

    await gh.server.store.write((q) => q.connections.update(conn.id, { token_ciphertext: gh.server.directory.cipher.seal(ws.token) }))
    expect((await sync(conn.id)).state).toBe('succeeded')
    expect((await storedRows(gh, conn.id)).connection).toMatchObject({ status: 'active', status_detail: null })
  })

  it("refreshes the connection's workspace slug and name from the remote, and re-enables groups when the plan allows them", async () => {
    const ws = await gh.workspace({ name: 'Renamed Co' })
    const conn = await connect(gh, ws)
    await gh.server.store.write((q) =>
      q.connections.update(conn.id, { remote_workspace_slug: 'old-slug', remote_workspace_name: 'Old Name', groups_supported: 0 }),
    )
    const run = await sync(conn.id)
    const rows = await expectMirrors(gh, conn.id, await remoteTruth(ws))
    expect(rows.connection).toMatchObject({
      remote_workspace_slug: ws.slug,
      remote_workspace_name: 'Renamed Co',
      updated_at: run.finished_at,
    })
  })

  it('holds a mass deletion for approval (drift guard), and applies it on approve', async () => {
    const ws = await gh.workspace()
    const users = await gh.addUsers(
      ws,
      Array.from({ length: 9 }, (_, i) => `m${i}@example.com`),
    )
    await createGroup(ws, 'm-team', [users[0]!.email, users[1]!.email])
    const conn = await connect(gh, ws)
    await sync(conn.id)
    const doomed = users.slice(0, 5)
    await deleteUsers(
      ws,
      doomed.map((u) => u.id),
    )
    const seq = await lastSeq(gh)

    // 5 of 10 accounts would go, above the 20% threshold.
    const held = await sync(conn.id)
    expect(held.state).toBe('held')
    expect(held.complete).toBe(1)
    const rows = await storedRows(gh, conn.id)
    const doomedIds = rows.users.filter((u) => doomed.some((d) => d.email === u.email_key)).map((u) => u.id)
    expect(JSON.parse(held.pending_deletions ?? '[]').sort()).toEqual(doomedIds.sort())
    expect(stats(held)).toMatchObject({ held: 5, removed: { users: 0, memberships: 0 } })
    expect(rows.users.filter((u) => u.status === 'deleted')).toEqual([])
    // Their memberships wait with them; the group's new member count is applied.
    expect(rows.memberships).toHaveLength(2)
    expect((await eventsOf(gh, conn.id, seq)).map((e) => e.type)).toEqual(['group.updated'])

    const res = await api.get(`/directory/sync-runs/${held.id}`)
    expect(res.body).toMatchObject({ state: 'held', pending_deletions: expect.arrayContaining(doomedIds), stats: { held: 5 } })

    const approved = await api.post(`/directory/sync-runs/${held.id}/approve`)
    expect(approved.status, approved.text).toBe(200)
    expect(approved.body).toMatchObject({ id: held.id, state: 'succeeded', stats: { removed: { users: 5, memberships: 2 } } })
    expect(approved.body.stats.approvedAt).toEqual(expect.any(String))
    const after = await expectMirrors(gh, conn.id, await remoteTruth(ws))
    expect(
      after.users
        .filter((u) => u.status === 'deleted')
        .map((u) => u.id)
        .sort(),
    ).toEqual(doomedIds.sort())
    const events = await eventsOf(gh, conn.id, seq)
    expect(events.map((e) => e.type)).toEqual([
      'group.updated',
      'membership.removed',
      'membership.removed',
      ...Array(5).fill('user.deleted'),
    ])
    expect(events.slice(1).every((e) => e.sync_run_id === held.id)).toBe(true)

    const again = await api.post(`/directory/sync-runs/${held.id}/approve`)
    expect(again.status).toBe(409)
    expect(again.body.errors[0].message).toMatch(/not held/)
    // And a later run finds nothing more to do.
    const next = await sync(conn.id)
    expect(stats(next).removed.users).toBe(0)
  })

  it('refuses to approve a held run that a later run superseded', async () => {
    const ws = await gh.workspace()
    const users = await gh.addUsers(ws, ['s1@example.com', 's2@example.com'])
    const conn = await connect(gh, ws)
    await sync(conn.id)
    await deleteUsers(
      ws,
      users.map((u) => u.id),
    )
    const first = await sync(conn.id)
    const second = await sync(conn.id)
    expect([first.state, second.state]).toEqual(['held', 'held'])
    await expect(approveRun(gh.server.directory, first.id)).rejects.toThrow(/superseded by run/)
    expect((await approveRun(gh.server.directory, second.id)).state).toBe('succeeded')
  })

  it('completes under injected 429s and 500s with the same result, counting the waits and retries', async () => {
    const ws = await gh.workspace()
    await seedRemote(gh, ws, 'f')
    const conn = await connect(gh, ws)
    const faults = [
      { fault: 'rate-limit', route: '/users', method: 'GET', msBeforeNext: 150, count: 2 },
      { fault: 'rate-limit', route: '/groups/:userGroupId/invites', method: 'GET', msBeforeNext: 100, count: 1 },
      { fault: 'error', route: '/groups/:userGroupId/users', method: 'GET', status: 503, count: 2 },
      { fault: 'error', route: '/invites', method: 'GET', count: 1 },
    ]
    for (const f of faults) expect((await gh.admin.post('/admin/faults', { ...f, workspaceId: ws.id })).status).toBe(201)

    const run = await sync(conn.id)
    expect(run.state, run.error ?? '').toBe('succeeded')
    expect(run.complete).toBe(1)
    await expectMirrors(gh, conn.id, await remoteTruth(ws))
    expect(stats(run)).toMatchObject({ rateLimited: 3, retries: 3, requests: 1 + 5 + 2 * 2 + 3 + 3 })
    expect(stats(run).waitedMs).toBeGreaterThanOrEqual(150)
  })

  it('syncs a team-plan workspace without groups and calls the run complete', async () => {
    const ws = await gh.workspace({ plan: 'team' })
    await gh.addUsers(ws, ['t1@example.com'])
    await ws.http.post('/invites', { invites: [{ email: 't2@example.com' }] })
    const conn = await connect(gh, ws)
    const run = await sync(conn.id)
    expect(run).toMatchObject({ state: 'succeeded', complete: 1, error: null })
    const rows = await expectMirrors(gh, conn.id, await remoteTruth(ws))
    expect(rows.connection.groups_supported).toBe(0)
    expect(rows.groups).toEqual([])
    expect(stats(run).requests).toBe(1 + 5)
  })

  it('runs one sync per connection at a time, and takes over a run whose process stopped heart-beating', async () => {
    const ws = await gh.workspace()
    const conn = await connect(gh, ws)
    const stale = newId()
    const at = new Date().toISOString()
    await gh.server.store.write((q) =>
      q.dirRuns.insert({
        id: stale,
        connection_id: conn.id,
        state: 'running',
        trigger: 'test',
        stats: '{}',
        owner: 'elsewhere:1',
        heartbeat_at: at,
        started_at: at,
      }),
    )
    await expect(sync(conn.id)).rejects.toBeInstanceOf(SyncConflictError)
    const res = await api.post(`/directory/connections/${conn.id}/sync`)
    expect(res.status).toBe(409)
    expect(res.body.errors[0]).toMatchObject({
      type: 'conflict',
      message: expect.stringMatching(/already syncing/),
      data: { run_id: stale },
    })

    const old = new Date(Date.now() - 3 * 60_000).toISOString()
    await gh.server.store.write((q) => q.dirRuns.update(stale, { heartbeat_at: old }))
    expect((await sync(conn.id)).state).toBe('succeeded')
    const abandoned = await gh.server.store.read((q) => q.dirRuns.find(stale))
    expect(abandoned).toMatchObject({ state: 'failed', error: expect.stringMatching(/Abandoned.*elsewhere:1/) })
  })
})
