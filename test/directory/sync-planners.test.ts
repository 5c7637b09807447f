import { describe, expect, it } from 'vitest'
import { eventBuilder } from '../../src/directory/events.js'
import type { PlanContext } from '../../src/directory/sync/plan/context.js'
import { orderEvents } from '../../src/directory/sync/plan/events.js'
import { planGroups } from '../../src/directory/sync/plan/groups.js'
import { type Existing, type PlanInput, planSync, type SyncPlan } from '../../src/directory/sync/plan/index.js'
import { planMemberships } from '../../src/directory/sync/plan/memberships.js'
import { planRoles } from '../../src/directory/sync/plan/roles.js'
import { planUsers, tombstone } from '../../src/directory/sync/plan/users.js'
import type { RemoteGroup, RemoteSnapshot, RemoteUser } from '../../src/directory/sync/remote.js'
import type { ConnectionRow } from '../../src/store/queries/connections.js'
import type { DirGroupRow } from '../../src/store/queries/dir-groups.js'
import type { DirUserRow } from '../../src/store/queries/dir-users.js'

/*
 * The sync diff, planner by planner, and `planSync` as a whole against the plans it produced before it was
 * split into planners (the file snapshot was written by the single-function planSync and must not change).
 */

const workspace = { id: 'ws', slug: 'ws', name: 'WS' }
const connection = { id: 'conn', last_complete_sync_at: '2024-01-01T00:00:00.000Z' } as ConnectionRow
const ROLE = { admin: 'role-admin', reader: 'role-reader' }
const grant = (roleId: string) => [{ roleId, roleName: roleId, resources: [{ id: 'ws', type: 'WORKSPACE' }] }]

/** Deterministic ids, so a plan can be compared whole. */
function counter(prefix: string): () => string {
  let n = 0
  return () => `${prefix}-${String(++n).padStart(3, '0')}`
}

function snapshot(over: Partial<RemoteSnapshot> = {}): RemoteSnapshot {
  return { workspace, roles: [], users: [], invites: [], groupsSupported: true, groups: [], members: new Map(), incomplete: [], ...over }
}

const nothing = (): Existing => ({ users: [], groups: [], roles: [], memberships: [] })

function input(snap: RemoteSnapshot, existing: Existing, over: Partial<PlanInput> = {}): PlanInput {
  return {
    connection,
    workspace,
    runId: 'run',
    now: '2024-02-01T00:00:00.000Z',
    existing,
    snapshot: snap,
    complete: snap.incomplete.length === 0,
    touched: new Set(),
    driftThreshold: 0.2,
    newId: counter('id'),
    ...over,
  }
}

/** The store after a plan is applied, as applyPlan writes it. */
function applied(existing: Existing, plan: SyncPlan): Existing {
  const patch = <T extends { id: string }>(rows: T[], inserts: T[], updates: { id: string; changes: object }[]) => {
    const byId = new Map([...rows, ...inserts].map((r) => [r.id, r]))
    for (const u of updates) byId.set(u.id, { ...byId.get(u.id)!, ...u.changes })
    return [...byId.values()]
  }
  const gone = new Set(plan.deleteMemberships.map((m) => `${m.group_id} ${m.user_id}`))
  return {
    users: patch(existing.users, plan.insertUsers, plan.updateUsers),
    groups: patch(existing.groups, plan.insertGroups, plan.updateGroups),
    roles: patch(existing.roles, plan.insertRoles, plan.updateRoles),
    memberships: [...existing.memberships.filter((m) => !gone.has(`${m.group_id} ${m.user_id}`)), ...plan.insertMemberships],
  }
}

/**
 * A plan as JSON, its events' payloads parsed so the snapshot reads as what a consumer receives. Ids are
 * renamed in order of first appearance: which id names which row is kept, the order they were drawn in is not.
 */
