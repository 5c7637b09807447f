import { newId } from '../ids.js'
import type { Queries } from '../store/queries/index.js'

/** The security log's entries, each with where it came from. Never a password, session or link secret. */
export type AccountEventType =
  | 'sign_in'
  | 'sign_in_failed'
  | 'sign_out'
  | 'session_revoked'
  | 'password_changed'
  | 'name_changed'
  | 'password_reset_requested'
  | 'link_used'
  | 'instance_admin_added'
  | 'instance_admin_removed'
  | 'mfa_enabled'
  | 'mfa_disabled'
  | 'mfa_verified'
  | 'mfa_failed'
  | 'mfa_recovery_codes_regenerated'
  | 'mfa_reset'
  | 'security_code_sent'
  | 'token_created'
  | 'outbox_message_read'
  | 'outbox_message_retried'

/** Where a request came from, as the session list and the security log show it. */
export interface Client {
  ip: string | null
  userAgent: string | null
}

/** The instance admin who acted on someone else's account, as their security log names them. */
export interface ActedBy extends Record<string, string> {
  by: string
  byAccountId: string
}

/** An operator's change (CLI, operator API): no browser behind it. */
export const OPERATOR_CLIENT: Client = { ip: null, userAgent: null }

/** Records an entry in the caller's transaction, so the log matches what changed. */
export async function recordEvent(
  q: Queries,
  accountId: string,
  type: AccountEventType,
  client: Client,
  at: string,
  detail?: Record<string, string | number | boolean>,
): Promise<void> {
  await q.accounts.insertEvent({
    id: newId(),
    account_id: accountId,
    type,
    ip: client.ip,
    user_agent: client.userAgent,
    detail: detail === undefined ? null : JSON.stringify(detail),
    created_at: at,
  })
}
