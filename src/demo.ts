import { accountForEmail } from './accounts/accounts.js'
import { issueSignInLink } from './accounts/links.js'
import { OPERATOR } from './iam/audit.js'
import { addEmailsToGroup, createGroup } from './iam/operations/groups.js'
import type { InvitationSender } from './iam/operations/invitations.js'
import { createLabel } from './iam/operations/labels.js'
import { addMembers, createInvites } from './iam/operations/members.js'
import { addPermissions, permissionContext } from './iam/operations/permissions.js'
import { createWorkspace } from './iam/operations/workspaces.js'
import { checkInvitePermissions, type InvitePermissionInput, type PermissionInput } from './iam/rules/permissions.js'
import { ROLES } from './iam/rules/roles.js'
import type { AccountRow } from './store/queries/accounts.js'
import type { Queries } from './store/queries/index.js'

/*
 * The demo workspace a first `gatehouse serve` makes: enough people, groups, invites and labels to look at in
 * the console, all made through the IAM's own operations so its audit trail tells the story as the API would.
 */

export const DEMO_OWNER = { email: 'owner@demo.example', name: 'Demo Owner' }
/** The printed sign-in link works once, for a day: time to open the console after the first start. */
export const DEMO_LINK_LIFETIME_MS = 24 * 3600_000

type RoleName = (typeof ROLES)[number]['name']
type Label = { key: string; value: string }

const CUSTOM_LABELS = [
  { key: 'team', value: 'growth', description: 'Owned by the growth team' },
  { key: 'team', value: 'platform', description: 'Owned by the platform team' },
  { key: 'region', value: 'eu', description: 'Data of people in the EU' },
]

const roleId = (name: RoleName): string => {
  const role = ROLES.find((r) => r.name === name)
  if (!role) throw new Error(`no role named ${name}`)
  return role.id
}

/** Each demo person's permissions, by what they do. */
function profiles(workspaceId: string) {
  const grant = (name: RoleName, labels?: Label[]): PermissionInput => ({
    roleId: roleId(name),
    resources: [{ id: workspaceId, type: 'WORKSPACE', ...(labels ? { labels } : {}) }],
  })
  const member = grant('Workspace Member')
  return {
    owner: [grant('Workspace Owner')],
    member: [member],
    minimal: [grant('Minimal Workspace Access')],
    sourceAdmin: [member, grant('Source Admin')],
    sourceReader: [member, grant('Source Read-only')],
    prodSources: [member, grant('Source Admin', [{ key: 'environment', value: 'prod' }])],
    listedSources: [
      member,
      {
        roleId: roleId('Source Admin'),
        resources: [
          { id: 'demo-source-web', type: 'SOURCE' },
          { id: 'demo-source-ios', type: 'SOURCE' },
        ],
      },
    ],
    functionAdmin: [member, grant('Function Admin')],
    functionReader: [member, grant('Function Read-only')],
    warehouseReader: [member, grant('Warehouse Destination Read-only')],
    trackingPlanAdmin: [member, grant('Tracking Plan Admin')],
    engageReader: [member, grant('Unify and Engage Read-only', [{ key: 'region', value: 'eu' }])],
    privacyAdmin: [member, grant('End User Privacy Admin')],
    identityAdmin: [member, grant('Identity Admin')],
    entitiesReader: [member, grant('Entities Read-only')],
  } satisfies Record<string, PermissionInput[]>
}

type Profile = keyof ReturnType<typeof profiles>

const PEOPLE: [name: string, profile: Profile][] = [
  ['Ada Lovelace', 'owner'],
  ['Grace Hopper', 'sourceAdmin'],
  ['Alan Turing', 'functionAdmin'],
  ['Katherine Johnson', 'warehouseReader'],
  ['Margaret Hamilton', 'owner'],
  ['Radia Perlman', 'member'],
  ['Dennis Ritchie', 'sourceAdmin'],
  ['Barbara Liskov', 'sourceReader'],
  ['Ken Thompson', 'prodSources'],
  ['Frances Allen', 'trackingPlanAdmin'],
  ['Edsger Dijkstra', 'member'],
  ['Hedy Lamarr', 'engageReader'],
  ['John McCarthy', 'minimal'],
  ['Sophie Wilson', 'listedSources'],
  ['Tim Berners-Lee', 'member'],
  ['Annie Easley', 'sourceReader'],
  ['Donald Knuth', 'member'],
  ['Mary Jackson', 'warehouseReader'],
  ['Leslie Lamport', 'functionReader'],
  ['Jean Bartik', 'member'],
  ['Guido van Rossum', 'sourceAdmin'],
  ['Evelyn Berezin', 'minimal'],
  ['Bjarne Stroustrup', 'member'],
  ['Adele Goldberg', 'engageReader'],
  ['James Gosling', 'listedSources'],
  ['Shafi Goldwasser', 'privacyAdmin'],
  ['Niklaus Wirth', 'member'],
  ['Lynn Conway', 'trackingPlanAdmin'],
  ['Vint Cerf', 'member'],
  ['Karen Spärck Jones', 'sourceReader'],
  ['Bob Kahn', 'member'],
  ['Carol Shaw', 'minimal'],
  ['Whitfield Diffie', 'identityAdmin'],
  ['Mary Wilkes', 'member'],
  ['Ivan Sutherland', 'functionAdmin'],
  ['Joan Clarke', 'prodSources'],
  ['Ward Christensen', 'member'],
  ['Kathleen Booth', 'entitiesReader'],
  ['Ole-Johan Dahl', 'member'],
]