function readable(plan: SyncPlan): string {
  const json = JSON.stringify({ ...plan, events: plan.events.map((e) => ({ ...e, data: JSON.parse(e.data) })) }, null, 2)
  const names = new Map<string, string>()
  return `${json.replace(/\b[a-z]-\d{3}\b/g, (id) => names.get(id) ?? names.set(id, `id${names.size + 1}`).get(id)!)}\n`
}

const member = (name: string, roles: string[] = []): RemoteUser => ({
  id: `r-${name}`,
  name: name.toUpperCase(),
  email: `${name}@example.com`,
  permissions: roles.flatMap(grant),
})
const group = (id: string, name: string, memberCount: number, roles: string[] = []): RemoteGroup => ({
  id,
  name,
  memberCount,
  permissions: roles.flatMap(grant),
})
const members = (entries: [string, RemoteUser[], string[]][]) => new Map(entries.map(([g, users, invites]) => [g, { users, invites }]))

/**
 * Three runs over one workspace: a first sync; a second in which things are created, renamed, re-roled,
 * removed, promoted from invite to member and touched by an action mid-run; a third in which a removed
 * account returns.
 */
const ada = member('ada', [ROLE.admin])
const bob = member('bob')
const cy = { ...member('cy'), email: 'Cy.Mixed@Example.com' }
const dan = member('dan')
const eve = member('eve')
const fay = member('fay', [ROLE.reader])
const ivyMember = member('ivy')
const roles = [
  { id: ROLE.admin, name: 'Admin', description: 'all' },
  { id: ROLE.reader, name: 'Reader', description: 'read' },
  { id: 'role-old', name: 'Old', description: 'gone soon' },
]
const first = snapshot({
  roles: [...roles, roles[0]!],
  users: [ada, bob, cy, dan, eve, ada],
  invites: ['ivy@example.com', 'ike@example.com', 'ADA@example.com'],
  groups: [group('g-eng', 'eng', 3, [ROLE.reader]), group('g-ops', 'ops', 2), group('g-old', 'old', 1), group('g-act', 'act', 1)],
  members: members([
    ['g-eng', [ada, { ...cy, email: 'cy.mixed@example.com' }], ['ivy@example.com']],
    ['g-ops', [bob], ['ike@example.com', 'late@example.com']],
    ['g-old', [dan], []],
    ['g-act', [eve], []],
  ]),
})
const second = snapshot({
  roles: [roles[0]!, { ...roles[1]!, description: 'read only' }, { id: 'role-new', name: 'New', description: '' }],
  users: [ada, { ...bob, name: 'Robert' }, cy, ivyMember, fay],
  invites: ['ike@example.com', 'gus@example.com'],
  groups: [group('g-eng', 'eng', 3, [ROLE.reader]), group('g-ops', 'operations', 2), group('g-new', 'new', 1), group('g-new', 'new', 1)],
  members: members([
    ['g-eng', [ada, ivyMember, fay], ['fay@example.com']],
    ['g-ops', [bob], ['ike@example.com']],
    ['g-new', [], ['gus@example.com']],
  ]),
})
const third = snapshot({
  ...second,
  users: [...second.users, dan],
  members: new Map([...second.members, ['g-new', { users: [dan], invites: ['gus@example.com'] }]]),
})

function threeRuns() {
  const firstPlan = planSync(input(first, nothing(), { newId: counter('a') }))
  const afterFirst = applied(nothing(), firstPlan)
  const id = (email: string) => afterFirst.users.find((u) => u.email_key === email)!.id
  const groupId = (remote: string) => afterFirst.groups.find((g) => g.remote_id === remote)!.id
  // An action changed eve and group act while the second run was reading.
  const touched = new Set([id('eve@example.com'), groupId('g-act')])
  const secondPlan = planSync(input(second, afterFirst, { newId: counter('b'), now: '2024-03-01T00:00:00.000Z', touched }))
  const afterSecond = applied(afterFirst, secondPlan)
  const thirdPlan = planSync(input(third, afterSecond, { newId: counter('c'), now: '2024-04-01T00:00:00.000Z' }))
  return { firstPlan, afterFirst, secondPlan, afterSecond, thirdPlan }
}

