import { emailKey } from '../../email.js'
import { ConflictError, NotFoundError } from '../../errors.js'
import { newId } from '../../ids.js'
import type { GroupRow } from '../../store/queries/groups.js'
import type { Queries } from '../../store/queries/index.js'
import type { InviteRow, UserRow } from '../../store/queries/members.js'
import { type Actor, type AuditEntry, now, recordAudit } from '../audit.js'
import type { InvitationSender } from './invitations.js'

export async function findGroup(q: Queries, workspaceId: string, groupId: string): Promise<GroupRow> {
  const group = await q.groups.find(workspaceId, groupId)
  if (!group) throw new NotFoundError(`User group ${groupId}`, 'userGroupId')
  return group
}

export async function createGroup(q: Queries, workspaceId: string, name: string, actor: Actor): Promise<GroupRow> {
  const at = now(q)
  const trimmed = name.trim()
  await ensureNameFree(q, workspaceId, trimmed)
  const group = { id: newId(), workspace_id: workspaceId, name: trimmed, name_key: trimmed.toLowerCase(), created_at: at }
  await q.groups.insert(group)
  await recordAudit(
    q,
    workspaceId,
    actor,
    [
      { type: 'User Group Created', resourceId: group.id, resourceType: 'user_group', resourceName: group.name },
      // Segment records the group's (empty) policy set with it.
      { type: 'Policy Created', resourceId: group.id, resourceType: 'user_group', resourceName: group.name },
    ],
    at,
  )
  return { ...group, member_count: 0, invite_count: 0 }
}

export async function renameGroup(q: Queries, workspaceId: string, groupId: string, name: string, actor: Actor): Promise<GroupRow> {
  const group = await findGroup(q, workspaceId, groupId)
  const trimmed = name.trim()
  if (trimmed.toLowerCase() !== group.name_key) await ensureNameFree(q, workspaceId, trimmed)
  await q.groups.rename(workspaceId, group.id, trimmed, trimmed.toLowerCase())
  const at = now(q)
  await recordAudit(
    q,
    workspaceId,
    actor,
    [{ type: 'User Group Updated', resourceId: group.id, resourceType: 'user_group', resourceName: trimmed }],
    at,
  )
  return { ...group, name: trimmed, name_key: trimmed.toLowerCase() }
}

export async function deleteGroup(q: Queries, workspaceId: string, groupId: string, actor: Actor): Promise<void> {
  const group = await findGroup(q, workspaceId, groupId)
  await q.permissions.deleteOfSubjects(workspaceId, 'group', [group.id])
  await q.groups.delete(workspaceId, group.id)
  await recordAudit(
    q,
    workspaceId,
    actor,
    [{ type: 'User Group Deleted', resourceId: group.id, resourceType: 'user_group', resourceName: group.name }],
    now(q),
  )
}

async function ensureNameFree(q: Queries, workspaceId: string, name: string): Promise<void> {
  if (await q.groups.findByNameKey(workspaceId, name.toLowerCase()))
    throw new ConflictError(`A user group named ${name} already exists`, { field: 'name' })
}

interface Resolved {
  users: UserRow[]
  invites: InviteRow[]
  /** Emails that are neither members nor invited. */
  unknown: string[]
}

async function resolveEmails(q: Queries, workspaceId: string, emails: readonly string[]): Promise<Resolved> {
  const byKey = new Map(emails.map((e) => [emailKey(e), e.trim()]))
  const keys = [...byKey.keys()]
  const users = await q.users.findByEmailKeys(workspaceId, keys)
  const invites = await q.invites.findByEmailKeys(workspaceId, keys)
  const known = new Set([...users.map((u) => u.email_key), ...invites.map((i) => i.email_key)])
  return { users, invites, unknown: keys.filter((k) => !known.has(k)).map((k) => byKey.get(k) as string) }
}

/**
 * Adds emails to a group: a member joins as a user, an invited email joins as a pending invite, and
 * any other email becomes a new pending invite of the workspace in this group, mailed its invitation.
 */
