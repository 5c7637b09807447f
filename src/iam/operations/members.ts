import { emailKey } from '../../email.js'
import { ConflictError, NotFoundError, ValidationError } from '../../errors.js'
import { newId } from '../../ids.js'
import type { Queries } from '../../store/queries/index.js'
import type { InviteRow, UserRow } from '../../store/queries/members.js'
import type { NewPermission } from '../../store/queries/permissions.js'
import { type Actor, type AuditEntry, now, recordAudit } from '../audit.js'
import { WORKSPACE_OWNER_ROLE_ID } from '../rules/roles.js'
import type { InvitationSender } from './invitations.js'

/** Refuses, within the transaction, a change that would leave the workspace without a Workspace Owner. */
export async function ensureOwnerRemains(q: Queries, workspaceId: string): Promise<void> {
  if ((await q.permissions.usersWithRole(workspaceId, WORKSPACE_OWNER_ROLE_ID)).length === 0)
    throw new ConflictError('This change would leave the workspace without a Workspace Owner')
}

/**
 * Makes these emails workspace members at once (what accepting an invite does). A pending invite is
 * accepted: the user keeps its permissions and group memberships. Existing members are returned as they are.
 */
export async function addMembers(
  q: Queries,
  workspaceId: string,
  people: readonly { email: string; name: string }[],
  actor: Actor,
): Promise<UserRow[]> {
  const at = now(q)
  const wanted = dedupeByEmail(people, 'users')
  const keys = [...wanted.keys()]
  const existing = new Map((await q.users.findByEmailKeys(workspaceId, keys)).map((u) => [u.email_key, u]))
  const invites = new Map((await q.invites.findByEmailKeys(workspaceId, keys)).map((i) => [i.email_key, i]))
  const created: UserRow[] = []
  for (const [key, person] of wanted) {
    if (existing.has(key)) continue
    created.push({ id: newId(), workspace_id: workspaceId, email: person.email.trim(), email_key: key, name: person.name, created_at: at })
  }
  await q.users.insertMany(workspaceId, created)
  const accepted = created.filter((u) => invites.has(u.email_key))
  if (accepted.length > 0) {
    const acceptedInvites = accepted.map((u) => invites.get(u.email_key) as InviteRow)
    const memberships = await q.groups.groupsOfInvites(
      workspaceId,
      acceptedInvites.map((i) => i.id),
    )
    const userOfInvite = new Map(accepted.map((u) => [(invites.get(u.email_key) as InviteRow).id, u.id]))
    for (const m of memberships) await q.groups.addMembers(workspaceId, m.group_id, [userOfInvite.get(m.invite_id) as string], at)
    for (const u of accepted) await q.permissions.transfer(workspaceId, 'invite', (invites.get(u.email_key) as InviteRow).id, 'user', u.id)
    await q.invites.deleteMany(
      workspaceId,
      acceptedInvites.map((i) => i.id),
    )
  }
  await recordAudit(
    q,
    workspaceId,
    actor,
    created.map((u) => ({ type: 'User Added To Workspace', resourceId: u.id, resourceType: 'user', resourceName: u.email })),
    at,
  )
  return [...wanted.keys()].map((key) => existing.get(key) ?? (created.find((u) => u.email_key === key) as UserRow))
}

/** Deletes users and, with them, their memberships and permissions. All ids must exist, or nothing changes. */
export async function deleteUsers(q: Queries, workspaceId: string, userIds: readonly string[], actor: Actor): Promise<void> {
  const ids = [...new Set(userIds)]
  const users = await q.users.findByIds(workspaceId, ids)
  if (users.length !== ids.length) {
    const found = new Set(users.map((u) => u.id))
    throw new NotFoundError(`User ${ids.find((id) => !found.has(id))}`, 'userIds')
  }
  const at = now(q)
  const memberships = await q.groups.membershipsOfUsers(workspaceId, ids)
  await q.permissions.deleteOfSubjects(workspaceId, 'user', ids)
  await q.users.deleteMany(workspaceId, ids)
  await ensureOwnerRemains(q, workspaceId)
  const inGroups = new Set(memberships.map((m) => m.user_id))
  await recordAudit(
    q,
    workspaceId,
    actor,
    users.flatMap((u): AuditEntry[] => [
      ...(inGroups.has(u.id)
        ? [{ type: 'Group Memberships Deleted', resourceId: u.id, resourceType: 'user' as const, resourceName: u.email }]
        : []),
      { type: 'User Deleted', resourceId: u.id, resourceType: 'user', resourceName: u.email },
    ]),
    at,
  )
}

