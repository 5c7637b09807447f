import { CUSTOM_LABEL_LIMIT } from '../../iam/operations/labels.js'
import { ROLES } from '../../iam/rules/roles.js'
import type { WorkspaceRow } from '../../store/queries/workspaces.js'
import type { Plan } from '../../store/tables.js'

/** What the API enforces on each plan (src/iam/rules, operations/labels.ts, routes/groups.ts), in words. */
export function planLimits(plan: Plan) {
  const business = plan === 'business'
  const businessRoles = ROLES.filter((r) => r.businessOnly).map((r) => r.name)
  return [
    {
      feature: 'User Groups',
      included: business,
      detail: business ? 'Groups of users that share permissions.' : 'The Business plan only: the group routes answer 400 on this plan.',
    },
    {
      feature: 'Fine-grained roles',
      included: business,
      detail: business
        ? `Every role, including ${businessRoles.join(', ')}.`
        : `${businessRoles.join(', ')} need the Business plan; granting them answers 400.`,
    },
    {
      feature: 'Custom labels',
      included: true,
      detail: business
        ? 'As many labels as you need.'
        : `Up to ${CUSTOM_LABEL_LIMIT} labels besides the default environment:dev and environment:prod.`,
    },
    {
      feature: 'Audit Trail',
      included: business,
      detail: business
        ? 'The Audit Trail page and its CSV export.'
        : "A Business feature in Segment; Gatehouse records the trail on every plan, as its Public API's audit route does.",
    },
  ]
}

function contacts(json: string): string[] {
  try {
    const list: unknown = JSON.parse(json)
    return Array.isArray(list) ? list.filter((e): e is string => typeof e === 'string') : []
  } catch {
    return []
  }
}

export function presentSettings(workspace: WorkspaceRow) {
  return {
    workspace: { id: workspace.id, name: workspace.name, slug: workspace.slug, createdAt: workspace.created_at },
    billingContacts: contacts(workspace.billing_contacts),
    incidentContacts: contacts(workspace.incident_contacts),
    plan: { name: workspace.plan, limits: planLimits(workspace.plan) },
  }
}
