import type { Plan } from '../../store/tables.js'

export type ResourceType = 'FUNCTION' | 'SOURCE' | 'SPACE' | 'WAREHOUSE' | 'WORKSPACE'
export const RESOURCE_TYPES: readonly ResourceType[] = ['FUNCTION', 'SOURCE', 'SPACE', 'WAREHOUSE', 'WORKSPACE']

export interface Role {
  id: string
  name: string
  description: string
  /** Plans that may grant it: Segment marks most fine-grained roles Business-only. */
  businessOnly: boolean
  /** Resource types a grant of this role may name. WORKSPACE means "all current and future …". */
  resourceTypes: readonly ResourceType[]
  /** Whether a WORKSPACE-level grant may be narrowed by labels. */
  labelScoped: boolean
}

const role = (
  id: string,
  name: string,
  description: string,
  businessOnly: boolean,
  resourceTypes: readonly ResourceType[] = ['WORKSPACE'],
  labelScoped = false,
): Role => ({ id, name, description, businessOnly, resourceTypes, labelScoped })

/**
 * Segment's built-in roles, fixed and read-only. The two ids Segment documents are kept; the others
 * are Gatehouse's own stable ids (they never change between releases or workspaces).
 */
export const ROLES: readonly Role[] = [
  role(
    '1WDUuRLxv84rrfCNUwvkrRtkxnS',
    'Workspace Owner',
    'Full access to the workspace: settings, billing, access management and every resource.',
    false,
  ),
  role(
    '1aEWAcU0fArxScocwH9xxLgW7r3',
    'Minimal Workspace Access',
    'Can log in and view the workspace; other rights come from other roles.',
    false,
  ),
  role('2Gh0wGHMc2kfG3aTsGgpOYzbgCm', 'Workspace Member', 'Workspace membership; rights come from the other roles granted.', false),
  role(
    '2Gh0wIFcqhZ8T8NVOGE5k4dKcXr',
    'Source Admin',
    'Edit access to all current and future sources, listed sources, or sources with given labels.',
    false,
    ['WORKSPACE', 'SOURCE'],
    true,
  ),
  role(
    '2Gh0wJtyXuNB7z6cCkpsSSPV5tU',
    'Source Read-only',
    'Read access to all current and future sources, listed sources, or sources with given labels.',
    true,
    ['WORKSPACE', 'SOURCE'],
    true,
  ),
  role('2Gh0wLWZiJtfVcmZJYqYzUL8KBM', 'Function Admin', 'Edit access to all current and future functions, or listed functions.', false, [
    'WORKSPACE',
    'FUNCTION',
  ]),
  role(
    '2Gh0wN8N1BoKkcT4RPHTUgYRzjB',
    'Function Read-only',
    'Read access to all current and future functions, or listed functions.',
    false,
    ['WORKSPACE', 'FUNCTION'],
  ),
  role('2Gh0wOqYtG0xBqZQyFHTvLC3PQ0', 'Warehouse Destination Admin', 'Edit access to all warehouses.', true, ['WORKSPACE', 'WAREHOUSE']),
  role('2Gh0wQVSsJmVOqLcN0MqNCqfmBg', 'Warehouse Destination Read-only', 'Read access to all warehouses.', true, [
    'WORKSPACE',
    'WAREHOUSE',
  ]),
  role('2Gh0wS8xZEWeqlLrRfdqHgAwbEs', 'Tracking Plan Admin', 'Edit access to all tracking plans.', true),
  role('2Gh0wTmXK4pmXb5pLH1A5D0PfQh', 'Tracking Plan Read-only', 'Read access to all tracking plans.', true),
  role(
    '2Gh0wVQhIYJyLcB9e5FgMyGZ6Vb',
    'Unify and Engage Admin',
    'Edit access to all current and future spaces, listed spaces, or spaces with given labels.',
    true,
    ['WORKSPACE', 'SPACE'],
    true,
  ),
  role(
    '2Gh0wX2uXo1LfUm8VnNfDdpv5Zs',
    'Unify and Engage Read-only',
    'Read access to all current and future spaces, listed spaces, or spaces with given labels.',
    true,
    ['WORKSPACE', 'SPACE'],
    true,
  ),
  role(
    '2Gh0wYf9Qq4hX6HfYhcVTURxYCm',
    'Unify Read-only',
    'Read access to Unify in all current and future spaces, listed spaces, or spaces with given labels.',
    true,
    ['WORKSPACE', 'SPACE'],
    true,
  ),
  role(
    '2Gh0waHrkz6gTU5C2tzc2Z8DQxT',
    'Engage User',
    'Use Engage in all current and future spaces, listed spaces, or spaces with given labels.',
    true,
    ['WORKSPACE', 'SPACE'],
    true,
  ),
  role('2Gh0wbvT5OCGCOQsI2yDgOXiE5v', 'Identity Admin', 'Edit access to all identity settings.', true),
  role('2Gh0wdYyPmRKDvy4m1DfafxlwJd', 'End User Privacy Admin', 'Edit access to end-user privacy settings only.', true),
  role('2Gh0wfBuMMrw2cjFuJ0SvJQRvLf', 'Entities Admin', 'Edit access to all entity models.', true),
  role('2Gh0wgoMpLN2gFSf2iM8OkrVMEd', 'Entities Read-only', 'Read access to all entity models.', true),
]

export const WORKSPACE_OWNER_ROLE_ID = '1WDUuRLxv84rrfCNUwvkrRtkxnS'

const byId: ReadonlyMap<string, Role> = new Map(ROLES.map((r) => [r.id, r]))

export function findRole(id: string): Role | undefined {
  return byId.get(id)
}

export function roleName(id: string): string {
  return byId.get(id)?.name ?? id
}

export function isRoleAllowedOnPlan(role: Role, plan: Plan): boolean {
  return !role.businessOnly || plan === 'business'
}
