import { emailKey } from '../../email.js'
import { newId } from '../../ids.js'
import type { ConnectionRow } from '../../store/queries/connections.js'
import type { NewDirEvent } from '../../store/queries/dir-events.js'
import type { DirGroupRow } from '../../store/queries/dir-groups.js'
import type { DirUserRow } from '../../store/queries/dir-users.js'
import type { Queries } from '../../store/queries/index.js'
import { eventBuilder } from '../events.js'
import type { DirectoryEventType, UnifiedUser, UnifiedWorkspaceRef } from '../schemas/unified.js'
import { canonicalJson, groupFingerprint } from '../sync/fingerprint.js'
import { remoteAccounts, tombstone } from '../sync/plan/users.js'
import { parseJson, presentGroup, presentMembership, presentUser, workspaceRef } from '../sync/present.js'
import type { ExecutedPart } from './send.js'
import type { Effect } from './types.js'

/*
 * The directory, updated from the remote's answers: what each successful call did is recorded at once, with
 * its change events, so the directory does not wait for the next sync to show it.
 */

/** What the action's transaction collects from every part. */
export interface ApplyOutput {
  events: NewDirEvent[]
  /** The accounts the answer shows. */
  userIds: Set<string>
}

/** One part's work: its connection as it is now, and where its events go. */
interface PartScope extends ApplyOutput {
  q: Queries
  connection: ConnectionRow
  workspace: UnifiedWorkspaceRef
  now: string
  /** Builds an event and adds it to `events`. */
  emit: (type: DirectoryEventType, subjectId: string, data: unknown) => NewDirEvent
  /** User events whose payload (with the user's groups) is written once the part's memberships are in. */
  pending: { event: NewDirEvent; userId: string; previous?: UnifiedUser }[]
}

/** Records what one connection's successful calls changed; a connection deleted meanwhile took its rows with it. */
export async function applyPart(q: Queries, executed: ExecutedPart, now: string, output: ApplyOutput): Promise<void> {
  const connection = await q.connections.find(executed.part.connection.id)
  if (!connection) return
  if (executed.unauthorized)
    await q.connections.update(connection.id, {
      status: 'needs_reauth',
      status_detail: executed.error?.message ?? 'The remote answered 401',
      updated_at: now,
    })
  const build = eventBuilder({ connectionId: connection.id, runId: null, now })
  const emit: PartScope['emit'] = (type, subjectId, data) => {
    const event = build(type, subjectId, data)
    output.events.push(event)
    return event
  }
  const scope: PartScope = { ...output, q, connection, workspace: workspaceRef(connection), now, emit, pending: [] }
  for (const { call, outcome, answer } of executed.calls)
    if (outcome === 'succeeded' || outcome === 'already_done') await applyEffect(scope, call.effect, outcome, answer)
  await completeUserEvents(scope)
}

async function applyEffect(scope: PartScope, effect: Effect, outcome: 'succeeded' | 'already_done', answer: unknown): Promise<void> {
  switch (effect.kind) {
    case 'invite':
      // Already done (409): a member the directory has not synced yet; the next run brings it.
      if (outcome === 'succeeded') await applyInvite(scope, invitedEmail(answer, effect.email))
      return
    case 'add':
      return applyAdd(scope, effect, answer)
    case 'remove':
      return applyRemove(scope, effect)
    case 'delete':
      return applyDelete(scope, effect)
    case 'none':
      return
  }
}

async function applyInvite({ q, connection, workspace, now, emit, pending, userIds }: PartScope, email: string): Promise<void> {
  const existing = await q.dirActions.findAccount(connection.id, emailKey(email))
  if (existing && existing.status !== 'deleted') {
    userIds.add(existing.id) // a sync recorded it meanwhile
    return
  }
  const changes = invitedAccount(email, now)
  if (existing) {
    await q.dirActions.updateUser(existing.id, changes)
    pending.push({
      event: emit('user.reactivated', existing.id, null),
      userId: existing.id,
      previous: presentUser(existing, workspace, []),
    })
    userIds.add(existing.id)
    return
  }
  const row = { id: newId(), connection_id: connection.id, email_key: emailKey(email), first_seen_at: now, ...changes }
  await q.dirActions.insertUser(row)
  pending.push({ event: emit('user.created', row.id, null), userId: row.id })
  userIds.add(row.id)
}

