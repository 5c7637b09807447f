import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { accountForEmail } from '../../src/accounts/accounts.js'
import type { Queries } from '../../src/store/queries/index.js'
import { type Gatehouse, type HttpResult, type SeededWorkspace, startGatehouse } from '../helpers/gatehouse.js'

// Tenant scoping by construction: every IAM query over workspace-owned rows takes the workspace id and filters by
// it, so a caller that skipped its own check still cannot reach another workspace's rows. Each query is called
// with workspace A's id and workspace B's row ids (made through the real API): reads find nothing, writes change
// nothing in B nor in A. Each read is also run with B's own id, so an empty answer is never an empty fixture.

const MINIMAL_WORKSPACE_ACCESS = '1aEWAcU0fArxScocwH9xxLgW7r3'
const SEEK = { direction: 'after', key: null, limit: 100 } as const

function dataOf(res: HttpResult, status = 200): any {
  expect(res.status, res.text).toBe(status)
  return res.body.data
}

/** B's rows that A must not reach: a group with a member and a pending invite, another user and invite, grants. */
interface Foreign {
  groupId: string
  /** In the group, with a permission of their own. */
  memberId: string
  /** Not in the group. */
  otherUserId: string
  /** Pending, in the group, with a permission and a live invitation link. */
  inviteId: string
  /** Pending, in no group. */
  otherInviteId: string
  linkId: string
  tokenId: string
  codeId: string
  accountId: string
}

