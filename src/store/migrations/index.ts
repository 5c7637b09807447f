import type { Migration, MigrationProvider } from 'kysely'
import * as iam from './0001-iam.js'

/** Numbered migrations, shared by every dialect. Append only. */
const migrations: Record<string, Migration> = {
  '0001-iam': iam,
}

export const migrationProvider: MigrationProvider = {
  getMigrations: async () => migrations,
}