describe('planSync as a whole', () => {
  it('plans three runs over one workspace exactly as before the planners were split', async () => {
    const { firstPlan, secondPlan, thirdPlan } = threeRuns()
    await expect(readable(firstPlan)).toMatchFileSnapshot('./__snapshots__/sync-plan-first.json')
    await expect(readable(secondPlan)).toMatchFileSnapshot('./__snapshots__/sync-plan-second.json')
    await expect(readable(thirdPlan)).toMatchFileSnapshot('./__snapshots__/sync-plan-third.json')
  })

  it('plans a held run and a short run exactly as before the planners were split', async () => {
    const { afterFirst } = threeRuns()
    const mostGone = snapshot({ ...first, users: [ada], invites: [] })
    const held = planSync(input(mostGone, afterFirst, { newId: counter('h') }))
    // bob is missing from the short users list and listed as invited: still a member.
    const cutShort = {
      ...second,
      users: [ada, cy, ivyMember, fay],
      invites: [...second.invites, 'bob@example.com'],
      incomplete: ['/users'],
    }
    const short = planSync(input(cutShort, afterFirst, { newId: counter('s') }))
    await expect(readable(held)).toMatchFileSnapshot('./__snapshots__/sync-plan-held.json')
    await expect(readable(short)).toMatchFileSnapshot('./__snapshots__/sync-plan-short.json')
  })
})

describe('planSync on what a live remote cannot be made to produce on demand', () => {
  // A list cut short, an action landing mid-run: the behaviours a remote can produce are tested end to end.
  const ten = Array.from({ length: 10 }, (_, i) => member(`u${i}`))
  const eng = group('g1', 'eng', 2)
  const full = snapshot({ users: ten, groups: [eng], members: members([['g1', [ten[0]!, ten[1]!], []]]) })
  const synced = (snap: RemoteSnapshot) => applied(nothing(), planSync(input(snap, nothing())))

  it('removes nothing and keeps members from a run whose lists came back short', () => {
    const short = snapshot({ users: ten.slice(0, 5), invites: ['u6@example.com'], groups: [eng], incomplete: ['/users'] })
    const plan = planSync(input(short, synced(full)))
    expect(plan.removed).toEqual({ users: 0, groups: 0, memberships: 0, roles: 0 })
    expect(plan.deleteMemberships).toEqual([])
    // u6 is listed only as invited, but a short users list cannot prove it stopped being a member.
    expect(plan.updateUsers).toEqual([])
    expect(plan.events).toEqual([])
  })

  it('leaves alone what an action changed while the run was reading', () => {
    const existing = synced(full)
    const [u0, u9] = ['u0@example.com', 'u9@example.com'].map((e) => existing.users.find((u) => u.email_key === e)!.id)
    // The remote, as read, lost u9 and u0's membership; an action touched both meanwhile.
    const later = snapshot({ users: ten.slice(0, 9), groups: [eng], members: members([['g1', [ten[1]!], []]]) })
    const plan = planSync(input(later, existing, { touched: new Set([u0!, u9!]) }))
    expect(plan.updateUsers).toEqual([])
    expect(plan.deleteMemberships).toEqual([])
    expect(plan.events).toEqual([])
  })

  it('applies deletions up to the drift threshold and holds them beyond it', () => {
    const existing = synced(full)
    const twoGone = planSync(input(snapshot({ ...full, users: ten.slice(0, 8) }), existing))
    expect(twoGone.pendingDeletions).toEqual([])
    expect(twoGone.removed.users).toBe(2)
    expect(twoGone.events.filter((e) => e.type === 'user.deleted')).toHaveLength(2)

    const threeGone = planSync(input(snapshot({ ...full, users: ten.slice(0, 7) }), existing))
    expect(threeGone.pendingDeletions).toHaveLength(3)
    expect(threeGone.removed.users).toBe(0)
    expect(threeGone.events).toEqual([])
  })

  it('waits for the next run for a group member the users and invites lists did not name', () => {
    const late = snapshot({ ...full, members: members([['g1', [ten[0]!, ten[1]!, member('u99')], []]]) })
    const plan = planSync(input(late, synced(full)))
    expect(plan.insertMemberships).toEqual([])
    expect(plan.insertUsers).toEqual([])
    expect(plan.events).toEqual([])
  })
})

