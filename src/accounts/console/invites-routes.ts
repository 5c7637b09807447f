import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { emailKey } from '../../email.js'
import { NotFoundError, PlanError } from '../../errors.js'
import { addEmailsToGroup } from '../../iam/operations/groups.js'
import { createLabel, deleteLabel } from '../../iam/operations/labels.js'
import { createInvites, deleteInvites } from '../../iam/operations/members.js'
import { permissionContext } from '../../iam/operations/permissions.js'
import { bySubject, toPermissionV1 } from '../../iam/present.js'
import { checkInvitePermissions } from '../../iam/rules/permissions.js'
import { isRoleAllowedOnPlan, ROLES } from '../../iam/rules/roles.js'
import { StatusOutput } from '../../iam/schemas/common.js'
import type { Queries } from '../../store/queries/index.js'
import type { LabelRow } from '../../store/queries/labels.js'
import type { InviteRow } from '../../store/queries/members.js'
import type { CursorCodec } from '../../wire/cursor.js'
import { paginate } from '../../wire/pagination.js'
import { resendInvitations } from '../invitations.js'
import type { ConsoleDeps } from '../routes.js'
import { SIGNED_IN_ROUTE, WorkspaceParams } from '../schemas.js'
import type { SignedIn } from '../sessions.js'
import { accessTo, ownerAccessTo, personActor, type WorkspaceAccess } from '../workspaces.js'
import {
  ConsoleInvitesBody,
  CreateConsoleLabelBody,
  CreatedLabelOutput,
  DEFAULT_INVITES_PAGE,
  InvitedOutput,
  InvitesOutput,
  InvitesQuery,
  LabelQuery,
  LabelsOutput,
  ResendBody,
  ResentOutput,
  RevokeQuery,
  RolesOutput,
} from './invites-schemas.js'

const route = SIGNED_IN_ROUTE

/** Access Management → Invites, Roles and Labels, for Workspace Owners, on the Public API's IAM operations. */
export const invitesRoutes: FastifyPluginAsyncTypebox<ConsoleDeps> = async (app, { accounts, cursors }) => {
  const { store } = accounts

  /** One change, in one transaction of the workspace, by the signed-in owner. */
  const change = <T>(workspaceId: string, who: SignedIn, work: (q: Queries, access: WorkspaceAccess) => Promise<T>) =>
    store.write(async (q) => work(q, await ownerAccessTo(q, workspaceId, who)), { workspace: workspaceId })

  const rolesDoc =
    "Every built-in role: what it grants, the resource types a grant may name (WORKSPACE: all current and future), whether labels may narrow it, and whether this workspace's plan may grant it. Any member may read it."
  app.get(
    '/workspaces/:workspaceId/roles',
    { schema: { ...route, description: rolesDoc, params: WorkspaceParams, response: { 200: RolesOutput } } },
    async (req) => {
      const { workspace } = await store.read((q) => accessTo(q, req.params.workspaceId, req.signedIn))
      const roles = ROLES.map((r) => ({
        id: r.id,
        name: r.name,
        description: r.description,
        resourceTypes: [...r.resourceTypes],
        labelScoped: r.labelScoped,
        businessOnly: r.businessOnly,
        available: isRoleAllowedOnPlan(r, workspace.plan),
      }))
      return { data: { roles, plan: workspace.plan } }
    },
  )

  const listDoc =
    "The workspace's pending invites with their permissions, groups and newest link (sent, expires, expired). `search` matches a part of the email in any case. Keyset pages of `count` (1-200, default 50) in creation order."
  app.get(
    '/workspaces/:workspaceId/invites',
    { schema: { ...route, description: listDoc, params: WorkspaceParams, querystring: InvitesQuery, response: { 200: InvitesOutput } } },
    async (req) =>
      store.read(async (q) => {
        const { workspace } = await ownerAccessTo(q, req.params.workspaceId, req.signedIn)
        return { data: await invitesPage(q, cursors, workspace.id, req.query) }
      }),
  )

  const inviteDoc =
    "Invites emails with permissions, as the Public API's createInvites (same validation and plan rules), and into the chosen user groups (Business plan). Each new invite is mailed a link (7 days, single use); an email already pending keeps its link and gets the new permissions."
  app.post(
    '/workspaces/:workspaceId/invites',
    { schema: { ...route, description: inviteDoc, params: WorkspaceParams, body: ConsoleInvitesBody, response: { 201: InvitedOutput } } },
    async (req, reply) => {
      const { invites, groupIds = [] } = req.body
      const result = await change(req.params.workspaceId, req.signedIn, async (q, access) => {
        const { id, plan } = access.workspace
        if (groupIds.length > 0 && plan !== 'business') throw new PlanError('User Groups', plan)
        const ctx = await permissionContext(q, id, plan)
        const checked = invites.map((invite, i) => ({
          email: invite.email,
          permissions: checkInvitePermissions(invite.permissions ?? [], ctx, `invites.${i}.permissions`),
        }))
        const actor = personActor(access, req.signedIn)
        // Emails already pending keep their link: only the others are mailed.
        const pending = await q.invites.findByEmailKeys(
          id,
          checked.map((i) => emailKey(i.email)),
        )
        const emails = await createInvites(q, id, checked, actor, accounts.invitations)
        for (const groupId of new Set(groupIds)) {
          if (!(await q.groups.find(id, groupId))) throw new NotFoundError(`User group ${groupId}`, 'groupIds')
          await addEmailsToGroup(q, id, groupId, emails, actor, accounts.invitations)
        }
        return { emails, mailed: emails.length - pending.length }
      })
      accounts.mailQueued()
      return reply.status(201).send({ data: result })
    },
  )

  const resendDoc =
    'Mails each pending invite a new link (7 days, single use); its older links stop working. 404 when an email is not a pending invite.'
  app.post(
    '/workspaces/:workspaceId/invites/resend',
    { schema: { ...route, description: resendDoc, params: WorkspaceParams, body: ResendBody, response: { 200: ResentOutput } } },
    async (req) => {
      const mailed = await change(req.params.workspaceId, req.signedIn, (q, access) =>
        resendInvitations(q, accounts, access.workspace, req.body.emails, personActor(access, req.signedIn)),
      )
      accounts.mailQueued()
      return { data: { mailed } }
    },
  )

  const revokeDoc =
    "Withdraws pending invites, as the Public API's deleteInvites: their links then say the invitation was withdrawn. 404 when an email is not a pending invite."
  app.delete(
    '/workspaces/:workspaceId/invites',
    { schema: { ...route, description: revokeDoc, params: WorkspaceParams, querystring: RevokeQuery, response: { 200: StatusOutput } } },
    async (req) => {
      await change(req.params.workspaceId, req.signedIn, (q, access) =>
        deleteInvites(q, access.workspace.id, req.query.emails, personActor(access, req.signedIn)),
      )
      return { data: { status: 'SUCCESS' as const } }
    },
  )

  const labelsDoc = "The workspace's labels, each with how many permissions it narrows (a label in use cannot be deleted)."
  app.get(
    '/workspaces/:workspaceId/labels',
    { schema: { ...route, description: labelsDoc, params: WorkspaceParams, response: { 200: LabelsOutput } } },
    async (req) =>
      store.read(async (q) => {
        const { workspace } = await ownerAccessTo(q, req.params.workspaceId, req.signedIn)
        const usage = await q.inviteLinks.labelUsage(workspace.id)
        return { data: { labels: (await q.labels.list(workspace.id)).map((l) => presentLabel(l, usage)) } }
      }),
  )

  const createLabelDoc =
    "Creates a label, as the Public API's createLabel: key and value start with a letter; Free and Team workspaces have at most 5 of their own; 409 when it exists."
  app.post(
    '/workspaces/:workspaceId/labels',
    {
      schema: {
        ...route,
        description: createLabelDoc,
        params: WorkspaceParams,
        body: CreateConsoleLabelBody,
        response: { 201: CreatedLabelOutput },
      },
    },
    async (req, reply) => {
      const label = await change(req.params.workspaceId, req.signedIn, async (q, access) => {
        const { id, plan } = access.workspace
        const { key, value } = await createLabel(q, id, plan, req.body.label, personActor(access, req.signedIn))
        return q.labels.find(id, key, value)
      })
      if (!label) throw new NotFoundError('Label')
      return reply.status(201).send({ data: { label: presentLabel(label, new Map()) } })
    },
  )

  const deleteLabelDoc = "Deletes a label, as the Public API's deleteLabel: 409 while a permission uses it, 404 when it does not exist."
  app.delete(
    '/workspaces/:workspaceId/labels',
    {
      schema: { ...route, description: deleteLabelDoc, params: WorkspaceParams, querystring: LabelQuery, response: { 200: StatusOutput } },
    },
    async (req) => {
      await change(req.params.workspaceId, req.signedIn, (q, access) =>
        deleteLabel(q, access.workspace.id, req.query.key, req.query.value, personActor(access, req.signedIn)),
      )
      return { data: { status: 'SUCCESS' as const } }
    },
  )
}

