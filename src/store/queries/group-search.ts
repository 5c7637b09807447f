import { type Kysely, sql } from 'kysely'
import type { Database } from '../tables.js'
import type { GroupRow } from './groups.js'
import { type Rows, type Seek, seekPage } from './page.js'
import { containsPattern } from './text-match.js'

/** The console's group list: a workspace's groups narrowed by a part of their name. */
export function groupSearchQueries(db: Kysely<Database>) {
  const matching = (workspaceId: string, search: string | undefined) => {
    let q = db
      .selectFrom('user_groups')
      .select(['id', 'workspace_id', 'name', 'name_key', 'created_at', 'member_count', 'invite_count'])
      .where('workspace_id', '=', workspaceId)
    // name_key is the lower-cased name, so one LIKE serves both stores (PostgreSQL's LIKE is case-sensitive).
    if (search !== undefined) q = q.where(sql<boolean>`name_key like ${containsPattern(search)} escape '\\'`)
    return q
  }
  return {
    /** A keyset page in id order, as the Public API lists groups. */
    list(workspaceId: string, search: string | undefined, seek: Seek): Promise<Rows<GroupRow>> {
      return seekPage(matching(workspaceId, search), 'id', seek)
    },
    async count(workspaceId: string, search: string | undefined): Promise<number> {
      const row = await matching(workspaceId, search)
        .clearSelect()
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow()
      return Number(row.n)
    },
  }
}