export interface InviteInput {
  email: string
  permissions: NewPermission[]
}

/**
 * Invites emails with permissions they keep on joining, and mails each new invite its link. Re-inviting a
 * pending invite adds the new permissions to it (and mails nothing again); inviting a member is a conflict.
 * All or nothing.
 */
export async function createInvites(
  q: Queries,
  workspaceId: string,
  inputs: readonly InviteInput[],
  actor: Actor,
  invitations: InvitationSender,
): Promise<string[]> {
  const at = now(q)
  const wanted = dedupeByEmail(inputs, 'invites')
  const keys = [...wanted.keys()]
  const members = await q.users.findByEmailKeys(workspaceId, keys)
  if (members.length > 0) {
    const member = members[0] as UserRow
    const index = inputs.findIndex((i) => emailKey(i.email) === member.email_key)
    throw new ConflictError(`${member.email} is already a member of this workspace`, { field: `invites.${index}.email` })
  }
  const pending = new Map((await q.invites.findByEmailKeys(workspaceId, keys)).map((i) => [i.email_key, i]))
  const created: InviteRow[] = []
  for (const [key, input] of wanted) {
    if (!pending.has(key))
      created.push({ id: newId(), workspace_id: workspaceId, email: input.email.trim(), email_key: key, created_at: at })
  }
  await q.invites.insertMany(workspaceId, created)
  const audit: AuditEntry[] = []
  for (const invite of created) {
    audit.push({ type: 'New Segment User Invited to Workspace', resourceId: invite.id, resourceType: 'invite', resourceName: invite.email })
  }
  const all = new Map([...pending, ...created.map((i) => [i.email_key, i] as const)])
  for (const [key, input] of wanted) {
    const invite = all.get(key) as InviteRow
    await q.permissions.insertMany(workspaceId, 'invite', invite.id, input.permissions, at)
    for (const p of input.permissions)
      audit.push({ type: 'Policy Created', resourceId: p.id, resourceType: 'policy', resourceName: invite.email })
  }
  await recordAudit(q, workspaceId, actor, audit, at)
  await invitations.invited(q, workspaceId, created, actor)
  return [...wanted.values()].map((i) => i.email.trim())
}

/** Withdraws pending invites (and their group memberships). Every email must be a pending invite. */
export async function deleteInvites(q: Queries, workspaceId: string, emails: readonly string[], actor: Actor): Promise<void> {
  const keys = [...new Set(emails.map(emailKey))]
  const invites = await q.invites.findByEmailKeys(workspaceId, keys)
  if (invites.length !== keys.length) {
    const found = new Set(invites.map((i) => i.email_key))
    throw new NotFoundError(`Invite for ${keys.find((k) => !found.has(k))}`, 'emails')
  }
  const at = now(q)
  const ids = invites.map((i) => i.id)
  const inGroups = new Set((await q.groups.groupsOfInvites(workspaceId, ids)).map((m) => m.invite_id))
  await q.permissions.deleteOfSubjects(workspaceId, 'invite', ids)
  await q.invites.deleteMany(workspaceId, ids)
  await recordAudit(
    q,
    workspaceId,
    actor,
    invites.flatMap((i): AuditEntry[] => [
      { type: 'Invite Deleted', resourceId: i.id, resourceType: 'invite', resourceName: i.email },
      ...(inGroups.has(i.id)
        ? [{ type: 'Group Memberships Deleted', resourceId: i.id, resourceType: 'invite' as const, resourceName: i.email }]
        : []),
    ]),
    at,
  )
}

/** Keys items by normalised email; the same email twice in one request is a 422 naming the second. */
function dedupeByEmail<T extends { email: string }>(items: readonly T[], field: string): Map<string, T> {
  const map = new Map<string, T>()
  items.forEach((item, i) => {
    const key = emailKey(item.email)
    if (map.has(key)) throw new ValidationError(`${field}.${i}.email: ${item.email} appears more than once`, `${field}.${i}.email`)
    map.set(key, item)
  })
  return map
}
