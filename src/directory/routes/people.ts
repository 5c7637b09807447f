import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import type { DirectoryContext } from '../context.js'
import { getPerson, listPeople } from '../read.js'
import { PersonSchema, UserListQuery, UserStatus } from '../schemas/unified.js'
import { listRoute } from './list.js'

/**
 * People: one per lower-cased email, with every workspace account they hold and their roles and groups in
 * each — the cross-workspace view. Keyset on the email; live accounts (active, invited) unless `status` says.
 */
export const peopleRoutes: FastifyPluginAsyncTypebox<DirectoryContext> = async (app, ctx) => {
  listRoute(app, ctx, {
    path: '/people',
    name: 'directory/people',
    query: UserListQuery,
    item: PersonSchema,
    read: listPeople,
    key: (emailKey) => emailKey,
  })

  app.get(
    '/people/:email',
    {
      schema: {
        params: Type.Object({ email: Type.String({ minLength: 1, maxLength: 254 }) }),
        querystring: Type.Object({ status: Type.Optional(UserStatus) }, { additionalProperties: false }),
        response: { 200: PersonSchema },
      },
    },
    async (req) => ctx.store.read((q) => getPerson(q, req.params.email, req.query.status)),
  )
}
