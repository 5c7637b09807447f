import { Readable } from 'node:stream'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { NotFoundError } from '../../errors.js'
import { deleteUsers } from '../../iam/operations/members.js'
import { replacePermissions } from '../../iam/operations/permissions.js'
import { bySubject, toPermissionV1 } from '../../iam/present.js'
import { ReplacePermissionsBody, StatusOutput } from '../../iam/schemas/common.js'
import type { Queries } from '../../store/queries/index.js'
import type { UserRow } from '../../store/queries/members.js'
import type { ConsoleDeps } from '../routes.js'
import { SIGNED_IN_ROUTE, WorkspaceParams } from '../schemas.js'
import { filterOf, ownerAccessTo, personActor } from '../workspaces.js'
import { UserDetailOutput, UserParams, UsersCsvQuery } from './access-schemas.js'
import { describeGrant } from './access-words.js'
import { usersCsv } from './users-csv.js'

/** The CSV is streamed, never serialised: the schema only tells OpenAPI what the body is. */
const CsvBody = Type.Unsafe<Readable>({ type: 'string', description: 'text/csv' })

async function findUser(q: Queries, workspaceId: string, userId: string): Promise<UserRow> {
  const user = await q.users.find(workspaceId, userId)
  if (!user) throw new NotFoundError(`User ${userId}`, 'userId')
  return user
}

/** A member as the detail panel shows them: their own permissions, their groups, and every grant in words. */
async function userDetail(q: Queries, user: UserRow) {
  const own = await q.permissions.ofSubjects(user.workspace_id, 'user', [user.id])
  const groups = (await q.groups.groupsOfUsers(user.workspace_id, [user.id])).map(({ id, name }) => ({ id, name }))
  const ofGroup = bySubject(
    await q.permissions.ofSubjects(
      user.workspace_id,
      'group',
      groups.map((g) => g.id),
    ),
  )
  const access = [...own.map((p) => describeGrant(p)), ...groups.flatMap((g) => (ofGroup.get(g.id) ?? []).map((p) => describeGrant(p, g)))]
  return {
    data: {
      user: {
        id: user.id,
        email: user.email,
        name: user.name,
        createdAt: user.created_at,
        permissions: own.map(toPermissionV1),
        groups,
        access,
      },
    },
  }
}

/** Access Management → Users beyond the list (workspace-routes.ts): a member's detail, roles, removal, the CSV. */
export const usersRoutes: FastifyPluginAsyncTypebox<ConsoleDeps> = async (app, { accounts }) => {
  const { store } = accounts
  const route = { ...SIGNED_IN_ROUTE }

  app.get(
    '/workspaces/:workspaceId/users/:userId',
    {
      schema: {
        ...route,
        description:
          "A member's detail: their own permissions, their groups, and every grant (their own and their groups', each marked with its group) in words. 404 for a user of another workspace.",
        params: UserParams,
        response: { 200: UserDetailOutput },
      },
    },
    async (req) =>
      store.read(async (q) => {
        const { workspace } = await ownerAccessTo(q, req.params.workspaceId, req.signedIn)
        return userDetail(q, await findUser(q, workspace.id, req.params.userId))
      }),
  )

  app.put(
    '/workspaces/:workspaceId/users/:userId/permissions',
    {
      schema: {
        ...route,
        description:
          "Replaces a member's own permissions (an empty list removes them), checked as the Public API checks them. 409 when the change would leave the workspace without a Workspace Owner.",
        params: UserParams,
        body: ReplacePermissionsBody,
        response: { 200: UserDetailOutput },
      },
    },
    async (req) =>
      store.write(
        async (q) => {
          const access = await ownerAccessTo(q, req.params.workspaceId, req.signedIn)
          const { workspace } = access
          const user = await findUser(q, workspace.id, req.params.userId)
          const subject = { type: 'user' as const, id: user.id, name: user.email }
          await replacePermissions(q, workspace.id, workspace.plan, subject, req.body.permissions, personActor(access, req.signedIn))
          return userDetail(q, user)
        },
        { workspace: req.params.workspaceId },
      ),
  )

  app.delete(
    '/workspaces/:workspaceId/users/:userId',
    {
      schema: {
        ...route,
        description:
          'Removes a member from the workspace with their permissions and group memberships; their account (and other workspaces) stay. 409 for the last Workspace Owner.',
        params: UserParams,
        response: { 200: StatusOutput },
      },
    },
    async (req) => {
      await store.write(
        async (q) => {
          const access = await ownerAccessTo(q, req.params.workspaceId, req.signedIn)
          const user = await findUser(q, access.workspace.id, req.params.userId)
          await deleteUsers(q, access.workspace.id, [user.id], personActor(access, req.signedIn))
        },
        { workspace: req.params.workspaceId },
      )
      return { data: { status: 'SUCCESS' as const } }
    },
  )

  const csvDoc =
    "Every member the filters keep (`search`, `roleId`, as GET …/users), as a CSV attachment: id, name, email, roles (their own), access (those roles in words), groups. Streamed in keyset batches, so memory stays flat; cells a spreadsheet would run as formulas are prefixed with '."
  app.get(
    '/workspaces/:workspaceId/users.csv',
    {
      schema: {
        ...route,
        description: csvDoc,
        params: WorkspaceParams,
        querystring: UsersCsvQuery,
        produces: ['text/csv'],
        response: { 200: { description: 'CSV, one line per user', content: { 'text/csv': { schema: CsvBody } } } },
      },
    },
    async (req, reply) => {
      const { workspace } = await store.read((q) => ownerAccessTo(q, req.params.workspaceId, req.signedIn))
      const filter = filterOf(req.query)
      reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="${workspace.slug.replace(/[^\w.-]/g, '_')}-users.csv"`)
      return reply.send(Readable.from(usersCsv(store, workspace.id, filter)))
    },
  )
}
