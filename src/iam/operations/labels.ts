import { ConflictError, NotFoundError, PlanError } from '../../errors.js'
import type { Queries } from '../../store/queries/index.js'
import type { Plan } from '../../store/tables.js'
import { type Actor, now, recordAudit } from '../audit.js'
import { DEFAULT_LABELS } from './workspaces.js'

/** Free and Team workspaces may add up to five labels of their own; Business has no limit. */
export const CUSTOM_LABEL_LIMIT = 5

const isDefault = (key: string, value: string) => DEFAULT_LABELS.some((l) => l.key === key && l.value === value)

export async function createLabel(
  q: Queries,
  workspaceId: string,
  plan: Plan,
  label: { key: string; value: string; description?: string },
  actor: Actor,
) {
  if (await q.labels.find(workspaceId, label.key, label.value))
    throw new ConflictError(`Label ${label.key}:${label.value} already exists`, { field: 'label' })
  if (plan !== 'business') {
    const custom = (await q.labels.list(workspaceId)).filter((l) => !isDefault(l.key, l.value))
    if (custom.length >= CUSTOM_LABEL_LIMIT) throw new PlanError(`more than ${CUSTOM_LABEL_LIMIT} custom labels`, plan)
  }
  const at = now(q)
  await q.labels.insertMany([
    { workspace_id: workspaceId, key: label.key, value: label.value, description: label.description ?? null, created_at: at },
  ])
  const name = `${label.key}:${label.value}`
  await recordAudit(q, workspaceId, actor, [{ type: 'Label Created', resourceId: name, resourceType: 'label', resourceName: name }], at)
  return label
}

export async function deleteLabel(q: Queries, workspaceId: string, key: string, value: string, actor: Actor): Promise<void> {
  const name = `${key}:${value}`
  if (!(await q.labels.find(workspaceId, key, value))) throw new NotFoundError(`Label ${name}`)
  if (await q.permissions.isLabelInUse(workspaceId, key, value))
    throw new ConflictError(`Label ${name} is in use by a permission and cannot be deleted`)
  await q.labels.delete(workspaceId, key, value)
  await recordAudit(q, workspaceId, actor, [{ type: 'Label Deleted', resourceId: name, resourceType: 'label', resourceName: name }], now(q))
}