/* Each planner on its own: rows in, rows out. The rows a planner is given are what it wrote on a first run. */

const BEFORE = '2024-01-01T00:00:00.000Z'
const LAST_COMPLETE = '2024-01-15T00:00:00.000Z'
const NOW = '2024-02-01T00:00:00.000Z'

function at(over: Partial<PlanContext> = {}): PlanContext {
  return {
    connectionId: 'conn',
    now: NOW,
    lastCompleteSyncAt: LAST_COMPLETE,
    complete: true,
    touched: new Set(),
    newId: counter('n'),
    ...over,
  }
}
const firstRun = at({ now: BEFORE, lastCompleteSyncAt: null, newId: counter('f') })

describe('planRoles', () => {
  const admin = { id: 'r1', name: 'Admin', description: 'all' }
  const reader = { id: 'r2', name: 'Reader', description: 'read' }
  const stored = planRoles(firstRun, [], [admin, reader, admin]).insert

  it('creates each role once, rewrites only changed ones, and removes missing ones only after a complete read', () => {
    expect(stored.map((r) => [r.remote_id, r.first_seen_at, r.deleted_at])).toEqual([
      ['r1', BEFORE, null],
      ['r2', BEFORE, null],
    ])
    const renamed = planRoles(at(), stored, [
      { ...admin, name: 'Owner' },
      { id: 'r3', name: 'New', description: '' },
    ])
    expect(renamed.tally).toEqual({ seen: 2, created: 1, updated: 1, removed: 1 })
    expect(renamed.insert.map((r) => r.remote_id)).toEqual(['r3'])
    const [rename, removal] = renamed.update
    expect(rename).toMatchObject({ id: stored[0]!.id, changes: { name: 'Owner', last_seen_at: NOW, deleted_at: null } })
    // Unchanged rows are not rewritten, so the last complete run saw the removed role last.
    expect(removal).toEqual({ id: stored[1]!.id, changes: { deleted_at: NOW, last_seen_at: LAST_COMPLETE } })

    expect(planRoles(at(), stored, [admin, reader])).toMatchObject({ insert: [], update: [] })
    expect(planRoles(at({ complete: false }), stored, [admin]).update).toEqual([])
  })

  it('revives a removed role the remote lists again', () => {
    const removed = stored.map((r) => ({ ...r, deleted_at: BEFORE }))
    const back = planRoles(at(), removed, [admin])
    expect(back.update).toEqual([{ id: stored[0]!.id, changes: expect.objectContaining({ deleted_at: null, last_seen_at: NOW }) }])
    expect(back.tally).toEqual({ seen: 1, created: 0, updated: 1, removed: 0 })
  })
})

