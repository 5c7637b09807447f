import type { Kysely, Migration } from 'kysely'
import type { Dialect } from './index.js'
import { keyType } from './types.js'

/**
 * What the console's workspace pages stand on: invitation links (an invitee has no account yet, so these are
 * not account links), workspace settings (contacts, Require MFA), token bookkeeping (who made it, when it was
 * last used), emailed security codes, and MFA (a sealed TOTP secret, hashed recovery codes, and the moment a
 * session passed MFA: the assurance a workspace's Require MFA is checked against).
 */
export function consoleMigration(dialect: Dialect): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      const key = keyType(dialect)
      await db.schema
        .createTable('invite_links')
        .addColumn('id', key, (c) => c.primaryKey())
        .addColumn('secret_hash', 'text', (c) => c.notNull().unique())
        .addColumn('workspace_id', key, (c) => c.notNull().references('workspaces.id').onDelete('cascade'))
        // No foreign key: accepting or revoking deletes the invite, and its link must still say what became of it.
        .addColumn('invite_id', key, (c) => c.notNull())
        .addColumn('email_key', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('expires_at', 'text', (c) => c.notNull())
        .addColumn('used_at', 'text')
        .execute()
      await db.schema.createIndex('invite_links_invite').on('invite_links').columns(['workspace_id', 'invite_id']).execute()

      // JSON arrays of email addresses.
      await db.schema
        .alterTable('workspaces')
        .addColumn('billing_contacts', 'text', (c) => c.notNull().defaultTo('[]'))
        .execute()
      await db.schema
        .alterTable('workspaces')
        .addColumn('incident_contacts', 'text', (c) => c.notNull().defaultTo('[]'))
        .execute()
      await db.schema
        .alterTable('workspaces')
        .addColumn('require_mfa', 'integer', (c) => c.notNull().defaultTo(0))
        .execute()

      // Who made the token (an email, or null for the admin key and the CLI); last use, written at most once a minute.
      await db.schema.alterTable('api_tokens').addColumn('created_by', 'text').execute()
      await db.schema.alterTable('api_tokens').addColumn('last_used_at', 'text').execute()

      await db.schema
        .createTable('account_codes')
        .addColumn('id', key, (c) => c.primaryKey())
        .addColumn('account_id', key, (c) => c.notNull().references('accounts.id').onDelete('cascade'))
        .addColumn('workspace_id', key, (c) => c.notNull().references('workspaces.id').onDelete('cascade'))
        .addColumn('purpose', 'text', (c) => c.notNull())
        // HMAC of the code with the server's secret: six digits would fall to a plain hash at once.
        .addColumn('code_hash', 'text', (c) => c.notNull())
        .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('expires_at', 'text', (c) => c.notNull())
        .addColumn('used_at', 'text')
        .execute()
      await db.schema.createIndex('account_codes_account').on('account_codes').columns(['account_id', 'purpose']).execute()

      // AES-256-GCM sealed TOTP secret; enabled once a first code confirms it; the last time step used (no replay).
      await db.schema.alterTable('accounts').addColumn('totp_secret_sealed', 'text').execute()
      await db.schema.alterTable('accounts').addColumn('totp_enabled_at', 'text').execute()
      await db.schema.alterTable('accounts').addColumn('totp_last_step', 'integer').execute()

      await db.schema
        .createTable('account_recovery_codes')
        .addColumn('id', key, (c) => c.primaryKey())
        .addColumn('account_id', key, (c) => c.notNull().references('accounts.id').onDelete('cascade'))
        .addColumn('code_hash', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('used_at', 'text')
        .execute()
      await db.schema.createIndex('account_recovery_codes_account').on('account_recovery_codes').column('account_id').execute()

      // When this session passed MFA (a TOTP or recovery code at sign-in, or enrolment); null: password only.
      await db.schema.alterTable('account_sessions').addColumn('mfa_at', 'text').execute()

      // The console's Audit Trail filters by event type: a rare type is found by seeking, not by reading every event.
      await db.schema
        .createIndex('audit_events_event_type')
        .on('audit_events')
        .columns(['workspace_id', 'type', 'timestamp', 'id'])
        .execute()
    },
  }
}
