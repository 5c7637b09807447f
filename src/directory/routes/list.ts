import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { Static, TObject, TSchema } from '@sinclair/typebox'
import type { Queries } from '../../store/queries/index.js'
import type { Seek } from '../../store/queries/page.js'
import { CursorCodec } from '../../wire/cursor.js'
import { ListCursors } from '../../wire/pagination.js'
import type { DirectoryContext } from '../context.js'
import type { Filters, PresentedPage } from '../read.js'
import { listOf } from '../schemas/unified.js'

type DirectoryApp = Parameters<FastifyPluginAsyncTypebox<DirectoryContext>>[0]

/** What every directory list query carries beside its `Filters` (`Limit` and `Cursor` in schemas/unified.ts). */
interface PageParams {
  limit?: number
  cursor?: string
}

const DEFAULT_LIMIT = 100

/**
 * One directory list, declared: `GET path` taking `query` and answering `{result, next_cursor}` of `item`, a
 * forward keyset page at a time. `read` reads one page and presents it in one read transaction; `key` is the
 * column the list is sought by.
 */
export interface DirectoryList<Q extends TObject, I extends TSchema, R> {
  path: string
  /** Signs the list's cursors: a cursor from one list is refused by another. */
  name: string
  query: Q
  item: I
  read: (q: Queries, filters: Filters<Static<Q>>, seek: Seek<string>) => Promise<PresentedPage<R, Static<I>>>
  /** Declared after `read`, which its row type is inferred from. */
  key: (row: R) => string
}

/** Registers a directory list: the cursors (`cursor` in the query, 422 on one the list did not issue) and the answer. */
export function listRoute<Q extends TObject, I extends TSchema, R>(app: DirectoryApp, ctx: DirectoryContext, list: DirectoryList<Q, I, R>) {
  const cursors = new ListCursors(new CursorCodec(ctx.store.secret), {
    name: list.name,
    field: 'cursor',
    keyOf: (row: R) => [list.key(row)],
    width: 1,
  })
  app.get(list.path, { schema: { querystring: list.query, response: { 200: listOf(list.item) } } }, async (req) => {
    const { limit = DEFAULT_LIMIT, cursor, ...filters } = req.query as Static<Q> & PageParams
    const seek = cursors.seek(cursor, limit)
    const page = await ctx.store.read((q) => list.read(q, filters as Filters<Static<Q>>, seek))
    return { result: page.result, next_cursor: cursors.around(seek, page).next }
  })
}
