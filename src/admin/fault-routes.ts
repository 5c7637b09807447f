import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { NotFoundError } from '../errors.js'
import { data, Id, StatusOutput } from '../iam/schemas/common.js'
import type { Store } from '../store/store.js'
import { type FaultRegistry, type FaultSpec, FaultSpecSchema } from './faults.js'

export interface FaultRouteDeps {
  store: Store
  faults: FaultRegistry
}

const FaultOut = Type.Object({
  id: Type.String(),
  route: Type.Optional(Type.String()),
  method: Type.Optional(Type.String()),
  workspaceId: Type.Optional(Type.String()),
  fault: Type.String(),
  status: Type.Optional(Type.Integer()),
  delayMs: Type.Optional(Type.Integer()),
  msBeforeNext: Type.Optional(Type.Integer()),
  count: Type.Optional(Type.Integer()),
  durationMs: Type.Optional(Type.Integer()),
  remaining: Type.Optional(Type.Integer()),
  expiresAt: Type.Optional(Type.String()),
  hits: Type.Integer(),
  createdAt: Type.String(),
})

/** Operator endpoints for fault injection, registered inside the admin plugin (so behind the admin key). */
export const faultRoutes: FastifyPluginAsyncTypebox<FaultRouteDeps> = async (app, { store, faults }) => {
  app.post('/faults', { schema: { body: FaultSpecSchema, response: { 201: data({ fault: FaultOut }) } } }, async (req, reply) => {
    const spec: FaultSpec = { ...req.body }
    if (spec.workspaceId !== undefined) {
      // Accept a slug as the other operator routes do, but match on the id the request's token carries.
      const ref = spec.workspaceId
      const workspace = await store.read((q) => q.workspaces.findBySlugOrId(ref))
      if (!workspace) throw new NotFoundError(`Workspace ${ref}`, 'workspaceId')
      spec.workspaceId = workspace.id
    }
    return reply.status(201).send({ data: { fault: faults.add(spec) } })
  })

  app.get('/faults', { schema: { response: { 200: data({ faults: Type.Array(FaultOut) }) } } }, async () => ({
    data: { faults: faults.list() },
  }))

  // Deletes answer 200 {data:{status:'SUCCESS'}}, never 204, as everywhere else.
  app.delete('/faults', { schema: { response: { 200: StatusOutput } } }, async () => {
    faults.clear()
    return { data: { status: 'SUCCESS' as const } }
  })

  app.delete('/faults/:faultId', { schema: { params: Type.Object({ faultId: Id }), response: { 200: StatusOutput } } }, async (req) => {
    if (!faults.clear(req.params.faultId)) throw new NotFoundError(`Fault ${req.params.faultId}`, 'faultId')
    return { data: { status: 'SUCCESS' as const } }
  })
}
