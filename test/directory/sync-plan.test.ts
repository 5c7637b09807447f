import { describe, expect, it } from 'vitest'
import { type Existing, type PlanInput, planSync } from '../../src/directory/sync/plan.js'
import type { RemoteSnapshot } from '../../src/directory/sync/remote.js'
import { newId } from '../../src/ids.js'
import type { ConnectionRow } from '../../src/store/queries/connections.js'

// The diff is pure; these cases are the ones a live remote cannot be made to produce on demand
// (a list cut short, an action landing mid-run). The behaviours a remote can produce are tested end to end.

const connection = { id: 'conn', last_complete_sync_at: '2024-01-01T00:00:00.000Z' } as ConnectionRow
const workspace = { id: 'ws', slug: 'ws', name: 'WS' }

function snapshot(over: Partial<RemoteSnapshot> = {}): RemoteSnapshot {
  return {
    workspace,
    roles: [],
    users: [],
    invites: [],
    groupsSupported: true,
    groups: [],
    members: new Map(),
    incomplete: [],
    ...over,
  }
}

const user = (i: number) => ({ id: `r${i}`, name: `U${i}`, email: `u${i}@x.com`, permissions: [] })

/** The store after one full sync of `snap`. */
function synced(snap: RemoteSnapshot): Existing {
  const plan = planSync(input(snap, { users: [], groups: [], roles: [], memberships: [] }))
  return { users: plan.insertUsers, groups: plan.insertGroups, roles: plan.insertRoles, memberships: plan.insertMemberships }
}

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
    newId,
    ...over,
  }
}

describe('sync diff', () => {
  const ten = Array.from({ length: 10 }, (_, i) => user(i))
  const group = { id: 'g1', name: 'eng', memberCount: 2, permissions: [] }
  const full = snapshot({ users: ten, groups: [group], members: new Map([['g1', { users: [ten[0]!, ten[1]!], invites: [] }]]) })

  it('removes nothing and keeps members from a run whose lists came back short', () => {
    const existing = synced(full)
    const short = snapshot({ users: ten.slice(0, 5), invites: ['u6@x.com'], groups: [group], members: new Map(), incomplete: ['/users'] })
    const plan = planSync(input(short, existing))
    expect(plan.removed).toEqual({ users: 0, groups: 0, memberships: 0, roles: 0 })
    expect(plan.deleteMemberships).toEqual([])
    // u6 is listed only as invited, but a short users list cannot prove it stopped being a member.
    expect(plan.updateUsers).toEqual([])
    expect(plan.events).toEqual([])
  })

  it('leaves alone what an action changed while the run was reading', () => {
    const existing = synced(full)
    const u0 = existing.users.find((u) => u.email_key === 'u0@x.com')!
    const u9 = existing.users.find((u) => u.email_key === 'u9@x.com')!
    // The remote, as read, lost u9 and u0's membership; an action touched both meanwhile.
    const later = snapshot({ users: ten.slice(0, 9), groups: [group], members: new Map([['g1', { users: [ten[1]!], invites: [] }]]) })
    const plan = planSync(input(later, existing, { touched: new Set([u0.id, u9.id]) }))
    expect(plan.updateUsers).toEqual([])
    expect(plan.deleteMemberships).toEqual([])
    expect(plan.events).toEqual([])
  })

  it('applies deletions up to the drift threshold and holds them beyond it', () => {
    const existing = synced(full)
    const twoGone = planSync(input(snapshot({ users: ten.slice(0, 8), groups: [group], members: full.members }), existing))
    expect(twoGone.pendingDeletions).toEqual([])
    expect(twoGone.removed.users).toBe(2)
    expect(twoGone.events.filter((e) => e.type === 'user.deleted')).toHaveLength(2)

    const threeGone = planSync(input(snapshot({ users: ten.slice(0, 7), groups: [group], members: full.members }), existing))
    expect(threeGone.pendingDeletions).toHaveLength(3)
    expect(threeGone.removed.users).toBe(0)
    expect(threeGone.events).toEqual([])
  })

  it('waits for the next run for a group member the users and invites lists did not name', () => {
    const existing = synced(full)
    const late = snapshot({ users: ten, groups: [group], members: new Map([['g1', { users: [ten[0]!, ten[1]!, user(99)], invites: [] }]]) })
    const plan = planSync(input(late, existing))
    expect(plan.insertMemberships).toEqual([])
    expect(plan.insertUsers).toEqual([])
    expect(plan.events).toEqual([])
  })
})