function presentLabel(label: LabelRow, usage: Map<string, number>) {
  return {
    key: label.key,
    value: label.value,
    description: label.description,
    createdAt: label.created_at,
    usedBy: usage.get(`${label.key}:${label.value}`) ?? 0,
  }
}

/** One page of pending invites with their permissions, groups and newest link. */
async function invitesPage(
  q: Queries,
  cursors: CursorCodec,
  workspaceId: string,
  query: { search?: string | undefined; count?: number | undefined; cursor?: string | undefined },
) {
  const search = query.search?.trim().toLowerCase() || undefined
  const page = await paginate(
    cursors,
    // The search is part of the list's name: a cursor works only with the search it was issued for.
    `console/workspaces/${workspaceId}/invites|${search ?? ''}`,
    { count: query.count ?? DEFAULT_INVITES_PAGE, ...(query.cursor === undefined ? {} : { cursor: query.cursor }) },
    (seek) => q.inviteLinks.searchInvites(workspaceId, search, seek),
    (invite) => [invite.id],
    () => q.inviteLinks.countInvites(workspaceId, search),
  )
  return { invites: await presentInvites(q, workspaceId, page.items), pagination: page.pagination }
}

async function presentInvites(q: Queries, workspaceId: string, invites: readonly InviteRow[]) {
  const ids = invites.map((i) => i.id)
  const permissions = bySubject(await q.permissions.ofSubjects(workspaceId, 'invite', ids))
  const memberships = await q.groups.groupsOfInvites(workspaceId, ids)
  const names = new Map((await q.groups.namesOf(workspaceId, [...new Set(memberships.map((m) => m.group_id))])).map((g) => [g.id, g.name]))
  const links = await q.inviteLinks.newestOfInvites(workspaceId, ids)
  const now = q.clock.now().toISOString()
  return invites.map((invite) => {
    const link = links.get(invite.id)
    return {
      email: invite.email,
      permissions: (permissions.get(invite.id) ?? []).map(toPermissionV1),
      groups: memberships
        .filter((m) => m.invite_id === invite.id)
        .map((m) => ({ id: m.group_id, name: names.get(m.group_id) ?? '' }))
        .sort((a, b) => a.name.localeCompare(b.name)),
      createdAt: invite.created_at,
      link: link ? { sentAt: link.created_at, expiresAt: link.expires_at, expired: link.expires_at <= now } : null,
    }
  })
}
