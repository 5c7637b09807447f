import { findRole, type ResourceType, roleName } from '../../iam/rules/roles.js'
import type { PermissionRow, ResourceGrant } from '../../store/queries/permissions.js'

/** What a grant means, said the way Segment's app says it (the console's preview and detail panels). */

const NOUNS: Record<ResourceType, string> = {
  FUNCTION: 'function',
  SOURCE: 'source',
  SPACE: 'space',
  WAREHOUSE: 'warehouse',
  WORKSPACE: 'workspace',
}

export interface Grantor {
  id: string
  name: string
}

/** A WORKSPACE resource of a role that names another type means all current and future resources of that type. */
function scopeOf(roleId: string, resource: ResourceGrant): string {
  if (resource.type !== 'WORKSPACE') return `${NOUNS[resource.type as ResourceType] ?? resource.type.toLowerCase()} ${resource.id}`
  const kind = findRole(roleId)?.resourceTypes.find((t) => t !== 'WORKSPACE')
  if (kind === undefined) return 'the whole workspace'
  const all = `all current and future ${NOUNS[kind]}s`
  const labels = (resource.labels ?? []).map((l) => `${l.key}:${l.value}`)
  // Several labels on one grant narrow it: a resource needs every one of them.
  return labels.length === 0 ? all : `${all} labelled ${labels.join(' and ')}`
}

export function describeGrant(p: Pick<PermissionRow, 'role_id' | 'resources'>, group: Grantor | null = null) {
  const name = roleName(p.role_id)
  const scopes = p.resources.map((r) => scopeOf(p.role_id, r))
  const via = group === null ? '' : ` (through the group ${group.name})`
  return {
    roleId: p.role_id,
    roleName: name,
    roleDescription: findRole(p.role_id)?.description ?? '',
    scopes,
    summary: `${name} on ${scopes.join('; ')}${via}`,
    group: group === null ? null : { id: group.id, name: group.name },
  }
}