describe('planGroups', () => {
  const eng = group('g1', 'eng', 2, [ROLE.reader])
  const ops = group('g2', 'ops', 1)
  const stored = planGroups(firstRun, [], { groups: [eng, ops, eng], groupsSupported: true })

  it('creates, rewrites and removes groups, and says how each stands after the run', () => {
    expect(stored.changes.map((c) => [c.after.remote_id, c.before])).toEqual([
      ['g1', undefined],
      ['g2', undefined],
    ])
    const [engRow, opsRow] = stored.insert as [DirGroupRow, DirGroupRow]
    expect(JSON.parse(engRow.roles)).toEqual([{ id: ROLE.reader, name: ROLE.reader, resources: [{ id: 'ws', type: 'WORKSPACE' }] }])

    const plan = planGroups(at(), stored.insert, { groups: [{ ...eng, name: 'engineering' }], groupsSupported: true })
    expect(plan.tally).toEqual({ seen: 1, created: 0, updated: 1, removed: 1 })
    expect(plan.changes).toEqual([{ after: { ...engRow, ...plan.update[0]!.changes }, before: engRow }])
    expect(plan.changes[0]!.after).toMatchObject({ id: engRow.id, name: 'engineering', last_seen_at: NOW })
    expect(plan.deleted).toEqual([{ ...opsRow, deleted_at: NOW, last_seen_at: LAST_COMPLETE }])
    expect(plan.after.get('g1')).toBe(plan.changes[0]!.after)
    expect(plan.after.get('g2')).toBe(plan.deleted[0])
  })

  it('leaves alone groups an action touched mid-run, keeps everything on a short read, and reads nothing without groups', () => {
    const [engRow, opsRow] = stored.insert as [DirGroupRow, DirGroupRow]
    const touched = planGroups(at({ touched: new Set([engRow.id, opsRow.id]) }), stored.insert, {
      groups: [{ ...eng, name: 'engineering' }],
      groupsSupported: true,
    })
    expect(touched).toMatchObject({ insert: [], update: [], changes: [], deleted: [] })
    expect(planGroups(at({ complete: false }), stored.insert, { groups: [], groupsSupported: true }).update).toEqual([])
    const unsupported = planGroups(at(), stored.insert, { groups: [], groupsSupported: false })
    expect(unsupported).toMatchObject({ insert: [], update: [], tally: { seen: 0, created: 0, updated: 0, removed: 0 } })
    expect([...unsupported.after.values()]).toEqual(stored.insert)
  })
})

