import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { NotFoundError, ValidationError } from '../../errors.js'
import { PageQuery, paginate } from '../../wire/pagination.js'
import { actorOf } from '../actor.js'
import { createLabel, deleteLabel } from '../operations/labels.js'
import { ROLES } from '../rules/roles.js'
import { StatusOutput } from '../schemas/common.js'
import {
  AuditQuery,
  CreateLabelBody,
  CreateLabelOutput,
  GetWorkspaceOutput,
  LabelParams,
  ListAuditEventsOutput,
  ListLabelsOutput,
  ListRolesOutput,
} from '../schemas/workspace.js'
import type { IamDeps } from './deps.js'

/** The workspace itself, its roles, labels and audit trail. */
export const workspaceRoutes: FastifyPluginAsyncTypebox<IamDeps> = async (app, { store, cursors }) => {
  app.get('/', { schema: { response: { 200: GetWorkspaceOutput } }, config: { access: 'read' } }, async (req) => {
    const workspace = await store.read((q) => q.workspaces.find(req.auth.workspaceId))
    if (!workspace) throw new NotFoundError('Workspace')
    return { data: { workspace: { id: workspace.id, slug: workspace.slug, name: workspace.name } } }
  })

  // Roles are a fixed catalog: paged in memory by position, with the same cursors as every list.
  app.get('/roles', { schema: { querystring: PageQuery, response: { 200: ListRolesOutput } }, config: { access: 'read' } }, async (req) => {
    const page = await paginate(
      cursors,
      'roles',
      req.query.pagination,
      async ({ direction, key, limit }) => {
        const at = key === null ? (direction === 'after' ? 0 : ROLES.length) : ROLES.findIndex((r) => r.id === key[0])
        if (at < 0) throw new ValidationError('pagination.cursor is not a cursor this list issued', 'pagination.cursor')
        const [from, to] =
          direction === 'after'
            ? [key === null ? 0 : at + 1, Math.min(ROLES.length, (key === null ? 0 : at + 1) + limit)]
            : [Math.max(0, at - limit), at]
        const rows = ROLES.slice(from, to).map(({ id, name, description }) => ({ id, name, description }))
        return { rows, hasMore: direction === 'after' ? to < ROLES.length : from > 0 }
      },
      (r) => [r.id],
      async () => ROLES.length,
    )
    return { data: { roles: page.items, pagination: page.pagination } }
  })

  app.get('/labels', { schema: { response: { 200: ListLabelsOutput } }, config: { access: 'read' } }, async (req) => {
    const labels = await store.read((q) => q.labels.list(req.auth.workspaceId))
    return {
      data: {
        labels: labels.map((l) => ({ key: l.key, value: l.value, ...(l.description === null ? {} : { description: l.description }) })),
      },
    }
  })

  app.post(
    '/labels',
    { schema: { body: CreateLabelBody, response: { 201: CreateLabelOutput } }, config: { access: 'write', rl60: 'createLabel' } },
    async (req, reply) => {
      const label = await store.write((q) => createLabel(q, req.auth.workspaceId, req.auth.plan, req.body.label, actorOf(req)), {
        workspace: req.auth.workspaceId,
      })
      return reply.status(201).send({ data: { label } })
    },
  )

  app.delete(
    '/labels/:key/:value',
    { schema: { params: LabelParams, response: { 200: StatusOutput } }, config: { access: 'write', rl60: 'deleteLabel' } },
    async (req) => {
      await store.write((q) => deleteLabel(q, req.auth.workspaceId, req.params.key, req.params.value, actorOf(req)), {
        workspace: req.auth.workspaceId,
      })
      return { data: { status: 'SUCCESS' as const } }
    },
  )

  // Only owners may read the audit trail (MEMBER tokens get 401).
  app.get(
    '/audit-events',
    { schema: { querystring: AuditQuery, response: { 200: ListAuditEventsOutput } }, config: { access: 'owner' } },
    async (req) => {
      const { startTime, endTime, resourceId, resourceType, pagination } = req.query
      const filter = {
        workspaceId: req.auth.workspaceId,
        endTime: endTime === undefined ? store.clock.now().toISOString() : parseTime(endTime, 'endTime'),
        ...(startTime === undefined ? {} : { startTime: parseTime(startTime, 'startTime') }),
        ...(resourceId === undefined ? {} : { resourceId }),
        ...(resourceType === undefined ? {} : { resourceType }),
      }
      // The filter is part of the list's name: a cursor only continues the walk it came from.
      const list = `audit-events:${JSON.stringify([filter.startTime ?? null, endTime ?? null, resourceId ?? null, resourceType?.toLowerCase() ?? null])}`
      const page = await store.read((q) =>
        paginate(
          cursors,
          { name: list, width: 2 },
          pagination,
          (seek) => q.audit.list(filter, seek),
          (e) => [e.timestamp, e.id],
          // No totalEntries: counting a filtered range of millions of events would cost more than the page.
          undefined,
        ),
      )
      const events = page.items.map((e) => ({
        id: e.id,
        timestamp: e.timestamp,
        type: e.type,
        actor: e.actor,
        ...(e.actor_email === null ? {} : { actorEmail: e.actor_email }),
        resourceId: e.resource_id,
        resourceType: e.resource_type,
        resourceName: e.resource_name,
      }))
      return { data: { events, pagination: page.pagination } }
    },
  )
}

/** ISO-8601 / RFC 3339 (or anything Date reads unambiguously) → canonical ISO text, else 422. */
function parseTime(value: string, field: string): string {
  const ms = Date.parse(value)
  if (Number.isNaN(ms) || !/^\d{4}-\d{2}-\d{2}/.test(value))
    throw new ValidationError(`${field} must be an ISO-8601 time, such as 2025-01-31T12:00:00Z`, field)
  return new Date(ms).toISOString()
}
