import { type Kysely, type Migration, sql } from 'kysely'
import type { Dialect } from './index.js'
import { keyType } from './types.js'

/**
 * The directory: connections to remote workspaces, their synced users, groups, memberships and roles,
 * sync runs, the change feed, API keys and idempotency records. Remote objects are kept as JSON text.
 */
export function directoryMigration(dialect: Dialect): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      const key = keyType(dialect)
      await db.schema
        .createTable('dir_api_keys')
        .addColumn('id', key, (c) => c.primaryKey())
        .addColumn('description', 'text', (c) => c.notNull())
        .addColumn('secret_hash', 'text', (c) => c.notNull().unique())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('revoked_at', 'text')
        .execute()

      await db.schema
        .createTable('dir_connections')
        .addColumn('id', key, (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('base_url', 'text', (c) => c.notNull())
        // AES-256-GCM: iv, tag and ciphertext, base64url, joined by dots. Never the token in clear.
        .addColumn('token_ciphertext', 'text', (c) => c.notNull())
        .addColumn('remote_workspace_id', key, (c) => c.notNull())
        .addColumn('remote_workspace_slug', 'text', (c) => c.notNull())
        .addColumn('remote_workspace_name', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('status_detail', 'text')
        .addColumn('groups_supported', 'integer', (c) => c.notNull().defaultTo(1))
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .addColumn('last_sync_run_id', key)
        .addColumn('last_complete_sync_at', 'text')
        .addColumn('next_sync_at', 'text')
        .addUniqueConstraint('dir_connections_remote', ['base_url', 'remote_workspace_id'])
        .execute()

      await db.schema
        .createTable('dir_users')
        .addColumn('id', key, (c) => c.primaryKey())
        .addColumn('connection_id', key, (c) => c.notNull().references('dir_connections.id').onDelete('cascade'))
        .addColumn('remote_id', key)
        .addColumn('email', 'text', (c) => c.notNull())
        .addColumn('email_key', 'text', (c) => c.notNull())
        .addColumn('name', 'text')
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('roles', 'text', (c) => c.notNull())
        .addColumn('remote_data', 'text', (c) => c.notNull())
        // Hash of the normalised record: a sync rewrites a row only when this changes.
        .addColumn('fingerprint', 'text', (c) => c.notNull())
        .addColumn('first_seen_at', 'text', (c) => c.notNull())
        .addColumn('last_seen_at', 'text', (c) => c.notNull())
        .addColumn('last_changed_at', 'text', (c) => c.notNull())
        .addColumn('deleted_at', 'text')
        // One account per (connection, email): an invite that becomes a member keeps its row and id.
        .addUniqueConstraint('dir_users_account', ['connection_id', 'email_key'])
        .execute()
      await db.schema.createIndex('dir_users_email').on('dir_users').columns(['email_key', 'id']).execute()
      await db.schema.createIndex('dir_users_connection_id').on('dir_users').columns(['connection_id', 'id']).execute()

      await db.schema
        .createTable('dir_groups')
        .addColumn('id', key, (c) => c.primaryKey())
        .addColumn('connection_id', key, (c) => c.notNull().references('dir_connections.id').onDelete('cascade'))
        .addColumn('remote_id', key, (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('member_count', 'integer', (c) => c.notNull())
        .addColumn('roles', 'text', (c) => c.notNull())
        .addColumn('remote_data', 'text', (c) => c.notNull())
        .addColumn('fingerprint', 'text', (c) => c.notNull())
        .addColumn('first_seen_at', 'text', (c) => c.notNull())
        .addColumn('last_seen_at', 'text', (c) => c.notNull())
        .addColumn('deleted_at', 'text')
        .addUniqueConstraint('dir_groups_remote', ['connection_id', 'remote_id'])
        .execute()
      await db.schema.createIndex('dir_groups_connection_id').on('dir_groups').columns(['connection_id', 'id']).execute()

      await db.schema
        .createTable('dir_memberships')
        .addColumn('group_id', key, (c) => c.notNull().references('dir_groups.id').onDelete('cascade'))
        .addColumn('user_id', key, (c) => c.notNull().references('dir_users.id').onDelete('cascade'))
        .addColumn('connection_id', key, (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('dir_memberships_pk', ['group_id', 'user_id'])
        .execute()
      await db.schema.createIndex('dir_memberships_user').on('dir_memberships').columns(['user_id', 'group_id']).execute()

      await db.schema
        .createTable('dir_roles')
        .addColumn('id', key, (c) => c.primaryKey())
        .addColumn('connection_id', key, (c) => c.notNull().references('dir_connections.id').onDelete('cascade'))
        .addColumn('remote_id', key, (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('description', 'text', (c) => c.notNull())
        .addColumn('remote_data', 'text', (c) => c.notNull())
        .addColumn('fingerprint', 'text', (c) => c.notNull())
        .addColumn('first_seen_at', 'text', (c) => c.notNull())
        .addColumn('last_seen_at', 'text', (c) => c.notNull())
        .addColumn('deleted_at', 'text')
        .addUniqueConstraint('dir_roles_remote', ['connection_id', 'remote_id'])
        .execute()

      await db.schema
        .createTable('dir_sync_runs')
        .addColumn('id', key, (c) => c.primaryKey())
        .addColumn('connection_id', key, (c) => c.notNull().references('dir_connections.id').onDelete('cascade'))
        // running | succeeded | failed | held (deletions awaiting approval)
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('trigger', 'text', (c) => c.notNull())
        .addColumn('complete', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('stats', 'text', (c) => c.notNull())
        .addColumn('pending_deletions', 'text')
        .addColumn('error', 'text')
        .addColumn('owner', 'text')
        .addColumn('heartbeat_at', 'text')
        .addColumn('started_at', 'text', (c) => c.notNull())
        .addColumn('finished_at', 'text')
        .execute()
      await db.schema.createIndex('dir_sync_runs_connection').on('dir_sync_runs').columns(['connection_id', 'id']).execute()

      // The change feed must be totally ordered: a sequence, which is where the dialects differ.
      await db.schema
        .createTable('dir_events')
        .addColumn('seq', dialect === 'postgres' ? sql`bigint generated always as identity primary key` : 'integer', (c) =>
          dialect === 'postgres' ? c : c.primaryKey().autoIncrement(),
        )
        .addColumn('id', key, (c) => c.notNull().unique())
        .addColumn('type', 'text', (c) => c.notNull())
        .addColumn('connection_id', key, (c) => c.notNull())
        .addColumn('subject_id', key, (c) => c.notNull())
        .addColumn('sync_run_id', key)
        .addColumn('data', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute()

      await db.schema
        .createTable('dir_idempotency')
        .addColumn('key', 'text', (c) => c.notNull())
        .addColumn('api_key_id', key, (c) => c.notNull())
        .addColumn('request_hash', 'text', (c) => c.notNull())
        .addColumn('status', 'integer', (c) => c.notNull())
        .addColumn('response', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('dir_idempotency_pk', ['api_key_id', 'key'])
        .execute()
    },
  }
}
