import type { Queries } from '../../store/queries/index.js'
import type { PermissionRow } from '../../store/queries/permissions.js'
import type { Plan } from '../../store/tables.js'
import { type Actor, type AuditEntry, now, recordAudit } from '../audit.js'
import { checkPermissions, type PermissionContext, type PermissionInput } from '../rules/permissions.js'
import { ensureOwnerRemains } from './members.js'

export interface Subject {
  type: 'user' | 'group'
  id: string
  name: string
}

export async function permissionContext(q: Queries, workspaceId: string, plan: Plan): Promise<PermissionContext> {
  const labels = await q.labels.list(workspaceId)
  return { workspaceId, plan, labels: new Set(labels.map((l) => `${l.key}:${l.value}`)) }
}

/** Appends permissions to a user or group; answers with the permissions added. */
export async function addPermissions(
  q: Queries,
  workspaceId: string,
  plan: Plan,
  subject: Subject,
  inputs: readonly PermissionInput[],
  actor: Actor,
): Promise<PermissionRow[]> {
  const permissions = checkPermissions(inputs, await permissionContext(q, workspaceId, plan))
  const at = now(q)
  await q.permissions.insertMany(workspaceId, subject.type, subject.id, permissions, at)
  await recordAudit(
    q,
    workspaceId,
    actor,
    [
      ...permissions.map(
        (p): AuditEntry => ({ type: 'Policy Created', resourceId: p.id, resourceType: 'policy', resourceName: subject.name }),
      ),
      {
        type: subject.type === 'user' ? 'User Policy Updated' : 'User Group Policy Updated',
        resourceId: subject.id,
        resourceType: subject.type === 'user' ? 'user' : 'user_group',
        resourceName: subject.name,
      },
    ],
    at,
  )
  return permissions.map((p) => ({
    id: p.id,
    subject_type: subject.type,
    subject_id: subject.id,
    role_id: p.roleId,
    resources: p.resources,
    created_at: at,
  }))
}

/** Replaces the full permission set of a user or group; answers with the new set. */
export async function replacePermissions(
  q: Queries,
  workspaceId: string,
  plan: Plan,
  subject: Subject,
  inputs: readonly PermissionInput[],
  actor: Actor,
): Promise<PermissionRow[]> {
  const permissions = checkPermissions(inputs, await permissionContext(q, workspaceId, plan))
  const at = now(q)
  const removed = await q.permissions.deleteOfSubjects(workspaceId, subject.type, [subject.id])
  await q.permissions.insertMany(workspaceId, subject.type, subject.id, permissions, at)
  if (subject.type === 'user') await ensureOwnerRemains(q, workspaceId)
  await recordAudit(
    q,
    workspaceId,
    actor,
    [
      ...removed.map((p): AuditEntry => ({ type: 'Policy Deleted', resourceId: p.id, resourceType: 'policy', resourceName: subject.name })),
      ...permissions.map(
        (p): AuditEntry => ({ type: 'Policy Created', resourceId: p.id, resourceType: 'policy', resourceName: subject.name }),
      ),
    ],
    at,
  )
  return permissions.map((p) => ({
    id: p.id,
    subject_type: subject.type,
    subject_id: subject.id,
    role_id: p.roleId,
    resources: p.resources,
    created_at: at,
  }))
}
