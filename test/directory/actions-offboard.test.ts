import { describe, expect, it } from 'vitest'
import { directoryServerForSuite } from '../helpers/directory.js'
import {
  act,
  actionEvents,
  connectAndSync,
  createGroup,
  directoryOf,
  extraToken,
  inviteRemotely,
  lastSeq,
  remote,
  revokeToken,
} from './actions-helpers.js'

describe('directory actions: offboarding across workspaces', () => {
  const { gh, api } = directoryServerForSuite()

  /**
   * pat@corp.example is a member of A (in group eng), a pending invite in B and a member of C; C is
   * connected with a token of its own that the test can revoke.
   */
  async function threeWorkspaces(email: string) {
    const [a, b, c] = [await gh.workspace({ name: 'Acme' }), await gh.workspace({ name: 'Beta' }), await gh.workspace({ name: 'Gamma' })]
    const [patA] = await gh.addUsers(a, [email, 'stays@corp.example'])
    await createGroup(a, 'eng', [email, 'stays@corp.example'])
    await inviteRemotely(b, [email])
    const [patC] = await gh.addUsers(c, [email])
    const token = await extraToken(gh, c)
    const connections = {
      a: await connectAndSync(gh, a, { name: 'acme' }),
      b: await connectAndSync(gh, b, { name: 'beta' }),
      c: await connectAndSync(gh, c, { name: 'gamma', token: token.secret }),
    }
    return { a, b, c, patA: patA!, patC: patC!, token, connections }
  }

  it('plans the deletion in every workspace on a dry run and changes nothing', async () => {
    const email = 'dry.pat@corp.example'
    const { a, b, c, patA, patC, connections } = await threeWorkspaces(email)
    const before = await lastSeq(gh)
    const res = await act(api, 'offboard', { email: 'Dry.Pat@Corp.example', dry_run: true })
    expect(res.status, res.text).toBe(200)
    expect(res.body).toMatchObject({ action: 'offboard', dry_run: true, status: 'planned', summary: { calls: 3, succeeded: 0 } })
    expect(res.body.calls.map((c: any) => [c.connection_id, c.method, c.path, c.query, c.url, c.outcome])).toEqual([
      [connections.a.id, 'DELETE', '/users', { userIds: [patA.id] }, `${gh.url}/users?userIds%5B0%5D=${patA.id}`, 'planned'],
      [connections.b.id, 'DELETE', '/invites', { emails: [email] }, `${gh.url}/invites?emails%5B0%5D=dry.pat%40corp.example`, 'planned'],
      [connections.c.id, 'DELETE', '/users', { userIds: [patC.id] }, `${gh.url}/users?userIds%5B0%5D=${patC.id}`, 'planned'],
    ])
    expect(res.body.connections.map((p: any) => [p.connection_name, p.workspace.name, p.status])).toEqual([
      ['acme', 'Acme', 'planned'],
      ['beta', 'Beta', 'planned'],
      ['gamma', 'Gamma', 'planned'],
    ])
    expect(await remote.users(a)).toContain(email)
    expect(await remote.invites(b)).toContain(email)
    expect(await remote.users(c)).toContain(email)
    expect(await lastSeq(gh)).toBe(before)
  })

  it('offboards from the workspaces that answer and reports the one that fails, then marks the directory at once', async () => {
    const email = 'pat@corp.example'
    const { a, b, c, patA, token, connections } = await threeWorkspaces(email)
    await revokeToken(gh, c, token.id)
    const before = await lastSeq(gh)

    const res = await act(api, 'offboard', { email })
    // Partial failure is never hidden: 207, status partial, and the failing workspace named with its error.
    expect(res.status, res.text).toBe(207)
    expect(res.body).toMatchObject({ status: 'partial', summary: { calls: 3, succeeded: 2, failed: 1, not_attempted: 0 } })
    expect(res.body.connections.map((p: any) => [p.connection_name, p.status, p.error?.type ?? null])).toEqual([
      ['acme', 'succeeded', null],
      ['beta', 'succeeded', null],
      ['gamma', 'failed', 'needs_reauth'],
    ])
    expect(res.body.connections[2].error).toMatchObject({ status: 401, message: expect.stringMatching(/gamma now needs a new token/) })
    expect(res.body.calls.map((c: any) => [c.path, c.outcome, c.status])).toEqual([
      ['/users', 'succeeded', 200],
      ['/invites', 'succeeded', 200],
      ['/users', 'failed', 401],
    ])
    expect(res.body.calls[2].error).toMatchObject({ type: 'unauthorized', status: 401 })

    // The remotes: gone from A and B, still in C.
    expect(await remote.users(a)).not.toContain(email)
    expect(await remote.invites(b)).not.toContain(email)
    expect(await remote.users(c)).toContain(email)

    // The directory, at once: tombstones in A and B, C untouched and its connection waiting for a new token.
    const [dirA, dirB, dirC] = [
      await directoryOf(gh, connections.a),
      await directoryOf(gh, connections.b),
      await directoryOf(gh, connections.c),
    ]
    expect(dirA.user(email)).toMatchObject({ status: 'deleted', remote_id: patA.id, deleted_at: expect.any(String) })
    expect(dirB.user(email)).toMatchObject({ status: 'deleted', deleted_at: expect.any(String) })
    expect(dirC.user(email)).toMatchObject({ status: 'active', deleted_at: null })
    expect(dirA.memberships).toEqual(['eng stays@corp.example'])
    expect(dirA.group('eng').member_count).toBe(1)
    expect(dirC.connection.status).toBe('needs_reauth')
    expect(res.body.users.map((u: any) => [u.workspace.name, u.status])).toEqual([
      ['Acme', 'deleted'],
      ['Beta', 'deleted'],
      ['Gamma', 'active'],
    ])
    expect((await actionEvents(gh, connections.a.id, before)).map((e) => [e.type, e.sync_run_id])).toEqual([
      ['membership.removed', null],
      ['group.updated', null],
      ['user.deleted', null],
    ])
    expect((await actionEvents(gh, connections.b.id, before)).map((e) => e.type)).toEqual(['user.deleted'])
    expect(await actionEvents(gh, connections.c.id, before)).toEqual([])

    // Again: only C is left, and it now fails without a call being sent.
    const again = await act(api, 'offboard', { email })
    expect(again.status).toBe(207)
    expect(again.body).toMatchObject({ status: 'failed', summary: { calls: 1, failed: 0, not_attempted: 1 } })
    expect(again.body.connections).toEqual([
      expect.objectContaining({
        connection_name: 'gamma',
        status: 'failed',
        requests: 0,
        error: expect.objectContaining({ type: 'needs_reauth', message: expect.stringMatching(/nothing was sent/) }),
      }),
    ])
  })

  it('answers a no-op for someone the directory does not know', async () => {
    const res = await act(api, 'offboard', { email: 'nobody@corp.example' })
    expect(res.status, res.text).toBe(200)
    expect(res.body).toMatchObject({ status: 'noop', calls: [], connections: [] })
    expect(res.body.notes).toEqual([expect.stringMatching(/no live account for nobody@corp.example/)])
  })

  it('reads a 404 on a delete as done already: the account is gone either way', async () => {
    const email = 'gone@corp.example'
    const ws = await gh.workspace()
    const [user] = await gh.addUsers(ws, [email])
    const connection = await connectAndSync(gh, ws)
    // Removed on the remote behind the directory's back.
    expect((await ws.http.delete(`/users?userIds%5B0%5D=${user!.id}`)).status).toBe(200)

    const res = await act(api, 'offboard', { email })
    expect(res.status, res.text).toBe(200)
    expect(res.body).toMatchObject({ status: 'succeeded', summary: { already_done: 1 } })
    expect(res.body.calls[0]).toMatchObject({ outcome: 'already_done', status: 404, error: null })
    expect((await directoryOf(gh, connection)).user(email).status).toBe('deleted')
  })
})
