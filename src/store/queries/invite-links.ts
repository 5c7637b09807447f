import { type Kysely, sql } from 'kysely'
import type { Database, InviteLinkTable } from '../tables.js'
import { inChunks } from './chunks.js'
import type { InviteRow } from './members.js'
import { type Rows, type Seek, seekPage } from './page.js'
import { containsPattern } from './text-match.js'

export type InviteLinkRow = InviteLinkTable

/** Invitation links (single-use, stored as SHA-256), the console's invite search and label usage. */
export function inviteLinkQueries(db: Kysely<Database>) {
  const invitesMatching = (workspaceId: string, search: string | undefined) => {
    let q = db.selectFrom('invites').selectAll().where('workspace_id', '=', workspaceId)
    // email_key is lower-case, so one LIKE serves both stores.
    if (search !== undefined) q = q.where(sql<boolean>`email_key like ${containsPattern(search)} escape '\\'`)
    return q
  }
  return {
    async insert(row: InviteLinkRow): Promise<void> {
      await db.insertInto('invite_links').values(row).execute()
    },
    findByHash(secretHash: string): Promise<InviteLinkRow | undefined> {
      return db.selectFrom('invite_links').selectAll().where('secret_hash', '=', secretHash).executeTakeFirst()
    },
    /** Marks the link used if it still may be (unused, unexpired); false when another request got there first. */
    async use(workspaceId: string, id: string, at: string): Promise<boolean> {
      const res = await db
        .updateTable('invite_links')
        .set({ used_at: at })
        .where('workspace_id', '=', workspaceId)
        .where('id', '=', id)
        .where('used_at', 'is', null)
        .where('expires_at', '>', at)
        .executeTakeFirst()
      return Number(res.numUpdatedRows) > 0
    },
    /** Ends the invite's live links (a newer one replaces them): they read as expired from now on. */
    async endOfInvite(workspaceId: string, inviteId: string, at: string): Promise<void> {
      await db
        .updateTable('invite_links')
        .set({ expires_at: at })
        .where('workspace_id', '=', workspaceId)
        .where('invite_id', '=', inviteId)
        .where('used_at', 'is', null)
        .where('expires_at', '>', at)
        .execute()
    },
    /** The newest link of each invite (by creation), for the pending list. */
    async newestOfInvites(workspaceId: string, inviteIds: readonly string[]): Promise<Map<string, InviteLinkRow>> {
      const rows = await inChunks(inviteIds, (c) =>
        db.selectFrom('invite_links').selectAll().where('workspace_id', '=', workspaceId).where('invite_id', 'in', c).execute(),
      )
      const newest = new Map<string, InviteLinkRow>()
      for (const row of rows) {
        const seen = newest.get(row.invite_id)
        if (!seen || seen.created_at < row.created_at || (seen.created_at === row.created_at && seen.id < row.id))
          newest.set(row.invite_id, row)
      }
      return newest
    },
    /** A keyset page of the workspace's pending invites whose email contains `search`, in id order. */
    searchInvites(workspaceId: string, search: string | undefined, seek: Seek): Promise<Rows<InviteRow>> {
      return seekPage(invitesMatching(workspaceId, search), 'id', seek)
    },
    async countInvites(workspaceId: string, search: string | undefined): Promise<number> {
      const row = await invitesMatching(workspaceId, search)
        .clearSelect()
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow()
      return Number(row.n)
    },
    /** How many permissions each label narrows ("where used"). */
    async labelUsage(workspaceId: string): Promise<Map<string, number>> {
      const rows = await db
        .selectFrom('permission_labels')
        .select(['label_key', 'label_value', (eb) => eb.fn.count<number>('permission_id').as('n')])
        .where('workspace_id', '=', workspaceId)
        .groupBy(['label_key', 'label_value'])
        .execute()
      return new Map(rows.map((r) => [`${r.label_key}:${r.label_value}`, Number(r.n)]))
    },
  }
}
