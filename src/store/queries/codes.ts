import type { Kysely, Selectable } from 'kysely'
import type { AccountCodeTable, Database } from '../tables.js'

export type CodeRow = Selectable<AccountCodeTable>

/** Emailed security codes (account_codes): single-use, short-lived, a few attempts each, for one workspace. */
export function codeQueries(db: Kysely<Database>) {
  const live = (workspaceId: string, id: string) =>
    db.updateTable('account_codes').where('workspace_id', '=', workspaceId).where('id', '=', id).where('used_at', 'is', null)
  return {
    async insert(row: Omit<CodeRow, 'attempts'>): Promise<void> {
      await db.insertInto('account_codes').values(row).execute()
    },
    find(workspaceId: string, id: string): Promise<CodeRow | undefined> {
      return db.selectFrom('account_codes').selectAll().where('workspace_id', '=', workspaceId).where('id', '=', id).executeTakeFirst()
    },
    /**
     * Spends one attempt on a live code: only while it is unused, unexpired and under `maxAttempts`, so
     * concurrent guesses cannot spend more than the code allows. True when an attempt was spent.
     */
    async spendAttempt(workspaceId: string, id: string, maxAttempts: number, at: string): Promise<boolean> {
      const res = await live(workspaceId, id)
        .set((eb) => ({ attempts: eb('attempts', '+', 1) }))
        .where('expires_at', '>', at)
        .where('attempts', '<', maxAttempts)
        .executeTakeFirst()
      return Number(res.numUpdatedRows) > 0
    },
    /** Marks the code used, once: false when another request used it first. */
    async use(workspaceId: string, id: string, at: string): Promise<boolean> {
      const res = await live(workspaceId, id).set({ used_at: at }).executeTakeFirst()
      return Number(res.numUpdatedRows) > 0
    },
    /** Forgets the account's codes of this purpose in the workspace that ended before `before` (used or expired), so the table stays small. */
    async prune(workspaceId: string, accountId: string, purpose: CodeRow['purpose'], before: string): Promise<void> {
      await db
        .deleteFrom('account_codes')
        .where('workspace_id', '=', workspaceId)
        .where('account_id', '=', accountId)
        .where('purpose', '=', purpose)
        .where('expires_at', '<', before)
        .execute()
    },
  }
}
