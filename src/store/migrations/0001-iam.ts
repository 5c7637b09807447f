import type { Kysely, Migration } from 'kysely'
import type { Dialect } from './index.js'
import { keyType } from './types.js'

// Types are the dialect-neutral subset (text, integer): SQLite and PostgreSQL run the same migration.
// Timestamps are ISO-8601 UTC text with milliseconds, which sorts correctly as text.
export function iamMigration(dialect: Dialect): Migration {
  const key = keyType(dialect)
  return {
    up: async (db: Kysely<unknown>) => {
      await db.schema
        .createTable('meta')
        .addColumn('key', 'text', (c) => c.primaryKey())
        .addColumn('value', 'text', (c) => c.notNull())
        .execute()

      await db.schema
        .createTable('workspaces')
        .addColumn('id', key, (c) => c.primaryKey())
        .addColumn('slug', 'text', (c) => c.notNull().unique())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('plan', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        // Row counts kept by the queries that add and remove rows, in the same transaction, as deltas
        // (safe under concurrent writers): COUNT(*) over 100,000 users costs ~2 ms, a column read nothing.
        .addColumn('user_count', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('invite_count', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('group_count', 'integer', (c) => c.notNull().defaultTo(0))
        .execute()

      await db.schema
        .createTable('api_tokens')
        .addColumn('id', key, (c) => c.primaryKey())
        .addColumn('workspace_id', key, (c) => c.notNull().references('workspaces.id').onDelete('cascade'))
        .addColumn('description', 'text', (c) => c.notNull())
        .addColumn('role', 'text', (c) => c.notNull())
        .addColumn('secret_hash', 'text', (c) => c.notNull().unique())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('revoked_at', 'text')
        .execute()
      await db.schema.createIndex('api_tokens_workspace').on('api_tokens').columns(['workspace_id', 'id']).execute()

      for (const table of ['users', 'invites'] as const) {
        await db.schema
          .createTable(table)
          .addColumn('id', key, (c) => c.primaryKey())
          .addColumn('workspace_id', key, (c) => c.notNull().references('workspaces.id').onDelete('cascade'))
          .addColumn('email', 'text', (c) => c.notNull())
          .addColumn('email_key', 'text', (c) => c.notNull())
          .$call((t) => (table === 'users' ? t.addColumn('name', 'text', (c) => c.notNull()) : t))
          .addColumn('created_at', 'text', (c) => c.notNull())
          .addUniqueConstraint(`${table}_workspace_email`, ['workspace_id', 'email_key'])
          .execute()
        // Keyset pagination seeks on (workspace_id, id): a page 99,000 rows deep costs what page 1 costs.
        await db.schema.createIndex(`${table}_workspace_id`).on(table).columns(['workspace_id', 'id']).execute()
      }

      await db.schema
        .createTable('user_groups')
        .addColumn('id', key, (c) => c.primaryKey())
        .addColumn('workspace_id', key, (c) => c.notNull().references('workspaces.id').onDelete('cascade'))
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('name_key', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('member_count', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('invite_count', 'integer', (c) => c.notNull().defaultTo(0))
        .addUniqueConstraint('user_groups_workspace_name', ['workspace_id', 'name_key'])
        .execute()
      await db.schema.createIndex('user_groups_workspace_id').on('user_groups').columns(['workspace_id', 'id']).execute()

      await db.schema
        .createTable('group_members')
        .addColumn('group_id', key, (c) => c.notNull().references('user_groups.id').onDelete('cascade'))
        .addColumn('user_id', key, (c) => c.notNull().references('users.id').onDelete('cascade'))
        .addColumn('workspace_id', key, (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('group_members_pk', ['group_id', 'user_id'])
        .execute()
      await db.schema.createIndex('group_members_user').on('group_members').columns(['user_id', 'group_id']).execute()

      await db.schema
        .createTable('group_invites')
        .addColumn('group_id', key, (c) => c.notNull().references('user_groups.id').onDelete('cascade'))
        .addColumn('invite_id', key, (c) => c.notNull().references('invites.id').onDelete('cascade'))
        .addColumn('workspace_id', key, (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('group_invites_pk', ['group_id', 'invite_id'])
        .execute()
      await db.schema.createIndex('group_invites_invite').on('group_invites').columns(['invite_id', 'group_id']).execute()

      await db.schema
        .createTable('permissions')
        .addColumn('id', key, (c) => c.primaryKey())
        .addColumn('workspace_id', key, (c) => c.notNull().references('workspaces.id').onDelete('cascade'))
        .addColumn('subject_type', 'text', (c) => c.notNull())
        .addColumn('subject_id', key, (c) => c.notNull())
        .addColumn('role_id', key, (c) => c.notNull())
        .addColumn('resources', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute()
      await db.schema.createIndex('permissions_subject').on('permissions').columns(['subject_id', 'subject_type', 'id']).execute()
      await db.schema.createIndex('permissions_role').on('permissions').columns(['workspace_id', 'role_id']).execute()

      await db.schema
        .createTable('permission_labels')
        .addColumn('permission_id', key, (c) => c.notNull().references('permissions.id').onDelete('cascade'))
        .addColumn('workspace_id', key, (c) => c.notNull())
        .addColumn('label_key', 'text', (c) => c.notNull())
        .addColumn('label_value', 'text', (c) => c.notNull())
        .execute()
      await db.schema
        .createIndex('permission_labels_label')
        .on('permission_labels')
        .columns(['workspace_id', 'label_key', 'label_value'])
        .execute()
      await db.schema.createIndex('permission_labels_permission').on('permission_labels').column('permission_id').execute()

      await db.schema
        .createTable('labels')
        .addColumn('workspace_id', key, (c) => c.notNull().references('workspaces.id').onDelete('cascade'))
        .addColumn('key', 'text', (c) => c.notNull())
        .addColumn('value', 'text', (c) => c.notNull())
        .addColumn('description', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('labels_pk', ['workspace_id', 'key', 'value'])
        .execute()

      await db.schema
        .createTable('audit_events')
        .addColumn('id', key, (c) => c.primaryKey())
        .addColumn('workspace_id', key, (c) => c.notNull().references('workspaces.id').onDelete('cascade'))
        .addColumn('timestamp', key, (c) => c.notNull())
        .addColumn('type', 'text', (c) => c.notNull())
        .addColumn('actor', 'text', (c) => c.notNull())
        .addColumn('actor_email', 'text')
        .addColumn('resource_id', key, (c) => c.notNull())
        .addColumn('resource_type', 'text', (c) => c.notNull())
        .addColumn('resource_name', 'text', (c) => c.notNull())
        .execute()
      // Newest first, seeking on (timestamp, id); filters by resource use the second index.
      await db.schema.createIndex('audit_events_workspace_time').on('audit_events').columns(['workspace_id', 'timestamp', 'id']).execute()
      await db.schema
        .createIndex('audit_events_resource')
        .on('audit_events')
        .columns(['workspace_id', 'resource_id', 'timestamp', 'id'])
        .execute()
    },
  }
}