async function applyAdd(scope: PartScope, effect: Extract<Effect, { kind: 'add' }>, answer: unknown): Promise<void> {
  const { q, connection, workspace, now, emit } = scope
  const group = await q.dirActions.findGroup(effect.groupId)
  const user =
    effect.userId !== null ? await q.dirActions.findUser(effect.userId) : await q.dirActions.findAccount(connection.id, effect.emailKey)
  if (!group || group.deleted_at !== null || !user || user.status === 'deleted') return
  scope.userIds.add(user.id)
  if (await q.dirActions.addMembership({ group_id: group.id, user_id: user.id, connection_id: connection.id, created_at: now }))
    emit('membership.added', user.id, presentMembership(group, user, workspace, now))
  const count = answeredMemberCount(answer)
  if (count !== undefined) await setMemberCount(scope, group, count)
}

async function applyRemove(scope: PartScope, effect: Extract<Effect, { kind: 'remove' }>): Promise<void> {
  const group = await scope.q.dirActions.findGroup(effect.groupId)
  const user = await scope.q.dirActions.findUser(effect.userId)
  if (group && user) await removeMembership(scope, group, user)
}

/** The account is gone from its workspace: out of every group, then tombstoned as a sync would. */
async function applyDelete(scope: PartScope, effect: Extract<Effect, { kind: 'delete' }>): Promise<void> {
  const { q, connection, workspace, now, emit } = scope
  const user = await q.dirActions.findUser(effect.userId)
  if (!user || user.status === 'deleted') return
  for (const m of await q.dirActions.membershipsOfUser(user.id)) {
    const group = await q.dirActions.findGroup(m.group_id)
    if (group) await removeMembership(scope, group, user)
  }
  const dead = tombstone(user, now, connection.last_complete_sync_at)
  await q.dirActions.updateUser(user.id, dead.changes)
  emit('user.deleted', user.id, presentUser(dead.row, workspace, []))
}

async function removeMembership(scope: PartScope, group: DirGroupRow, user: DirUserRow): Promise<void> {
  const { q, workspace, emit } = scope
  const membership = await q.dirActions.findMembership(group.id, user.id)
  if (!membership || !(await q.dirActions.removeMembership(group.id, user.id))) return
  emit('membership.removed', user.id, presentMembership(group, user, workspace, membership.created_at))
  // Segment's memberCount counts members, not pending invites.
  if (user.status === 'active' && group.member_count > 0) await setMemberCount(scope, group, group.member_count - 1)
}

async function setMemberCount({ q, workspace, emit }: PartScope, group: DirGroupRow, count: number): Promise<void> {
  const after = withMemberCount(group, count)
  if (!after) return
  await q.dirActions.updateGroup(group.id, {
    member_count: after.member_count,
    remote_data: after.remote_data,
    fingerprint: after.fingerprint,
  })
  emit('group.updated', group.id, { ...presentGroup(after, workspace), previous: presentGroup(group, workspace) })
}

/** Writes the payloads of the part's user events, now that its memberships are in. */
async function completeUserEvents({ q, workspace, pending }: PartScope): Promise<void> {
  for (const { event, userId, previous } of pending) {
    const row = await q.dirActions.findUser(userId)
    if (!row) continue
    const after = presentUser(row, workspace, await q.dirActions.groupsOfUser(row.id))
    event.data = JSON.stringify(previous ? { ...after, previous } : after)
  }
}

// --- pure pieces, tested on their own ---

/** The email Segment says it invited, else the one asked for. */
export function invitedEmail(answer: unknown, asked: string): string {
  return (answer as { data?: { emails?: string[] } } | undefined)?.data?.emails?.[0] ?? asked
}

/** The group's member count in Segment's answer to an add, when it gives one. */
export function answeredMemberCount(answer: unknown): number | undefined {
  const count = (answer as { data?: { userGroup?: { memberCount?: unknown } } } | undefined)?.data?.userGroup?.memberCount
  return typeof count === 'number' ? count : undefined
}

/**
 * Exactly what a sync stores for a pending invite (its own reading of an invite list holding this email), so
 * the next run finds the account unchanged.
 */
export function invitedAccount(email: string, now: string) {
  const account = remoteAccounts({ users: [], invites: [email] }).get(emailKey(email))
  if (!account) throw new Error(`A sync reads no account from an invite of ${email}`)
  return { ...account, last_seen_at: now, last_changed_at: now, deleted_at: null }
}

/** The group with a new member count, as a sync would store it; undefined when nothing changes (same count, or deleted). */
export function withMemberCount(group: DirGroupRow, count: number): DirGroupRow | undefined {
  if (group.member_count === count || group.deleted_at !== null) return undefined
  const remoteData = canonicalJson({ ...parseJson<Record<string, unknown>>(group.remote_data, {}), memberCount: count })
  const changes = { member_count: count, remote_data: remoteData }
  return { ...group, ...changes, fingerprint: groupFingerprint({ ...group, ...changes }) }
}
