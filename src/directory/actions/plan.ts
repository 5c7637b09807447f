import { emailKey } from '../../email.js'
import { NotFoundError, ValidationError } from '../../errors.js'
import type { ConnectionRow } from '../../store/queries/connections.js'
import type { DirGroupRow } from '../../store/queries/dir-groups.js'
import type { DirUserRow } from '../../store/queries/dir-users.js'
import type { Queries } from '../../store/queries/index.js'
import { parseJson } from '../sync/present.js'
import type { ActionInputs, ActionName, ActionPlan, Effect, PartError, PlannedCall, PlannedPart } from './types.js'

/*
 * Planning reads only the directory: which remote calls an action needs, in which connection, and what
 * is so already. A dry run stops here; a real run sends the calls and applies their effects. The calls
 * follow SEG-IAM exactly (`/groups/{id}/users` to add, the singular `/group/{id}/users` to remove).
 */

const seg = encodeURIComponent

function blockedBy(connection: ConnectionRow): PartError | null {
  if (connection.status !== 'needs_reauth') return null
  return {
    type: 'needs_reauth',
    status: null,
    message: `Connection ${connection.name} needs a new token (the remote answered 401): nothing was sent to it; rotate its token`,
  }
}

const part = (connection: ConnectionRow): PlannedPart => ({ connection, calls: [], noops: [], blocked: blockedBy(connection) })

const inWorkspace = (c: ConnectionRow) => `workspace ${c.remote_workspace_slug}`

async function connectionOf(q: Queries, id: string, field: string): Promise<ConnectionRow> {
  const connection = await q.connections.find(id)
  if (!connection) throw new NotFoundError(`Connection ${id}`, field)
  return connection
}

/** The account an action names by directory id; deleted ones are refused (there is nothing left to change). */
async function liveUser(q: Queries, id: string): Promise<DirUserRow> {
  const user = await q.dirActions.findUser(id)
  if (!user) throw new NotFoundError(`Directory user ${id}`, 'user_id')
  if (user.status === 'deleted')
    throw new ValidationError(
      `Directory user ${id} (${user.email}) was deleted from its workspace; there is nothing left to change`,
      'user_id',
    )
  return user
}

/** Each ref once, with the row it names (by directory id, else remote id) and where the caller first named it. */
async function byRef<R extends { id: string; remote_id: string }>(
  refs: readonly string[],
  find: (unique: string[]) => Promise<R[]>,
): Promise<{ ref: string; index: number; row: R | undefined }[]> {
  const unique = [...new Set(refs)]
  const found = await find(unique)
  return unique.map((ref) => ({
    ref,
    index: refs.indexOf(ref),
    row: found.find((r) => r.id === ref) ?? found.find((r) => r.remote_id === ref),
  }))
}

/** Groups named by directory id (or remote id) within one connection; every one must be known and live. */
async function resolveGroups(q: Queries, connection: ConnectionRow, refs: readonly string[]): Promise<DirGroupRow[]> {
  const named = await byRef(refs, (unique) => q.dirActions.groupsByRef(connection.id, unique))
  return named.map(({ ref, index, row: group }) => {
    if (!group)
      throw new ValidationError(
        `group_ids.${index}: ${ref} is not a group of connection ${connection.name} (${inWorkspace(connection)}) in the directory; use an id from /directory/groups`,
        `group_ids.${index}`,
      )
    if (group.deleted_at !== null)
      throw new ValidationError(`group_ids.${index}: group ${group.name} was deleted from ${inWorkspace(connection)}`, `group_ids.${index}`)
    return group
  })
}

const addCall = (group: DirGroupRow, email: string, userId: string | null): PlannedCall => ({
  method: 'POST',
  path: `/groups/${seg(group.remote_id)}/users`,
  body: { emails: [email] },
  description: `add ${email} to group ${group.name}`,
  effect: { kind: 'add', groupId: group.id, userId, emailKey: emailKey(email) },
  gate: false,
  alreadyDone: [],
})

const removeCall = (group: DirGroupRow, user: DirUserRow): PlannedCall => ({
  method: 'DELETE',
  path: `/group/${seg(group.remote_id)}/users`,
  query: { emails: [user.email] },
  description: `remove ${user.email} from group ${group.name}`,
  effect: { kind: 'remove', groupId: group.id, userId: user.id },
  gate: false,
  alreadyDone: [],
})

