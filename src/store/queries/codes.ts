import type { Kysely, Selectable } from 'kysely'
import type { AccountCodeTable, Database } from '../tables.js'

export type CodeRow = Selectable<AccountCodeTable>

/** Emailed security codes (account_codes): single-use, short-lived, a few attempts each. */
export function codeQueries(db: Kysely<Database>) {
  return {
    async insert(row: Omit<CodeRow, 'attempts'>): Promise<void> {
      await db.insertInto('account_codes').values(row).execute()
    },
    find(id: string): Promise<CodeRow | undefined> {
      return db.selectFrom('account_codes').selectAll().where('id', '=', id).executeTakeFirst()
    },
    /**
     * Spends one attempt on a live code: only while it is unused, unexpired and under `maxAttempts`, so
     * concurrent guesses cannot spend more than the code allows. True when an attempt was spent.
     */
    async spendAttempt(id: string, maxAttempts: number, at: string): Promise<boolean> {
      const res = await db
        .updateTable('account_codes')
        .set((eb) => ({ attempts: eb('attempts', '+', 1) }))
        .where('id', '=', id)
        .where('used_at', 'is', null)
        .where('expires_at', '>', at)
        .where('attempts', '<', maxAttempts)
        .executeTakeFirst()
      return Number(res.numUpdatedRows) > 0
    },
    /** Marks the code used, once: false when another request used it first. */
    async use(id: string, at: string): Promise<boolean> {
      const res = await db
        .updateTable('account_codes')
        .set({ used_at: at })
        .where('id', '=', id)
        .where('used_at', 'is', null)
        .executeTakeFirst()
      return Number(res.numUpdatedRows) > 0
    },
    /** Forgets the account's codes of this purpose that ended before `before` (used or expired), so the table stays small. */
    async prune(accountId: string, purpose: CodeRow['purpose'], before: string): Promise<void> {
      await db
        .deleteFrom('account_codes')
        .where('account_id', '=', accountId)
        .where('purpose', '=', purpose)
        .where('expires_at', '<', before)
        .execute()
    },
  }
}
