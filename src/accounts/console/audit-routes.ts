import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { ConsoleDeps } from '../routes.js'
import { SIGNED_IN_ROUTE, WorkspaceParams } from '../schemas.js'
import { ownerAccessTo } from '../workspaces.js'
import { auditCsv, auditFilterOf, auditPage, presentEvent } from './audit.js'
import { AuditCsvQuery, AuditOutput, AuditQuery, EventTypesOutput } from './workspace-admin-schemas.js'

const filtersDoc =
  '`type` (repeat for several), `actor` (an id, or an email in any case), `resource` (an id, or part of a name in any case), `from` (inclusive) and `to` (exclusive) as ISO-8601 times.'

/**
 * The Audit Trail: the same events as the Public API's GET /audit-events, with the console's filters, on every
 * plan (as the Public API serves them); `included` says whether Segment's plan would include the page.
 */
export const auditRoutes: FastifyPluginAsyncTypebox<ConsoleDeps> = async (app, { accounts, cursors }) => {
  const { store } = accounts

  app.get(
    '/workspaces/:workspaceId/audit',
    {
      schema: {
        ...SIGNED_IN_ROUTE,
        description: `The workspace's audit trail, newest first, in keyset pages of \`count\` (1-200, default 50). Filters: ${filtersDoc} Workspace Owners and instance admins only.`,
        params: WorkspaceParams,
        querystring: AuditQuery,
        response: { 200: AuditOutput },
      },
    },
    async (req) => {
      const { workspace } = await store.read((q) => ownerAccessTo(q, req.params.workspaceId, req.signedIn))
      const page = await auditPage(store, cursors, auditFilterOf(workspace.id, req.query), req.query)
      return { data: { events: page.items.map(presentEvent), pagination: page.pagination, included: workspace.plan === 'business' } }
    },
  )

  app.get(
    '/workspaces/:workspaceId/audit.csv',
    {
      schema: {
        ...SIGNED_IN_ROUTE,
        description: `The filtered audit trail as a CSV download (text/csv, newest first, a header row), streamed in batches with constant memory. Filters as GET …/audit: ${filtersDoc} Cells that a spreadsheet would run as a formula start with '.`,
        params: WorkspaceParams,
        querystring: AuditCsvQuery,
        produces: ['text/csv'],
      },
    },
    async (req, reply) => {
      const { workspace } = await store.read((q) => ownerAccessTo(q, req.params.workspaceId, req.signedIn))
      const filter = auditFilterOf(workspace.id, req.query)
      const day = store.clock.now().toISOString().slice(0, 10)
      return reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="audit-${workspace.slug}-${day}.csv"`)
        .send(auditCsv(store, filter))
    },
  )

  app.get(
    '/workspaces/:workspaceId/audit/event-types',
    {
      schema: {
        ...SIGNED_IN_ROUTE,
        description: "The event types in the workspace's audit trail, for the type filter.",
        params: WorkspaceParams,
        response: { 200: EventTypesOutput },
      },
    },
    async (req) =>
      store.read(async (q) => {
        const { workspace } = await ownerAccessTo(q, req.params.workspaceId, req.signedIn)
        return { data: { types: await q.audit.eventTypes(workspace.id) } }
      }),
  )
}
