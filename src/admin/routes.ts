import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { instanceAdminRoutes } from '../accounts/admin-routes.js'
import type { AccountsContext } from '../accounts/context.js'
import { bearerToken, secretsEqual } from '../auth/secrets.js'
import { createApiKey } from '../directory/api-keys.js'
import { ApiError, NotFoundError, UnauthorizedError } from '../errors.js'
import type { Seeder } from '../fixtures/seed.js'
import { OPERATOR } from '../iam/audit.js'
import { addMembers } from '../iam/operations/members.js'
import { createToken, createWorkspace, revokeToken } from '../iam/operations/workspaces.js'
import { bySubject, toUserV1 } from '../iam/present.js'
import { data, Email, Id, MAX_BATCH, StatusOutput } from '../iam/schemas/common.js'
import { UserV1 } from '../iam/schemas/users.js'
import { outboxPage, readMessage, retryMessage } from '../mail/outbox.js'
import { OutboxMessage, OutboxMessageWithBody, OutboxStatus } from '../mail/schemas.js'
import type { Queries } from '../store/queries/index.js'
import type { Store } from '../store/store.js'
import type { CursorCodec } from '../wire/cursor.js'
import { PageQuery, PaginationInput, PaginationOutput, paginate } from '../wire/pagination.js'
import { clockRoutes } from './clock-routes.js'
import { faultRoutes } from './fault-routes.js'
import type { FaultRegistry } from './faults.js'
import { resetRoutes } from './reset-routes.js'

export interface AdminDeps {
  store: Store
  cursors: CursorCodec
  /** Undefined: the operator API is disabled. */
  adminKey: string | undefined
  /** Faults injected into the Public API; `/admin/faults` manages them. */
  faults: FaultRegistry
  /** Instance admins: `/admin/instance-admins`. */
  accounts: AccountsContext
  /** The seed `/admin/reset` goes back to. */
  seeder: Seeder
}

const Plan = Type.Union([Type.Literal('business'), Type.Literal('team'), Type.Literal('free')])
const AdminWorkspace = Type.Object({ id: Type.String(), slug: Type.String(), name: Type.String(), plan: Type.String() })
const CreateWorkspaceBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 255 }),
    slug: Type.String({ minLength: 1, maxLength: 100 }),
    ownerEmail: Email,
    ownerName: Type.Optional(Type.String({ maxLength: 255 })),
    plan: Type.Optional(Plan),
  },
  { additionalProperties: false },
)
const CreateWorkspaceOutput = data({
  workspace: AdminWorkspace,
  token: Type.String(),
  owner: Type.Object({ id: Type.String(), email: Type.String(), name: Type.String() }),
})
const WorkspaceParams = Type.Object({ workspaceId: Id })
const TokenParams = Type.Object({ workspaceId: Id, tokenId: Id })
const CreateTokenBody = Type.Object(
  {
    description: Type.String({ minLength: 1, maxLength: 255 }),
    role: Type.Optional(Type.Union([Type.Literal('OWNER'), Type.Literal('MEMBER')])),
  },
  { additionalProperties: false },
)
const CreateTokenOutput = data({
  token: Type.Object({ id: Type.String(), description: Type.String(), role: Type.String() }),
  secret: Type.String(),
})
const AddUsersBody = Type.Object(
  {
    users: Type.Array(
      Type.Object({ email: Email, name: Type.Optional(Type.String({ maxLength: 255 })) }, { additionalProperties: false }),
      { minItems: 1, maxItems: MAX_BATCH },
    ),
  },
  { additionalProperties: false },
)

const OutboxQuery = Type.Object({ pagination: Type.Optional(PaginationInput), status: Type.Optional(OutboxStatus) })
const MessageParams = Type.Object({ messageId: Id })

async function findWorkspace(q: Queries, ref: string) {
  const workspace = await q.workspaces.findBySlugOrId(ref)
  if (!workspace) throw new NotFoundError(`Workspace ${ref}`, 'workspaceId')
  return workspace
}