describe('planUsers', () => {
  const ten = Array.from({ length: 10 }, (_, i) => member(`u${i}`))
  const list = (users: RemoteUser[], invites: string[] = [], incomplete: string[] = []) => ({ users, invites, incomplete })
  const stored = planUsers(firstRun, [], list(ten, ['inv@example.com']), 0.2).insert
  const row = (email: string) => stored.find((u) => u.email_key === email) as DirUserRow

  it('creates members and invites keyed by email, a lingering invite of a member staying a member', () => {
    const plan = planUsers(firstRun, [], list([ada, { ...ada, id: 'dup' }], ['ADA@example.com', 'ivy@example.com']), 0.2)
    expect(plan.insert.map((u) => [u.email_key, u.status, u.remote_id])).toEqual([
      ['ada@example.com', 'active', 'r-ada'],
      ['ivy@example.com', 'invited', null],
    ])
    expect(JSON.parse(plan.insert[0]!.remote_data)).toEqual({ user: ada, invite: 'ADA@example.com' })
    expect(JSON.parse(plan.insert[0]!.roles)).toEqual([
      { id: ROLE.admin, name: ROLE.admin, resources: [{ id: 'ws', type: 'WORKSPACE' }], via: 'direct' },
    ])
    expect(plan.changes.map((c) => [c.type, c.after.email_key])).toEqual([
      ['user.created', 'ada@example.com'],
      ['user.created', 'ivy@example.com'],
    ])
    expect(plan.tally).toEqual({ seen: 2, created: 2, updated: 0, removed: 0 })
  })

  it('keeps the row of an invite that became a member, and rewrites only what changed', () => {
    const accepted = { id: 'r-inv', name: 'Inv', email: 'inv@example.com', permissions: [] }
    const plan = planUsers(at(), stored, list([...ten, accepted]), 0.2)
    expect(plan.insert).toEqual([])
    expect(plan.update).toEqual([
      { id: row('inv@example.com').id, changes: expect.objectContaining({ status: 'active', remote_id: 'r-inv' }) },
    ])
    expect(plan.changes).toEqual([{ type: 'user.updated', after: plan.after.get('inv@example.com'), before: row('inv@example.com') }])
    expect(plan.tally).toEqual({ seen: 11, created: 0, updated: 1, removed: 0 })
  })

  it('tombstones accounts a complete read misses, up to the drift threshold, and reactivates one that returns', () => {
    const twoGone = planUsers(at(), stored, list(ten.slice(0, 8), ['inv@example.com']), 0.2)
    expect(twoGone.held).toEqual([])
    expect(twoGone.deleted.map((u) => [u.email_key, u.status, u.deleted_at, u.last_seen_at])).toEqual([
      ['u8@example.com', 'deleted', NOW, LAST_COMPLETE],
      ['u9@example.com', 'deleted', NOW, LAST_COMPLETE],
    ])
    expect(twoGone.update.map((u) => u.changes)).toEqual(
      twoGone.deleted.map((u) => tombstone(row(u.email_key), NOW, LAST_COMPLETE).changes),
    )
    expect(twoGone.tally.removed).toBe(2)

    const afterwards = [...twoGone.after.values()]
    const back = planUsers(at({ now: '2024-03-01T00:00:00.000Z' }), afterwards, list(ten, ['inv@example.com']), 0.2)
    expect(back.changes.map((c) => [c.type, c.after.email_key, c.after.status, c.after.deleted_at])).toEqual([
      ['user.reactivated', 'u8@example.com', 'active', null],
      ['user.reactivated', 'u9@example.com', 'active', null],
    ])
  })

  it('holds every deletion beyond the drift threshold, and removes nothing after a short read', () => {
    const threeGone = planUsers(at(), stored, list(ten.slice(0, 7), ['inv@example.com']), 0.2)
    expect(threeGone.held).toEqual(['u7', 'u8', 'u9'].map((u) => row(`${u}@example.com`).id))
    expect(threeGone).toMatchObject({ update: [], deleted: [], tally: { removed: 0 } })
    expect(planUsers(at({ complete: false }), stored, list(ten.slice(0, 5)), 0.2)).toMatchObject({ update: [], held: [] })
    // Exactly at the threshold (2 of 10) still applies.
    const exactlyTen = planUsers(firstRun, [], list(ten), 0.2).insert
    expect(planUsers(at(), exactlyTen, list(ten.slice(0, 8)), 0.2)).toMatchObject({ held: [], tally: { removed: 2 } })
  })

  it('never demotes a member to an invite on a short users list, and leaves touched accounts alone', () => {
    const short = planUsers(at({ complete: false }), stored, list(ten.slice(1), ['u0@example.com'], ['/users']), 0.2)
    expect(short.update).toEqual([])
    // The same lists read in full: u0 really is only invited now.
    const full = planUsers(at(), stored, list(ten.slice(1), ['u0@example.com', 'inv@example.com']), 0.2)
    expect(full.update).toEqual([{ id: row('u0@example.com').id, changes: expect.objectContaining({ status: 'invited' }) }])

    const touched = new Set([row('u0@example.com').id, row('u9@example.com').id])
    const renamed = { ...ten[0]!, name: 'Renamed' }
    const left = planUsers(at({ touched }), stored, list([renamed, ...ten.slice(1, 9)], ['inv@example.com']), 0.2)
    expect(left).toMatchObject({ update: [], changes: [], deleted: [], held: [] })
  })
})