function plan(action: ActionName, parts: PlannedPart[], userIds: string[], notes: string[] = []): ActionPlan {
  return { action, parts, notes, userIds }
}

/** Roles named by directory id (or remote id) within one connection, as the remote ids an invite grants. */
async function resolveRoles(q: Queries, connection: ConnectionRow, refs: readonly string[]): Promise<string[]> {
  const named = await byRef(refs, (unique) => q.dirActions.rolesByRef(connection.id, unique))
  return named.map(({ ref, index, row: role }) => {
    if (!role || role.deleted_at !== null)
      throw new ValidationError(
        `role_ids.${index}: ${ref} is not a role of connection ${connection.name} (${inWorkspace(connection)}) in the directory; use a role id from /directory/roles`,
        `role_ids.${index}`,
      )
    return role.remote_id
  })
}

/** Roles are granted on the whole workspace, the only resource an invite names here. */
function inviteCall(connection: ConnectionRow, email: string, roleIds: readonly string[]): PlannedCall {
  const permissions = roleIds.map((roleId) => ({ roleId, resources: [{ id: connection.remote_workspace_id, type: 'WORKSPACE' }] }))
  return {
    method: 'POST',
    path: '/invites',
    body: { invites: [{ email, ...(permissions.length > 0 ? { permissions } : {}) }] },
    description: `invite ${email}`,
    effect: { kind: 'invite', email },
    gate: true,
    // Segment answers 409 to an invite for someone who is a member already: that is what we wanted.
    alreadyDone: [409],
  }
}

export async function planInvite(q: Queries, input: ActionInputs['invite']): Promise<ActionPlan> {
  const connection = await connectionOf(q, input.connection_id, 'connection_id')
  const email = input.email.trim()
  const roleIds = await resolveRoles(q, connection, input.role_ids ?? [])
  const groups = await resolveGroups(q, connection, input.group_ids ?? [])
  const existing = await q.dirActions.findAccount(connection.id, emailKey(email))
  const live = existing && existing.status !== 'deleted' ? existing : undefined
  const p = part(connection)
  if (live)
    p.noops.push(
      `${live.email} is already ${live.status === 'active' ? 'a member' : 'invited'} in ${inWorkspace(connection)}: no invite sent${roleIds.length > 0 ? ', roles unchanged' : ''}`,
    )
  else p.calls.push(inviteCall(connection, email, roleIds))
  const memberOf = new Set(live ? (await q.dirActions.membershipsOfUser(live.id)).map((m) => m.group_id) : [])
  for (const group of groups) {
    if (live && memberOf.has(group.id)) p.noops.push(`${live.email} is already in group ${group.name}`)
    else p.calls.push(addCall(group, live?.email ?? email, live?.id ?? null))
  }
  return plan('invite', [p], live ? [live.id] : [])
}

export async function planAddToGroups(q: Queries, input: ActionInputs['add_to_groups']): Promise<ActionPlan> {
  const user = await liveUser(q, input.user_id)
  const connection = await connectionOf(q, user.connection_id, 'user_id')
  const groups = await resolveGroups(q, connection, input.group_ids)
  const memberOf = new Set((await q.dirActions.membershipsOfUser(user.id)).map((m) => m.group_id))
  const p = part(connection)
  for (const group of groups) {
    if (memberOf.has(group.id)) p.noops.push(`${user.email} is already in group ${group.name}`)
    else p.calls.push(addCall(group, user.email, user.id))
  }
  return plan('add_to_groups', [p], [user.id])
}

/**
 * Removals are sent even where the directory shows no membership: the directory may be behind the
 * remote, removing a non-member is a no-op there, and a removal that silently did nothing would leave
 * access in place.
 */
export async function planRemoveFromGroups(q: Queries, input: ActionInputs['remove_from_groups']): Promise<ActionPlan> {
  const user = await liveUser(q, input.user_id)
  const connection = await connectionOf(q, user.connection_id, 'user_id')
  const groups = await resolveGroups(q, connection, input.group_ids)
  const p = part(connection)
  for (const group of groups) p.calls.push(removeCall(group, user))
  return plan('remove_from_groups', [p], [user.id])
}

