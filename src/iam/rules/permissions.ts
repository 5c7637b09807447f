import { PlanError, ValidationError } from '../../errors.js'
import { newId } from '../../ids.js'
import type { NewPermission, ResourceGrant } from '../../store/queries/permissions.js'
import type { Plan } from '../../store/tables.js'
import { findRole, isRoleAllowedOnPlan, type ResourceType } from './roles.js'

export interface PermissionInput {
  roleId: string
  resources: { id: string; type: ResourceType; labels?: { key: string; value: string; description?: string }[] }[]
}

export interface PermissionContext {
  workspaceId: string
  plan: Plan
  /** `key:value` of every label the workspace has. */
  labels: ReadonlySet<string>
}

/**
 * Checks permissions against the role catalog, the plan and the workspace's labels, and gives each a
 * policy id. Pure: the caller loads the labels. `field` prefixes error fields (`permissions`).
 */
export function checkPermissions(inputs: readonly PermissionInput[], ctx: PermissionContext, field = 'permissions'): NewPermission[] {
  return inputs.map((input, i) => {
    const at = `${field}.${i}`
    const role = findRole(input.roleId)
    if (role === undefined) throw new ValidationError(`${at}.roleId: unknown role id ${input.roleId}`, `${at}.roleId`)
    if (!isRoleAllowedOnPlan(role, ctx.plan)) throw new PlanError(`the ${role.name} role`, ctx.plan)
    const resources: ResourceGrant[] = input.resources.map((resource, j) => {
      const rat = `${at}.resources.${j}`
      if (!role.resourceTypes.includes(resource.type))
        throw new ValidationError(
          `${rat}.type: ${role.name} cannot be granted on ${resource.type}; allowed: ${role.resourceTypes.join(', ')}`,
          `${rat}.type`,
        )
      if (resource.type === 'WORKSPACE' && resource.id !== ctx.workspaceId)
        throw new ValidationError(`${rat}.id: a WORKSPACE resource must be this workspace (${ctx.workspaceId})`, `${rat}.id`)
      const grant: ResourceGrant = { id: resource.id, type: resource.type }
      if (resource.labels !== undefined && resource.labels.length > 0) {
        if (resource.type !== 'WORKSPACE' || !role.labelScoped)
          throw new ValidationError(
            `${rat}.labels: labels narrow only WORKSPACE-level grants of Source and Unify/Engage roles`,
            `${rat}.labels`,
          )
        const seen = new Set<string>()
        grant.labels = []
        resource.labels.forEach((label, k) => {
          const key = `${label.key}:${label.value}`
          if (!ctx.labels.has(key)) throw new ValidationError(`${rat}.labels.${k}: label ${key} does not exist`, `${rat}.labels.${k}`)
          if (seen.has(key)) return
          seen.add(key)
          grant.labels?.push({ key: label.key, value: label.value })
        })
      }
      return grant
    })
    return { id: newId(), roleId: role.id, resources }
  })
}

export interface InvitePermissionInput {
  roleId: string
  resources?: { id: string; type: ResourceType }[]
  labels?: { key: string; value: string; description?: string }[]
}

/**
 * An invite's permission names resources optionally (default: the whole workspace) and carries labels
 * at the top; they narrow its WORKSPACE resources, as on a user's permission.
 */
export function checkInvitePermissions(inputs: readonly InvitePermissionInput[], ctx: PermissionContext, field: string): NewPermission[] {
  const asUserPermissions: PermissionInput[] = inputs.map((p, i) => {
    const resources = p.resources && p.resources.length > 0 ? p.resources : [{ id: ctx.workspaceId, type: 'WORKSPACE' as const }]
    const labels = p.labels ?? []
    if (labels.length > 0 && !resources.some((r) => r.type === 'WORKSPACE'))
      throw new ValidationError(`${field}.${i}.labels: labels need a WORKSPACE resource`, `${field}.${i}.labels`)
    return {
      roleId: p.roleId,
      resources: resources.map((r) => (r.type === 'WORKSPACE' && labels.length > 0 ? { ...r, labels } : r)),
    }
  })
  return checkPermissions(asUserPermissions, ctx, field)
}
