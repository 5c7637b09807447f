import type { Migration, MigrationProvider } from 'kysely'
import { iamMigration } from './0001-iam.js'
import { directoryMigration } from './0002-directory.js'
import { rateLimitMigration } from './0003-rate-limits.js'
import { auditTypeIndexMigration } from './0004-audit-type-index.js'
import { syncWatermarkMigration } from './0005-sync-watermark.js'
import { oneRunningSyncMigration } from './0006-one-running-sync.js'
import { idempotencyLivenessMigration } from './0007-idempotency-liveness.js'
import { unloggedRateLimitsMigration } from './0008-unlogged-rate-limits.js'
import { accountsMigration } from './0009-accounts.js'
import { consoleMigration } from './0010-console.js'
import { roleHoldersIndexMigration } from './0011-role-holders-index.js'

export type Dialect = 'sqlite' | 'postgres'

/** Numbered migrations, shared by every dialect (the dialect is passed only where the engines differ). Append only. */
export function migrationProvider(dialect: Dialect): MigrationProvider {
  const migrations: Record<string, Migration> = {
    '0001-iam': iamMigration(dialect),
    '0002-directory': directoryMigration(dialect),
    '0003-rate-limits': rateLimitMigration,
    '0004-audit-type-index': auditTypeIndexMigration,
    '0005-sync-watermark': syncWatermarkMigration,
    '0006-one-running-sync': oneRunningSyncMigration,
    '0007-idempotency-liveness': idempotencyLivenessMigration,
    '0008-unlogged-rate-limits': unloggedRateLimitsMigration(dialect),
    '0009-accounts': accountsMigration(dialect),
    '0010-console': consoleMigration(dialect),
    '0011-role-holders-index': roleHoldersIndexMigration,
  }
  return { getMigrations: async () => migrations }
}
