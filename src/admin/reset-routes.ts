import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import type { AccountsContext } from '../accounts/context.js'
import { ConflictError, NotFoundError } from '../errors.js'
import type { Seeder } from '../fixtures/seed.js'
import { data, Id } from '../iam/schemas/common.js'
import type { Store } from '../store/store.js'
import type { FaultRegistry } from './faults.js'

export interface ResetRouteDeps {
  store: Store
  faults: FaultRegistry
  accounts: AccountsContext
  /** The server's seed, which resets go back to. */
  seeder: Seeder
}

/**
 * The emulator's resets, behind the admin key (registered inside the admin plugin): back to the seed that
 * `--seed` or `startGatehouse({ seed })` gave, between the tests of a suite. Without a seed, a reset empties the store.
 */
export const resetRoutes: FastifyPluginAsyncTypebox<ResetRouteDeps> = async (app, { store, faults, accounts, seeder }) => {
  app.post(
    '/reset',
    {
      schema: {
        description:
          'Everything back to the seed: every workspace, account, session, outbox message, audit event and directory row goes, injected faults end, then the seed is applied again (one transaction).',
        response: { 200: data({ status: Type.Literal('SUCCESS'), workspaces: Type.Integer() }) },
      },
    },
    async () => {
      const { workspaces } = await seeder.reset()
      faults.clear()
      accounts.mailQueued() // the seed's invitations
      return { data: { status: 'SUCCESS' as const, workspaces } }
    },
  )

  app.post(
    '/workspaces/:workspaceId/reset',
    {
      schema: {
        description: 'One seeded workspace back to its seed (same id, slug and token secrets); other workspaces and accounts stay.',
        params: Type.Object({ workspaceId: Id }),
        response: { 200: data({ status: Type.Literal('SUCCESS'), workspaceId: Type.String() }) },
      },
    },
    async (req) => {
      const ref = req.params.workspaceId
      const reset = await seeder.resetWorkspace(ref)
      if (reset === undefined) {
        if (await store.read((q) => q.workspaces.findBySlugOrId(ref)))
          throw new ConflictError(`Workspace ${ref} is not in the seed, so it has no state to go back to; POST /admin/reset removes it`, {
            field: 'workspaceId',
          })
        throw new NotFoundError(`Workspace ${ref}`, 'workspaceId')
      }
      accounts.mailQueued()
      return { data: { status: 'SUCCESS' as const, workspaceId: reset.id } }
    },
  )
}
