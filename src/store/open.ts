import { randomBytes } from 'node:crypto'
import { type Clock, systemClock } from '../clock.js'
import { openPostgres } from './dialects/postgres.js'
import { openSqlite } from './dialects/sqlite.js'
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
export async function openStore(config: StoreConfig, policy: MigrationPolicy = 'auto', clock: Clock = systemClock): Promise<Store> {
  const handle = openHandle(config)
  try {
    if (policy === 'auto') await migrate(handle)
    else {
      const pending = await pendingMigrations(handle)
      if (pending.length > 0)
        throw new SchemaBehindError(
          `The database schema is behind this Gatehouse (pending: ${pending.join(', ')}). Run \`gatehouse migrate --database-url …\` first.`,
        )
    }
    return createStore(handle, await loadSecret(handle), { clock })
  } catch (error) {
    await handle.destroy()
    throw error
  }
}

/** Applies every pending migration; returns the names applied. */
export async function migrateStore(config: StoreConfig, options: { upTo?: string } = {}): Promise<string[]> {
  // The same schema as openStore would use: a `schema` option ignored here would migrate another one. No
  // statement timeout unless one is asked for: building an index on a table of millions of rows, or waiting
  // for the lock a running replica holds, takes longer than any request should.
  const handle = openHandle('postgresUrl' in config ? { statementTimeoutMs: 0, ...config } : config)
  try {
    return await migrate(handle, options.upTo)
  } finally {
    await handle.destroy()
  }
}

function openHandle(config: StoreConfig): DialectHandle {
  if ('sqliteFile' in config) return openSqlite({ file: config.sqliteFile })
  return openPostgres({
    url: config.postgresUrl,
    ...(config.schema ? { schema: config.schema } : {}),
    ...(config.poolSize === undefined ? {} : { poolSize: config.poolSize }),
    ...(config.statementTimeoutMs === undefined ? {} : { statementTimeoutMs: config.statementTimeoutMs }),
  })
}

async function pendingMigrations(handle: DialectHandle): Promise<string[]> {
  const all = await (await handle.migrator()).getMigrations()
  return all.filter((m) => m.executedAt === undefined).map((m) => m.name)
}

/** Applies pending migrations: all, or up to and including `upTo` (tests of an upgrade from an older release). */
async function migrate(handle: DialectHandle, upTo?: string): Promise<string[]> {
  const m = await handle.migrator()
  const { error, results } = await (upTo === undefined ? m.migrateToLatest() : m.migrateTo(upTo))
  if (error) throw error
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName)
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