/** first.last@demo.example, accents dropped. */
export function demoEmail(name: string): string {
  const local = name
    .normalize('NFD')
    .replace(/[^A-Za-z -]/g, '')
    .toLowerCase()
    .split(' ')
    .join('.')
  return `${local}@demo.example`
}

const INVITES: { email: string; permissions: InvitePermissionInput[] }[] = [
  { email: 'new.engineer@demo.example', permissions: [{ roleId: roleId('Workspace Member') }] },
  {
    email: 'contractor@agency.example',
    permissions: [{ roleId: roleId('Source Read-only'), labels: [{ key: 'environment', value: 'dev' }] }],
  },
  {
    email: 'analyst@demo.example',
    permissions: [{ roleId: roleId('Workspace Member') }, { roleId: roleId('Warehouse Destination Read-only') }],
  },
  { email: 'intern@demo.example', permissions: [{ roleId: roleId('Minimal Workspace Access') }] },
  { email: 'auditor@audit.example', permissions: [{ roleId: roleId('Tracking Plan Read-only') }] },
]

const GROUPS: { name: string; members: string[]; roles: [RoleName, Label[]?][] }[] = [
  { name: 'Workspace Admins', members: ['Radia Perlman'], roles: [['Workspace Owner']] },
  {
    name: 'Engineering',
    members: [
      'Grace Hopper',
      'Alan Turing',
      'Dennis Ritchie',
      'Ken Thompson',
      'Guido van Rossum',
      'Bjarne Stroustrup',
      'Niklaus Wirth',
      'Ivan Sutherland',
      'new.engineer@demo.example',
    ],
    roles: [['Source Admin', [{ key: 'team', value: 'platform' }]], ['Function Admin']],
  },
  {
    name: 'Data & Analytics',
    members: ['Katherine Johnson', 'Mary Jackson', 'Barbara Liskov', 'Annie Easley', 'Leslie Lamport'],
    roles: [['Warehouse Destination Read-only'], ['Source Read-only']],
  },
  {
    name: 'Growth Marketing',
    members: ['Hedy Lamarr', 'Adele Goldberg', 'Vint Cerf', 'Bob Kahn', 'Carol Shaw'],
    roles: [
      ['Unify and Engage Read-only', [{ key: 'team', value: 'growth' }]],
      ['Engage User', [{ key: 'team', value: 'growth' }]],
    ],
  },
  {
    name: 'Privacy & Compliance',
    members: ['Shafi Goldwasser', 'Whitfield Diffie', 'Joan Clarke'],
    roles: [['End User Privacy Admin'], ['Identity Admin']],
  },
]

/**
 * Fills a new store with the demo workspace, in the caller's transaction, and makes its owner's account a
 * one-time sign-in link. Undefined when the store already has a workspace (the demo is for first starts only).
 */
export async function seedDemoWorkspace(q: Queries, now: Date, invitations: InvitationSender) {
  if ((await q.workspaces.count()) > 0) return undefined
  const created = await createWorkspace(q, {
    name: 'Demo Workspace',
    slug: 'demo',
    ownerEmail: DEMO_OWNER.email,
    ownerName: DEMO_OWNER.name,
  })
  const { id, plan } = created.workspace
  for (const label of CUSTOM_LABELS) await createLabel(q, id, plan, label, OPERATOR)

  const roles = profiles(id)
  const users = await addMembers(
    q,
    id,
    PEOPLE.map(([name]) => ({ email: demoEmail(name), name })),
    OPERATOR,
  )
  for (const [i, user] of users.entries()) {
    const profile = PEOPLE[i]?.[1] ?? 'member'
    await addPermissions(q, id, plan, { type: 'user', id: user.id, name: user.email }, roles[profile], OPERATOR)
  }

  const context = await permissionContext(q, id, plan)
  const invites = INVITES.map((invite, i) => ({
    email: invite.email,
    permissions: checkInvitePermissions(invite.permissions, context, `invites.${i}.permissions`),
  }))
  await createInvites(q, id, invites, OPERATOR, invitations)

  for (const group of GROUPS) {
    const row = await createGroup(q, id, group.name, OPERATOR)
    const emails = group.members.map((member) => (member.includes('@') ? member : demoEmail(member)))
    await addEmailsToGroup(q, id, row.id, emails, OPERATOR, invitations)
    const permissions = group.roles.map(([name, labels]) => ({
      roleId: roleId(name),
      resources: [{ id, type: 'WORKSPACE' as const, ...(labels ? { labels } : {}) }],
    }))
    await addPermissions(q, id, plan, { type: 'group', id: row.id, name: row.name }, permissions, OPERATOR)
  }

  const account = (await accountForEmail(q, DEMO_OWNER.email, 'always', now.toISOString())) as AccountRow
  const { secret } = await issueSignInLink(q, account, now, DEMO_LINK_LIFETIME_MS)
  return { ...created, signInSecret: secret }
}
