import type { Kysely, Migration } from 'kysely'
import type { Dialect } from './index.js'
import { keyType } from './types.js'

/**
 * People: an account per normalised email, linked to that email's user rows in any workspace by `email_key`
 * (the wire's per-workspace users do not change). What is personal lives here: the password hash, sessions,
 * single-use links, the security log. Outgoing mail waits in the outbox, its body sealed (it holds links).
 */
export function accountsMigration(dialect: Dialect): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      const key = keyType(dialect)
      await db.schema
        .createTable('accounts')
        .addColumn('id', key, (c) => c.primaryKey())
        .addColumn('email', 'text', (c) => c.notNull())
        .addColumn('email_key', 'text', (c) => c.notNull().unique())
        .addColumn('name', 'text', (c) => c.notNull())
        // scrypt, self-describing (`scrypt$N$r$p$salt$hash`); null until the person sets one through a link.
        .addColumn('password_hash', 'text')
        .addColumn('password_changed_at', 'text')
        .addColumn('instance_admin', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .execute()

      // "Which workspaces is this person in": users by email alone (the unique index leads with the workspace).
      await db.schema.createIndex('users_email_key').on('users').column('email_key').execute()

      await db.schema
        .createTable('account_sessions')
        .addColumn('id', key, (c) => c.primaryKey())
        // SHA-256 of the cookie's secret: the store never holds a usable session.
        .addColumn('secret_hash', 'text', (c) => c.notNull().unique())
        .addColumn('account_id', key, (c) => c.notNull().references('accounts.id').onDelete('cascade'))
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('last_seen_at', 'text', (c) => c.notNull())
        .addColumn('expires_at', 'text', (c) => c.notNull())
        .addColumn('revoked_at', 'text')
        .addColumn('ip', 'text')
        .addColumn('user_agent', 'text')
        .execute()
      await db.schema.createIndex('account_sessions_account').on('account_sessions').columns(['account_id', 'created_at']).execute()

      await db.schema
        .createTable('account_links')
        .addColumn('id', key, (c) => c.primaryKey())
        .addColumn('secret_hash', 'text', (c) => c.notNull().unique())
        .addColumn('account_id', key, (c) => c.notNull().references('accounts.id').onDelete('cascade'))
        .addColumn('purpose', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('expires_at', 'text', (c) => c.notNull())
        .addColumn('used_at', 'text')
        .execute()
      await db.schema.createIndex('account_links_account').on('account_links').columns(['account_id', 'purpose']).execute()

      await db.schema
        .createTable('account_events')
        .addColumn('id', key, (c) => c.primaryKey())
        .addColumn('account_id', key, (c) => c.notNull().references('accounts.id').onDelete('cascade'))
        .addColumn('type', 'text', (c) => c.notNull())
        .addColumn('ip', 'text')
        .addColumn('user_agent', 'text')
        .addColumn('detail', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute()
      await db.schema.createIndex('account_events_account').on('account_events').columns(['account_id', 'created_at', 'id']).execute()

      await db.schema
        .createTable('outbox')
        .addColumn('id', key, (c) => c.primaryKey())
        .addColumn('to_address', 'text', (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('subject', 'text', (c) => c.notNull())
        // AES-256-GCM of `{text, html}`: messages carry single-use links and codes.
        .addColumn('body_sealed', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('next_attempt_at', 'text', (c) => c.notNull())
        .addColumn('last_error', 'text')
        .addColumn('owner', 'text')
        .addColumn('heartbeat_at', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('sent_at', 'text')
        .execute()
      await db.schema.createIndex('outbox_due').on('outbox').columns(['status', 'next_attempt_at']).execute()
      await db.schema.createIndex('outbox_created').on('outbox').columns(['created_at', 'id']).execute()
    },
  }
}