describe('planMemberships', () => {
  const users = planUsers(firstRun, [], { users: [ada, bob, dan], invites: ['ivy@example.com'], incomplete: [] }, 0.2)
  const groups = planGroups(firstRun, [], { groups: [group('g1', 'eng', 3), group('g2', 'ops', 1)], groupsSupported: true })
  const userId = (email: string) => users.after.get(email)!.id
  const groupId = (remote: string) => groups.after.get(remote)!.id
  const lists = (entries: [string, RemoteUser[], string[]][]) => ({
    groups: entries.map(([id]) => group(id, id, 0)),
    members: members(entries),
    groupsSupported: true,
  })
  const first = planMemberships(firstRun, {
    existing: [],
    snapshot: lists([
      ['g1', [ada, bob, ada, { ...member('late') }], ['ivy@example.com', 'IVY@example.com']],
      ['g2', [dan], []],
    ]),
    groups: groups.after,
    users: users.after,
    held: new Set(),
  })

  it('adds each membership once, from member and invite lists, waiting for accounts the lists did not name', () => {
    expect(first.insert.map((m) => [m.group_id, m.user_id, m.created_at])).toEqual([
      [groupId('g1'), userId('ada@example.com'), BEFORE],
      [groupId('g1'), userId('bob@example.com'), BEFORE],
      [groupId('g1'), userId('ivy@example.com'), BEFORE],
      [groupId('g2'), userId('dan@example.com'), BEFORE],
    ])
    expect(first.added.map((m) => [m.group.remote_id, m.user.email_key])).toEqual([
      ['g1', 'ada@example.com'],
      ['g1', 'bob@example.com'],
      ['g1', 'ivy@example.com'],
      ['g2', 'dan@example.com'],
    ])
    expect(first.tally).toEqual({ seen: 4, created: 4, updated: 0, removed: 0 })
  })

  it('removes memberships the remote no longer lists, except those of held or touched accounts and groups', () => {
    const input = (over: { held?: Set<string>; touched?: Set<string>; complete?: boolean } = {}) =>
      planMemberships(at({ touched: over.touched ?? new Set(), complete: over.complete ?? true }), {
        existing: first.insert,
        snapshot: lists([
          ['g1', [ada], []],
          ['g2', [], []],
        ]),
        groups: groups.after,
        users: users.after,
        held: over.held ?? new Set(),
      })
    const removed = input()
    expect(removed.remove).toEqual([
      { group_id: groupId('g1'), user_id: userId('bob@example.com') },
      { group_id: groupId('g1'), user_id: userId('ivy@example.com') },
      { group_id: groupId('g2'), user_id: userId('dan@example.com') },
    ])
    expect(removed.removed.map((m) => [m.group.remote_id, m.user.email_key, m.created_at])).toEqual([
      ['g1', 'bob@example.com', BEFORE],
      ['g1', 'ivy@example.com', BEFORE],
      ['g2', 'dan@example.com', BEFORE],
    ])
    expect([...removed.after.keys()]).toEqual([`${groupId('g1')} ${userId('ada@example.com')}`])
    expect(removed.tally).toEqual({ seen: 1, created: 0, updated: 0, removed: 3 })

    // Dan's account is held by the drift guard, bob was touched, and group g1 (so ivy's membership too).
    const kept = input({ held: new Set([userId('dan@example.com')]), touched: new Set([userId('bob@example.com')]) })
    expect(kept.remove.map((m) => m.user_id)).toEqual([userId('ivy@example.com')])
    expect(input({ touched: new Set([groupId('g1'), groupId('g2')]) }).remove).toEqual([])
    expect(input({ complete: false }).remove).toEqual([])
  })

  it('skips deleted accounts, and plans nothing when the remote has no groups', () => {
    const gone = new Map([...users.after].map(([k, u]) => [k, k === 'ada@example.com' ? { ...u, status: 'deleted' as const } : u]))
    const plan = planMemberships(at(), {
      existing: [],
      snapshot: lists([['g1', [ada, bob], []]]),
      groups: groups.after,
      users: gone,
      held: new Set(),
    })
    expect(plan.insert.map((m) => m.user_id)).toEqual([userId('bob@example.com')])
    const none = planMemberships(at(), {
      existing: first.insert,
      snapshot: { ...lists([]), groupsSupported: false },
      groups: groups.after,
      users: users.after,
      held: new Set(),
    })
    expect(none).toMatchObject({ insert: [], remove: [], tally: { seen: 0, removed: 0 } })
    expect([...none.after.values()]).toEqual(first.insert)
  })
})

