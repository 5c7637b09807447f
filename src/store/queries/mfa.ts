import type { Kysely } from 'kysely'
import type { AccountRecoveryCodeTable, Database } from '../tables.js'

/** An account's MFA as stored: the sealed TOTP secret (pending until enabled) and its last used time step. */
export interface TotpRow {
  totp_secret_sealed: string | null
  totp_enabled_at: string | null
  totp_last_step: number | null
}

/** TOTP secrets, recovery codes, a session's MFA time and a workspace's Require MFA. */
export function mfaQueries(db: Kysely<Database>) {
  return {
    totp(accountId: string): Promise<TotpRow | undefined> {
      return db
        .selectFrom('accounts')
        .select(['totp_secret_sealed', 'totp_enabled_at', 'totp_last_step'])
        .where('id', '=', accountId)
        .executeTakeFirst()
    },
    /** Replaces the account's TOTP state (a pending secret, an enabled one, or none at all). */
    async setTotp(accountId: string, row: TotpRow, at: string): Promise<void> {
      await db
        .updateTable('accounts')
        .set({ ...row, updated_at: at })
        .where('id', '=', accountId)
        .execute()
    },
    /**
     * Takes a TOTP time step as used if it is later than the last one used; false when it is not (a replayed
     * code, or a concurrent request that used the same one first).
     */
    async takeStep(accountId: string, step: number): Promise<boolean> {
      const res = await db
        .updateTable('accounts')
        .set({ totp_last_step: step })
        .where('id', '=', accountId)
        .where('totp_enabled_at', 'is not', null)
        .where((eb) => eb.or([eb('totp_last_step', 'is', null), eb('totp_last_step', '<', step)]))
        .executeTakeFirst()
      return Number(res.numUpdatedRows) > 0
    },

    /** Replaces every recovery code of the account with these (hashed) ones. */
    async replaceRecoveryCodes(accountId: string, rows: AccountRecoveryCodeTable[]): Promise<void> {
      await db.deleteFrom('account_recovery_codes').where('account_id', '=', accountId).execute()
      if (rows.length > 0) await db.insertInto('account_recovery_codes').values(rows).execute()
    },
    /** Uses the unused code with this hash; false when there is none (wrong, or used already). */
    async spendRecoveryCode(accountId: string, codeHash: string, at: string): Promise<boolean> {
      const res = await db
        .updateTable('account_recovery_codes')
        .set({ used_at: at })
        .where('account_id', '=', accountId)
        .where('code_hash', '=', codeHash)
        .where('used_at', 'is', null)
        .executeTakeFirst()
      return Number(res.numUpdatedRows) > 0
    },
    async recoveryCodesLeft(accountId: string): Promise<number> {
      const row = await db
        .selectFrom('account_recovery_codes')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('account_id', '=', accountId)
        .where('used_at', 'is', null)
        .executeTakeFirstOrThrow()
      return Number(row.n)
    },

    async sessionMfaAt(sessionId: string): Promise<string | null> {
      const row = await db.selectFrom('account_sessions').select('mfa_at').where('id', '=', sessionId).executeTakeFirst()
      return row?.mfa_at ?? null
    },
    async markSession(sessionId: string, at: string): Promise<void> {
      await db.updateTable('account_sessions').set({ mfa_at: at }).where('id', '=', sessionId).execute()
    },

    async requireMfa(workspaceId: string): Promise<boolean> {
      const row = await db.selectFrom('workspaces').select('require_mfa').where('id', '=', workspaceId).executeTakeFirst()
      return row?.require_mfa === 1
    },
    async setRequireMfa(workspaceId: string, on: boolean): Promise<void> {
      await db
        .updateTable('workspaces')
        .set({ require_mfa: on ? 1 : 0 })
        .where('id', '=', workspaceId)
        .execute()
    },
  }
}
