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
import { migrationProvider } from '../migrations/index.js'
import type { Database } from '../tables.js'

/** The migrator over the schema the pool's search path names, and that schema alone. */
export async function postgresMigrator(pool: pg.Pool, db: Kysely<Database>): Promise<Migrator> {
  // Kysely looks for its bookkeeping tables in every schema; name ours, or a second Gatehouse schema in
  // the same PostgreSQL database (tests, staging beside production) would be mistaken for this one.
  const schema = (await sql<{ schema: string | null }>`select current_schema() as schema`.execute(db)).rows[0]?.schema
  // No schema of the search path exists: unnamed, Kysely would find another schema's tables and call this one current.
  if (!schema) throw new Error('No schema on the search path exists in this database: create it, or fix search_path in the database URL')
  return new Migrator({
    // On the same pool (its search path), never destroyed: the handle ends the pool.
    db: new Kysely<Database>({ dialect: new OwnSchemaDialect(pool, schema) }),
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