export async function addEmailsToGroup(
  q: Queries,
  workspaceId: string,
  groupId: string,
  emails: readonly string[],
  actor: Actor,
  invitations: InvitationSender,
): Promise<GroupRow> {
  const group = await findGroup(q, workspaceId, groupId)
  const at = now(q)
  const { users, invites, unknown } = await resolveEmails(q, workspaceId, emails)
  const newInvites: InviteRow[] = unknown.map((email) => ({
    id: newId(),
    workspace_id: workspaceId,
    email,
    email_key: emailKey(email),
    created_at: at,
  }))
  await q.invites.insertMany(workspaceId, newInvites)
  const before = new Set([...(await q.groups.memberIds(workspaceId, group.id)), ...(await q.groups.inviteIds(workspaceId, group.id))])
  await q.groups.addMembers(
    workspaceId,
    group.id,
    users.map((u) => u.id),
    at,
  )
  await q.groups.addInvites(
    workspaceId,
    group.id,
    [...invites, ...newInvites].map((i) => i.id),
    at,
  )
  const added = [...users, ...invites, ...newInvites].filter((s) => !before.has(s.id))
  const audit: AuditEntry[] = newInvites.map((i) => ({
    type: 'Non-Segment User Invited to Workspace',
    resourceId: i.id,
    resourceType: 'invite',
    resourceName: i.email,
  }))
  if (added.length > 0) {
    audit.push({ type: 'Subjects Added to Group', resourceId: group.id, resourceType: 'user_group', resourceName: group.name })
    for (const s of added)
      audit.push({
        type: 'User Added To User Group',
        resourceId: s.id,
        resourceType: 'name' in s ? 'user' : 'invite',
        resourceName: s.email,
      })
  }
  await recordAudit(q, workspaceId, actor, audit, at)
  await invitations.invited(q, workspaceId, newInvites, actor)
  return findGroup(q, workspaceId, group.id)
}

/** Removes emails from a group (members and pending invites). Emails not in the group are ignored. */
export async function removeEmailsFromGroup(
  q: Queries,
  workspaceId: string,
  groupId: string,
  emails: readonly string[],
  actor: Actor,
): Promise<GroupRow> {
  const group = await findGroup(q, workspaceId, groupId)
  const { users, invites } = await resolveEmails(q, workspaceId, emails)
  return removeSubjects(q, workspaceId, group, users, invites, actor)
}

/** Sets the group's members and pending invites to exactly these emails (new invites are mailed). */
export async function replaceGroupEmails(
  q: Queries,
  workspaceId: string,
  groupId: string,
  emails: readonly string[],
  actor: Actor,
  invitations: InvitationSender,
): Promise<GroupRow> {
  const group = await findGroup(q, workspaceId, groupId)
  const keep = new Set(emails.map(emailKey))
  const memberIds = await q.groups.memberIds(workspaceId, group.id)
  const inviteIds = await q.groups.inviteIds(workspaceId, group.id)
  const [members, pending] = await Promise.all([q.users.findByIds(workspaceId, memberIds), q.invites.findByIds(workspaceId, inviteIds)])
  await removeSubjects(
    q,
    workspaceId,
    group,
    members.filter((u) => !keep.has(u.email_key)),
    pending.filter((i) => !keep.has(i.email_key)),
    actor,
  )
  if (emails.length === 0) return findGroup(q, workspaceId, group.id)
  return addEmailsToGroup(q, workspaceId, group.id, emails, actor, invitations)
}

async function removeSubjects(
  q: Queries,
  workspaceId: string,
  group: GroupRow,
  users: UserRow[],
  invites: InviteRow[],
  actor: Actor,
): Promise<GroupRow> {
  const memberIds = new Set(await q.groups.memberIds(workspaceId, group.id))
  const inviteIds = new Set(await q.groups.inviteIds(workspaceId, group.id))
  const removedUsers = users.filter((u) => memberIds.has(u.id))
  const removedInvites = invites.filter((i) => inviteIds.has(i.id))
  if (removedUsers.length + removedInvites.length === 0) return findGroup(q, workspaceId, group.id)
  await q.groups.removeMembers(
    workspaceId,
    group.id,
    removedUsers.map((u) => u.id),
  )
  await q.groups.removeInvites(
    workspaceId,
    group.id,
    removedInvites.map((i) => i.id),
  )
  const at = now(q)
  await recordAudit(
    q,
    workspaceId,
    actor,
    [
      { type: 'Group Memberships Deleted', resourceId: group.id, resourceType: 'user_group', resourceName: group.name },
      ...removedUsers.map(
        (u): AuditEntry => ({ type: 'User Removed From User Group', resourceId: u.id, resourceType: 'user', resourceName: u.email }),
      ),
      ...removedInvites.map(
        (i): AuditEntry => ({ type: 'User Removed From User Group', resourceId: i.id, resourceType: 'invite', resourceName: i.email }),
      ),
    ],
    at,
  )
  return findGroup(q, workspaceId, group.id)
}