/** The operator API: creates workspaces, tokens and members. Same envelopes as the Public API. */
export const adminRoutes: FastifyPluginAsyncTypebox<AdminDeps> = async (app, { store, cursors, adminKey, faults, accounts, seeder }) => {
  app.addHook('onRequest', async (req) => {
    if (adminKey === undefined)
      throw new ApiError(404, 'not-found', 'The operator API is disabled: start the server with --admin-key or GATEHOUSE_ADMIN_KEY')
    const given = bearerToken(req.headers.authorization)
    if (given === undefined || !secretsEqual(given, adminKey)) throw new UnauthorizedError('Unauthorized: a valid admin key is required')
  })

  await app.register(faultRoutes, { store, faults })
  await app.register(instanceAdminRoutes, { accounts })
  await app.register(resetRoutes, { store, faults, accounts, seeder })
  await app.register(clockRoutes, { clock: store.clock })

  app.post('/workspaces', { schema: { body: CreateWorkspaceBody, response: { 201: CreateWorkspaceOutput } } }, async (req, reply) => {
    const created = await store.write((q) => createWorkspace(q, req.body))
    return reply.status(201).send({ data: { workspace: created.workspace, token: created.token, owner: created.owner } })
  })

  app.get(
    '/workspaces',
    {
      schema: { querystring: PageQuery, response: { 200: data({ workspaces: Type.Array(AdminWorkspace), pagination: PaginationOutput }) } },
    },
    async (req) => {
      const page = await store.read((q) =>
        paginate(
          cursors,
          'admin/workspaces',
          req.query.pagination,
          (seek) => q.workspaces.list(seek),
          (w) => [w.id],
          () => q.workspaces.count(),
        ),
      )
      return { data: { workspaces: page.items.map(({ id, slug, name, plan }) => ({ id, slug, name, plan })), pagination: page.pagination } }
    },
  )

  app.post(
    '/workspaces/:workspaceId/tokens',
    { schema: { params: WorkspaceParams, body: CreateTokenBody, response: { 201: CreateTokenOutput } } },
    async (req, reply) => {
      const { token, secret } = await store.write(
        async (q) => {
          const workspace = await findWorkspace(q, req.params.workspaceId)
          return createToken(q, workspace.id, req.body.description, req.body.role ?? 'OWNER')
        },
        { workspace: req.params.workspaceId },
      )
      return reply.status(201).send({ data: { token: { id: token.id, description: token.description, role: token.role }, secret } })
    },
  )

  app.delete(
    '/workspaces/:workspaceId/tokens/:tokenId',
    { schema: { params: TokenParams, response: { 200: StatusOutput } } },
    async (req) => {
      await store.write(
        async (q) => {
          const workspace = await findWorkspace(q, req.params.workspaceId)
          if (!(await revokeToken(q, workspace.id, req.params.tokenId))) throw new NotFoundError(`Token ${req.params.tokenId}`, 'tokenId')
        },
        { workspace: req.params.workspaceId },
      )
      return { data: { status: 'SUCCESS' as const } }
    },
  )

  app.post(
    '/directory/api-keys',
    {
      schema: {
        body: Type.Object({ description: Type.String({ minLength: 1, maxLength: 255 }) }, { additionalProperties: false }),
        response: {
          201: data({
            apiKey: Type.Object({ id: Type.String(), description: Type.String(), created_at: Type.String() }),
            secret: Type.String(),
          }),
        },
      },
    },
    async (req, reply) => {
      const { key, secret } = await store.write((q) => createApiKey(q, req.body.description))
      return reply.status(201).send({ data: { apiKey: key, secret } })
    },
  )

  app.post(
    '/workspaces/:workspaceId/users',
    { schema: { params: WorkspaceParams, body: AddUsersBody, response: { 201: data({ users: Type.Array(UserV1) }) } } },
    async (req, reply) => {
      const users = await store.write(
        async (q) => {
          const workspace = await findWorkspace(q, req.params.workspaceId)
          const members = await addMembers(
            q,
            workspace.id,
            req.body.users.map((u) => ({ email: u.email, name: u.name ?? '' })),
            OPERATOR,
          )
          const permissions = bySubject(
            await q.permissions.ofSubjects(
              workspace.id,
              'user',
              members.map((u) => u.id),
            ),
          )
          return members.map((u) => toUserV1(u, permissions.get(u.id) ?? []))
        },
        { workspace: req.params.workspaceId },
      )
      return reply.status(201).send({ data: { users } })
    },
  )

  // The outbox: what mail waits, went or failed. Lists carry no body; one message does (it holds the link
  // or code), which is how an operator without --smtp-url hands a person their link.
  app.get(
    '/outbox',
    {
      schema: { querystring: OutboxQuery, response: { 200: data({ messages: Type.Array(OutboxMessage), pagination: PaginationOutput }) } },
    },
    async (req) => {
      const { status } = req.query
      const page = await store.read((q) => outboxPage(q, cursors, 'admin/outbox', req.query.pagination, status))
      return { data: { messages: page.items, pagination: page.pagination } }
    },
  )

  app.get(
    '/outbox/:messageId',
    { schema: { params: MessageParams, response: { 200: data({ message: OutboxMessageWithBody }) } } },
    async (req) => ({ data: { message: await store.read((q) => readMessage(q, accounts.cipher, req.params.messageId)) } }),
  )

  app.post(
    '/outbox/:messageId/retry',
    { schema: { params: MessageParams, response: { 200: data({ message: OutboxMessage }) } } },
    async (req) => {
      const message = await store.write((q) => retryMessage(q, req.params.messageId))
      accounts.mailQueued()
      return { data: { message } }
    },
  )
}
