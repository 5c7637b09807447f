import { randomBytes } from 'node:crypto'
import { Migrator } from 'kysely'
import { openSqlite } from './dialects/sqlite.js'
import { migrationProvider } from './migrations/index.js'
import { createStore, type DialectHandle, type Store } from './store.js'

export interface StoreConfig {
  /** SQLite file path (the embedded default). */
  sqliteFile: string
}

/** Opens the store, brings its schema up to date and loads the per-database secret. */
export async function openStore(config: StoreConfig): Promise<Store> {
  const handle = openSqlite({ file: config.sqliteFile })
  try {
    await migrate(handle)
    return createStore(handle, await loadSecret(handle))
  } catch (error) {
    await handle.destroy()
    throw error
  }
}

async function migrate(handle: DialectHandle): Promise<void> {
  const { error } = await new Migrator({ db: handle.db, provider: migrationProvider(handle.name) }).migrateToLatest()
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