describe('orderEvents', () => {
  it('puts groups and users before the memberships naming them, and removals before what they name goes', () => {
    const users = planUsers(firstRun, [], { users: [ada, bob, dan], invites: [], incomplete: [] }, 0.2)
    const groups = planGroups(firstRun, [], {
      groups: [group('g1', 'eng', 2, [ROLE.reader]), group('g2', 'ops', 1)],
      groupsSupported: true,
    })
    const snap = {
      groups: [group('g1', 'eng', 2), group('g2', 'ops', 1)],
      members: members([
        ['g1', [ada, dan], []],
        ['g2', [dan], []],
      ]),
      groupsSupported: true,
    }
    const memberships = planMemberships(firstRun, {
      existing: [],
      snapshot: snap,
      groups: groups.after,
      users: users.after,
      held: new Set(),
    })
    const before = { groups: groups.insert, memberships: memberships.insert, users: users.insert }

    // Next run: g1 renamed, g3 new, g2 gone; ada renamed and moved from g1 to g3; bob new to g3; dan gone.
    const next = at({ now: NOW })
    const users2 = planUsers(next, before.users, { users: [{ ...ada, name: 'Ada L.' }, bob], invites: [], incomplete: [] }, 0.5)
    const nextGroups = [group('g1', 'engineering', 0, [ROLE.reader]), group('g3', 'new', 2)]
    const groups2 = planGroups(next, before.groups, { groups: nextGroups, groupsSupported: true })
    const snap2 = {
      groups: nextGroups,
      members: members([
        ['g1', [], []],
        ['g3', [ada, bob], []],
      ]),
      groupsSupported: true,
    }
    const memberships2 = planMemberships(next, {
      existing: before.memberships,
      snapshot: snap2,
      groups: groups2.after,
      users: users2.after,
      held: new Set(),
    })
    const event = eventBuilder({ connectionId: 'conn', runId: 'run', now: NOW, newId: counter('e') })
    const events = orderEvents(event, { workspace, groups: groups2, users: users2, memberships: memberships2, before })

    const label = new Map([
      ...[...users2.after.values()].map((u) => [u.id, u.email_key] as const),
      ...[...groups2.after.values()].map((g) => [g.id, g.remote_id] as const),
    ])
    expect(events.map((e) => [e.type, label.get(e.subject_id)])).toEqual([
      ['group.updated', 'g1'],
      ['group.created', 'g3'],
      ['user.updated', 'ada@example.com'],
      ['membership.added', 'ada@example.com'],
      ['membership.added', 'bob@example.com'],
      ['membership.removed', 'ada@example.com'],
      ['membership.removed', 'dan@example.com'],
      ['membership.removed', 'dan@example.com'],
      ['user.deleted', 'dan@example.com'],
      ['group.deleted', 'g2'],
    ])
    // Ids in feed order; each event built by the one builder.
    expect(events.map((e) => e.id)).toEqual(events.map((_, i) => `e-${String(i + 1).padStart(3, '0')}`))
    expect(events.every((e) => e.sync_run_id === 'run' && e.created_at === NOW && e.connection_id === 'conn')).toBe(true)

    // An account's update carries its groups after the run, and `previous` its groups before (roles via group included).
    const adaUpdate = JSON.parse(events[2]!.data)
    expect(adaUpdate.name).toBe('Ada L.')
    expect(adaUpdate.groups.map((g: any) => g.remote_id)).toEqual(['g3'])
    expect(adaUpdate.previous.groups.map((g: any) => g.remote_id)).toEqual(['g1'])
    expect(adaUpdate.previous.roles).toEqual([
      expect.objectContaining({ id: ROLE.admin, via: 'direct' }),
      expect.objectContaining({ id: ROLE.reader, via: 'group', group: expect.objectContaining({ remote_id: 'g1' }) }),
    ])
    // The deleted account carries no groups; the removed memberships name the rows as the run left them.
    expect(JSON.parse(events[8]!.data)).toMatchObject({ status: 'deleted', groups: [] })
    expect(JSON.parse(events[7]!.data)).toMatchObject({ group: { remote_id: 'g2' }, user: { status: 'deleted' } })
  })
})
