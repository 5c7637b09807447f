import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import type { DirectoryContext } from '../context.js'
import { getPerson, ListCursors, listPeople } from '../read.js'
import { listOf, PersonSchema, UserListQuery, UserStatus } from '../schemas/unified.js'

const LIST = 'directory/people'

/**
 * People: one per lower-cased email, with every workspace account they hold and their roles and groups in
 * each — the cross-workspace view. Keyset on the email; live accounts (active, invited) unless `status` says.
 */
export const peopleRoutes: FastifyPluginAsyncTypebox<DirectoryContext> = async (app, ctx) => {
  const cursors = new ListCursors(ctx.store.secret)

  app.get('/people', { schema: { querystring: UserListQuery, response: { 200: listOf(PersonSchema) } } }, async (req) => {
    const { limit = 100, cursor, ...filters } = req.query
    const after = cursors.after(LIST, cursor)
    const page = await ctx.store.read((q) => listPeople(q, filters, { after, limit }))
    return { result: page.people, next_cursor: cursors.next(LIST, page.rows, (key) => key) }
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
