import { randomBytes } from 'node:crypto'
import {
  type DatabaseIntrospector,
  type DatabaseMetadata,
  Kysely,
  Migrator,
  PostgresDialect,
  type SchemaMetadata,
  sql,
  type TableMetadata,
} from 'kysely'
import type pg from 'pg'
import { type Clock, systemClock } from '../clock.js'
import { openPostgres } from './dialects/postgres.js'
import { openSqlite } from './dialects/sqlite.js'
import { migrationProvider } from './migrations/index.js'
import { createStore, type DialectHandle, type Store } from './store.js'
import type { Database } from './tables.js'

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
  const all = await (await migrator(handle)).getMigrations()
  return all.filter((m) => m.executedAt === undefined).map((m) => m.name)
}

/** Applies pending migrations: all, or up to and including `upTo` (tests of an upgrade from an older release). */
async function migrate(handle: DialectHandle, upTo?: string): Promise<string[]> {
  const m = await migrator(handle)
  const { error, results } = await (upTo === undefined ? m.migrateToLatest() : m.migrateTo(upTo))
  if (error) throw error
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName)
}

async function migrator(handle: DialectHandle): Promise<Migrator> {
  if (handle.name !== 'postgres' || !handle.pgPool) return new Migrator({ db: handle.db, provider: migrationProvider(handle.name) })
  // Kysely looks for its bookkeeping tables in every schema; name ours, or a second Gatehouse schema in
  // the same PostgreSQL database (tests, staging beside production) would be mistaken for this one.
  const schema = (await sql<{ schema: string | null }>`select current_schema() as schema`.execute(handle.db)).rows[0]?.schema
  // No schema of the search path exists: unnamed, Kysely would find another schema's tables and call this one current.
  if (!schema) throw new Error('No schema on the search path exists in this database: create it, or fix search_path in the database URL')
  return new Migrator({
    // On the same pool (its search path), never destroyed: the handle ends the pool.
    db: new Kysely<Database>({ dialect: new OwnSchemaDialect(handle.pgPool, schema) }),
    provider: migrationProvider('postgres'),
    migrationTableSchema: schema,
  })
}

/**
 * Kysely's migrator asks whether its tables exist by listing every table of every schema with its
 * PostgreSQL introspector, whose query calls has_schema_privilege() and pg_get_serial_sequence() by name:
 * a schema dropped while it runs (another Gatehouse's, another test's) fails it with `schema "…" does not
 * exist`, and a server would refuse to start over someone else's schema. This one looks at ours alone.
 */
class OwnSchemaDialect extends PostgresDialect {
  constructor(
    pool: pg.Pool,
    private readonly schema: string,
  ) {
    super({ pool })
  }

  override createIntrospector(db: Kysely<unknown>): DatabaseIntrospector {
    return new OwnSchemaIntrospector(db, this.schema)
  }
}

class OwnSchemaIntrospector implements DatabaseIntrospector {
  constructor(
    private readonly db: Kysely<unknown>,
    private readonly schema: string,
  ) {}

  async getSchemas(): Promise<SchemaMetadata[]> {
    const { rows } = await sql<SchemaMetadata>`select nspname as name from pg_catalog.pg_namespace where nspname = ${this.schema}`.execute(
      this.db,
    )
    return rows
  }

  /** Tables and views by name only: the migrator reads no columns. */
  async getTables(): Promise<TableMetadata[]> {
    const { rows } = await sql<{ name: string; kind: string }>`
      select c.relname as name, c.relkind as kind from pg_catalog.pg_class c
      join pg_catalog.pg_namespace n on n.oid = c.relnamespace
      where n.nspname = ${this.schema} and c.relkind in ('r', 'v', 'p')`.execute(this.db)
    return rows.map((row) => ({ name: row.name, schema: this.schema, isView: row.kind === 'v', columns: [] }))
  }

  async getMetadata(): Promise<DatabaseMetadata> {
    return { tables: await this.getTables() }
  }
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