describe('IAM queries are scoped to the workspace they are given', () => {
  let gh: Gatehouse
  let a: SeededWorkspace
  let b: SeededWorkspace
  /** A's own group, which must not gain B's users or invites. */
  let ownGroupId: string
  let foreign: Foreign
  const read = <T>(work: (q: Queries) => Promise<T>) => gh.server.store.read(work)
  const write = <T>(work: (q: Queries) => Promise<T>) => gh.server.store.write(work)

  beforeAll(async () => {
    gh = await startGatehouse()
    a = await gh.workspace()
    b = await gh.workspace()
    ownGroupId = dataOf(await a.http.post('/groups', { name: 'Own' })).userGroup.id
    foreign = await seedForeign(b)
  })
  afterAll(() => gh?.stop())

  async function seedForeign(ws: SeededWorkspace): Promise<Foreign> {
    const grant = { roleId: MINIMAL_WORKSPACE_ACCESS, resources: [{ id: ws.id, type: 'WORKSPACE' }] }
    const [member, other] = await gh.addUsers(ws, [`ann@${ws.slug}.example`, `bob@${ws.slug}.example`])
    dataOf(await ws.http.post(`/users/${member?.id}/permissions`, { permissions: [grant] }))
    const invited = [`pat@${ws.slug}.example`, `sam@${ws.slug}.example`]
    dataOf(await ws.http.post('/invites', { invites: invited.map((email) => ({ email, permissions: [grant] })) }), 201)
    const groupId = dataOf(await ws.http.post('/groups', { name: 'Ops' })).userGroup.id
    dataOf(await ws.http.post(`/groups/${groupId}/users`, { emails: [member?.email, invited[0]] }))
    dataOf(await ws.http.post(`/groups/${groupId}/permissions`, { permissions: [grant] }))
    return write(async (q) => {
      const [pat, sam] = await q.invites.findByEmailKeys(ws.id, invited)
      const link = (await q.inviteLinks.newestOfInvites(ws.id, [pat?.id as string])).get(pat?.id as string)
      const [token] = await q.tokens.listLive(ws.id)
      const at = q.clock.now()
      const account = await accountForEmail(q, ws.owner.email, 'always', at.toISOString())
      const code = {
        id: `code-${ws.id}`,
        account_id: account?.id as string,
        workspace_id: ws.id,
        purpose: 'create_token',
        code_hash: 'not-a-real-hash',
        created_at: at.toISOString(),
        expires_at: new Date(at.getTime() + 3_600_000).toISOString(),
        used_at: null,
      } as const
      await q.codes.insert(code)
      return {
        groupId,
        memberId: member?.id as string,
        otherUserId: other?.id as string,
        inviteId: pat?.id as string,
        otherInviteId: sam?.id as string,
        linkId: link?.id as string,
        tokenId: token?.id as string,
        codeId: code.id,
        accountId: code.account_id,
      }
    })
  }

  /** Everything of B (and of A's own group) a foreign write could change, read with the right workspace ids. */
  const snapshot = () =>
    read(async (q) => {
      const f = foreign
      const subjects = [f.memberId, f.otherUserId, f.inviteId, f.otherInviteId, f.groupId]
      const [token] = await q.tokens.listLive(b.id)
      return {
        workspaces: [await q.workspaces.find(a.id), await q.workspaces.find(b.id)],
        group: await q.groups.find(b.id, f.groupId),
        members: await q.groups.memberIds(b.id, f.groupId),
        invites: await q.groups.inviteIds(b.id, f.groupId),
        users: (await q.users.list(b.id, SEEK)).rows,
        pending: (await q.invites.list(b.id, SEEK)).rows,
        permissions: [
          await q.permissions.ofSubjects(b.id, 'user', subjects),
          await q.permissions.ofSubjects(b.id, 'invite', subjects),
          await q.permissions.ofSubjects(b.id, 'group', subjects),
        ],
        link: (await q.inviteLinks.newestOfInvites(b.id, [f.inviteId])).get(f.inviteId),
        // last_used_at is left out: B's own requests note it, unawaited (the touch case checks it on its own).
        token: { ...token, last_used_at: undefined },
        code: await q.codes.find(b.id, f.codeId),
        own: {
          group: await q.groups.find(a.id, ownGroupId),
          members: await q.groups.memberIds(a.id, ownGroupId),
          invites: await q.groups.inviteIds(a.id, ownGroupId),
          users: (await q.users.list(a.id, SEEK)).rows,
        },
      }
    })

  const noRows = { rows: [], hasMore: false }
  const readCases: [string, (q: Queries, workspaceId: string) => Promise<unknown>, unknown][] = [
    ['groups.listMembers', (q, ws) => q.groups.listMembers(ws, foreign.groupId, SEEK), noRows],
    ['groups.countMembers', (q, ws) => q.groups.countMembers(ws, foreign.groupId), 0],
    ['groups.memberIds', (q, ws) => q.groups.memberIds(ws, foreign.groupId), []],
    ['groups.listGroupsOfUser', (q, ws) => q.groups.listGroupsOfUser(ws, foreign.memberId, SEEK), noRows],
    ['groups.countGroupsOfUser', (q, ws) => q.groups.countGroupsOfUser(ws, foreign.memberId), 0],
    ['groups.groupsOfUsers', (q, ws) => q.groups.groupsOfUsers(ws, [foreign.memberId]), []],
    ['groups.membershipsOfUsers', (q, ws) => q.groups.membershipsOfUsers(ws, [foreign.memberId]), []],
    ['groups.listInvites', (q, ws) => q.groups.listInvites(ws, foreign.groupId, SEEK), noRows],
    ['groups.countInvites', (q, ws) => q.groups.countInvites(ws, foreign.groupId), 0],
    ['groups.inviteIds', (q, ws) => q.groups.inviteIds(ws, foreign.groupId), []],
    ['groups.groupsOfInvites', (q, ws) => q.groups.groupsOfInvites(ws, [foreign.inviteId]), []],
    ['groups.namesOf', (q, ws) => q.groups.namesOf(ws, [foreign.groupId]), []],
    ['permissions.ofSubjects (user)', (q, ws) => q.permissions.ofSubjects(ws, 'user', [foreign.memberId]), []],
    ['permissions.ofSubjects (group)', (q, ws) => q.permissions.ofSubjects(ws, 'group', [foreign.groupId]), []],
    ['permissions.ofSubjects (invite)', (q, ws) => q.permissions.ofSubjects(ws, 'invite', [foreign.inviteId]), []],
    ['codes.find', (q, ws) => q.codes.find(ws, foreign.codeId), undefined],
  ]

  it.each(readCases)("%s reads nothing of another workspace's rows", async (_, query, nothing) => {
    expect(await read((q) => query(q, b.id))).not.toEqual(nothing)
    expect(await read((q) => query(q, a.id))).toEqual(nothing)
  })

  const at = () => new Date().toISOString()
  const writeCases: [string, (q: Queries, workspaceId: string) => Promise<unknown>][] = [
    ['groups.rename', (q, ws) => q.groups.rename(ws, foreign.groupId, 'Hijacked', 'hijacked')],
    ['groups.addMembers (foreign group)', (q, ws) => q.groups.addMembers(ws, foreign.groupId, [foreign.otherUserId], at())],
    ['groups.addMembers (foreign user)', (q, ws) => q.groups.addMembers(ws, ownGroupId, [foreign.otherUserId], at())],
    ['groups.removeMembers', (q, ws) => q.groups.removeMembers(ws, foreign.groupId, [foreign.memberId])],
    ['groups.addInvites (foreign group)', (q, ws) => q.groups.addInvites(ws, foreign.groupId, [foreign.otherInviteId], at())],
    ['groups.addInvites (foreign invite)', (q, ws) => q.groups.addInvites(ws, ownGroupId, [foreign.otherInviteId], at())],
    ['groups.removeInvites', (q, ws) => q.groups.removeInvites(ws, foreign.groupId, [foreign.inviteId])],
    ['permissions.deleteOfSubjects', (q, ws) => q.permissions.deleteOfSubjects(ws, 'user', [foreign.memberId])],
    ['permissions.transfer', (q, ws) => q.permissions.transfer(ws, 'invite', foreign.inviteId, 'user', foreign.otherUserId)],
    ['inviteLinks.use', (q, ws) => q.inviteLinks.use(ws, foreign.linkId, at())],
    ['codes.spendAttempt', (q, ws) => q.codes.spendAttempt(ws, foreign.codeId, 5, at())],
    ['codes.use', (q, ws) => q.codes.use(ws, foreign.codeId, at())],
    // Ended before a day from now: B's live code would qualify.
    ['codes.prune', (q, ws) => q.codes.prune(ws, foreign.accountId, 'create_token', new Date(Date.now() + 86_400_000).toISOString())],
  ]

  it.each(writeCases)("%s changes nothing of another workspace's rows", async (_, query) => {
    const before = await snapshot()
    const answer = await write((q) => query(q, a.id))
    // The writes that say what they did say they did nothing.
    if (typeof answer === 'boolean') expect(answer).toBe(false)
    if (Array.isArray(answer)) expect(answer).toEqual([])
    expect(await snapshot()).toEqual(before)
  })

  it("tokens.touch does not note a use of another workspace's token", async () => {
    const later = new Date(Date.now() + 86_400_000)
    expect(await write((q) => q.tokens.touch(a.id, foreign.tokenId, later))).toBe(false)
    const [token] = await read((q) => q.tokens.listLive(b.id))
    expect(token?.last_used_at).not.toBe(later.toISOString())
  })

  it('users.insertMany and invites.insertMany put rows in the workspace they name, whatever the rows say', async () => {
    const before = await snapshot()
    const row = (email: string) => ({ id: `row-${email}`, workspace_id: b.id, email, email_key: email, created_at: at() })
    await write(async (q) => {
      await q.users.insertMany(a.id, [{ ...row('eve@a.example'), name: 'Eve' }])
      await q.invites.insertMany(a.id, [row('zed@a.example')])
    })
    const after = await snapshot()
    expect({ ...after, workspaces: [after.workspaces[1]], own: undefined }).toEqual({
      ...before,
      workspaces: [before.workspaces[1]],
      own: undefined,
    })
    const [mine] = await read((q) => q.users.findByIds(a.id, ['row-eve@a.example']))
    const [pending] = await read((q) => q.invites.findByIds(a.id, ['row-zed@a.example']))
    expect([mine?.workspace_id, pending?.workspace_id]).toEqual([a.id, a.id])
    expect([after.workspaces[0]?.user_count, after.workspaces[0]?.invite_count]).toEqual([
      Number(before.workspaces[0]?.user_count) + 1,
      Number(before.workspaces[0]?.invite_count) + 1,
    ])
  })
})
