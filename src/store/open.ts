import { randomBytes } from 'node:crypto'
import { Migrator, sql } from 'kysely'
import { openPostgres } from './dialects/postgres.js'
import { openSqlite } from './dialects/sqlite.js'
import { migrationProvider } from './migrations/index.js'
import { createStore, type DialectHandle, type Store } from './store.js'

/** SQLite (the embedded default) or PostgreSQL (several replicas on one database). */
export type StoreConfig = { sqliteFile: string } | { postgresUrl: string; schema?: string; poolSize?: number; statementTimeoutMs?: number }

/**
 * `auto`: apply pending migrations on open (SQLite: one process owns its file). `require-current`: refuse
 * to open a schema that is behind (PostgreSQL: replicas must not race a migration; run `gatehouse migrate`).
 */
export type MigrationPolicy = 'auto' | 'require-current'

export class SchemaBehindError extends Error {}

/** Opens the store, checks or brings its schema up to date, and loads the per-database secret. */
export async function openStore(config: StoreConfig, policy: MigrationPolicy = 'auto'): Promise<Store> {
  const handle =
    'sqliteFile' in config
      ? openSqlite({ file: config.sqliteFile })
      : openPostgres({
          url: config.postgresUrl,
          ...(config.schema ? { schema: config.schema } : {}),
          ...(config.poolSize ? { poolSize: config.poolSize } : {}),
          ...(config.statementTimeoutMs ? { statementTimeoutMs: config.statementTimeoutMs } : {}),
        })
  try {
    if (policy === 'auto') await migrate(handle)
    else {
      const pending = await pendingMigrations(handle)
      if (pending.length > 0)
        throw new SchemaBehindError(
          `The database schema is behind this Gatehouse (pending: ${pending.join(', ')}). Run \`gatehouse migrate --database-url …\` first.`,
        )
    }
    return createStore(handle, await loadSecret(handle))
  } catch (error) {
    await handle.destroy()
    throw error
  }
}

/** Applies every pending migration; returns the names applied. */
export async function migrateStore(config: StoreConfig): Promise<string[]> {
  const handle = 'sqliteFile' in config ? openSqlite({ file: config.sqliteFile }) : openPostgres({ url: config.postgresUrl })
  try {
    return await migrate(handle)
  } finally {
    await handle.destroy()
  }
}

async function pendingMigrations(handle: DialectHandle): Promise<string[]> {
  const all = await (await migrator(handle)).getMigrations()
  return all.filter((m) => m.executedAt === undefined).map((m) => m.name)
}

async function migrate(handle: DialectHandle): Promise<string[]> {
  const { error, results } = await (await migrator(handle)).migrateToLatest()
  if (error) throw error
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName)
}

async function migrator(handle: DialectHandle): Promise<Migrator> {
  // Kysely looks for its bookkeeping tables in every schema; name ours, or a second Gatehouse schema in
  // the same PostgreSQL database (tests, staging beside production) would be mistaken for this one.
  const schema =
    handle.name === 'postgres'
      ? (await sql<{ schema: string }>`select current_schema() as schema`.execute(handle.db)).rows[0]?.schema
      : undefined
  return new Migrator({
    db: handle.db,
    provider: migrationProvider(handle.name),
    ...(schema ? { migrationTableSchema: schema } : {}),
  })
}

async function loadSecret(handle: DialectHandle): Promise<string> {
  return handle.transaction(async (trx) => {
    const row = await trx.selectFrom('meta').select('value').where('key', '=', 'secret').executeTakeFirst()
    if (row) return row.value
    const value = randomBytes(32).toString('base64url')
    await trx.insertInto('meta').values({ key: 'secret', value }).execute()
    return value
  })
}