/**
 * "All groups" means the memberships the directory has synced, so it is offered only for synced members
 * (Torii's rule): Segment has no per-invite group list, and an account the directory has not confirmed
 * has no memberships it could trust.
 */
export async function planRemoveFromAllGroups(q: Queries, input: ActionInputs['remove_from_all_groups']): Promise<ActionPlan> {
  const user = await q.dirActions.findUser(input.user_id)
  if (!user) throw new NotFoundError(`Directory user ${input.user_id}`, 'user_id')
  if (user.status === 'invited')
    throw new ValidationError(
      `remove_from_all_groups works only for synced members, and ${user.email} is a pending invite: remove it from named groups with remove_from_groups`,
      'user_id',
    )
  if (user.status !== 'active' || user.remote_id === null)
    throw new ValidationError(
      `remove_from_all_groups works only for synced members, and ${user.email} is not one (status ${user.status}): the directory holds no memberships it could trust for it`,
      'user_id',
    )
  const connection = await connectionOf(q, user.connection_id, 'user_id')
  const groups = await q.dirActions.groupsOfUser(user.id)
  const p = part(connection)
  if (groups.length === 0) p.noops.push(`${user.email} is in no group (as last synced)`)
  for (const group of groups) p.calls.push(removeCall(group, user))
  return plan('remove_from_all_groups', [p], [user.id])
}

/** Withdraws a pending invite; a 404 means it is gone already (an answer lost to a timeout and retried, or withdrawn meanwhile). */
const withdrawInviteCall = (email: string, description: string, effect: Effect): PlannedCall => ({
  method: 'DELETE',
  path: '/invites',
  query: { emails: [email] },
  description,
  effect,
  gate: false,
  alreadyDone: [404],
})

/** One account's removal from its workspace: a member is deleted by id, an invite withdrawn by email. */
function offboardPart(connection: ConnectionRow, account: DirUserRow): PlannedPart {
  const p = part(connection)
  if (account.status !== 'active' || account.remote_id === null) {
    p.calls.push(withdrawInviteCall(account.email, `withdraw the invite of ${account.email}`, { kind: 'delete', userId: account.id }))
    return p
  }
  p.calls.push({
    method: 'DELETE',
    path: '/users',
    query: { userIds: [account.remote_id] },
    description: `delete member ${account.email} (${account.remote_id})`,
    effect: { kind: 'delete', userId: account.id },
    gate: false,
    // A 404 means the user is gone already (an answer lost to a timeout and retried, or removed meanwhile).
    alreadyDone: [404],
  })
  // A member still listed as invited (an accepted invite lingering): withdraw that too.
  const invite = parseJson<{ invite?: string }>(account.remote_data, {}).invite
  if (invite !== undefined) p.calls.push(withdrawInviteCall(invite, `withdraw the lingering invite of ${invite}`, { kind: 'none' }))
  return p
}

/** Every live account of the person, in every connection: members are deleted by id, invites by email. */
export async function planOffboard(q: Queries, input: ActionInputs['offboard']): Promise<ActionPlan> {
  const email = input.email.trim()
  const accounts = (await q.dirActions.accountsByEmail(emailKey(email))).filter((u) => u.status !== 'deleted')
  const parts: PlannedPart[] = []
  for (const account of accounts) parts.push(offboardPart(await connectionOf(q, account.connection_id, 'email'), account))
  const notes = accounts.length === 0 ? [`The directory holds no live account for ${email} in any connection (as last synced)`] : []
  return plan(
    'offboard',
    parts,
    accounts.map((a) => a.id),
    notes,
  )
}

export function planAction<A extends ActionName>(q: Queries, action: A, input: ActionInputs[A]): Promise<ActionPlan> {
  switch (action) {
    case 'invite':
      return planInvite(q, input as ActionInputs['invite'])
    case 'add_to_groups':
      return planAddToGroups(q, input as ActionInputs['add_to_groups'])
    case 'remove_from_groups':
      return planRemoveFromGroups(q, input as ActionInputs['remove_from_groups'])
    case 'remove_from_all_groups':
      return planRemoveFromAllGroups(q, input as ActionInputs['remove_from_all_groups'])
    case 'offboard':
      return planOffboard(q, input as ActionInputs['offboard'])
    default:
      throw new NotFoundError(`Action ${String(action)}`)
  }
}
