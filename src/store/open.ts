import { randomBytes } from 'node:crypto'
import { Migrator, sql } from 'kysely'
import { openPostgres } from './dialects/postgres.js'
import { openSqlite } from './dialects/sqlite.js'
import { migrationProvider } from './migrations/index.js'
import { createStore, type DialectHandle, type Store } from './store.js'

/** SQLite (the embedded default) or PostgreSQL (several replicas on one database). */
export type StoreConfig = { sqliteFile: string } | { postgresUrl: string; schema?: string; poolSize?: number; statementTimeoutMs?: number }

/** Opens the store, brings its schema up to date and loads the per-database secret. */
export async function openStore(config: StoreConfig): Promise<Store> {
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
    await migrate(handle)
    return createStore(handle, await loadSecret(handle))
  } catch (error) {
    await handle.destroy()
    throw error
  }
}

async function migrate(handle: DialectHandle): Promise<void> {
  // Kysely looks for its bookkeeping tables in every schema; name ours, or a second Gatehouse schema in
  // the same PostgreSQL database (tests, staging beside production) would be mistaken for this one.
  const schema =
    handle.name === 'postgres' ? (await sql<{ schema: string }>`select current_schema() as schema`.execute(handle.db)).rows[0]?.schema : undefined
  const { error } = await new Migrator({
    db: handle.db,
    provider: migrationProvider(handle.name),
    ...(schema ? { migrationTableSchema: schema } : {}),
  }).migrateToLatest()
  if (error) throw error
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
