import { sql } from 'kysely'
import type { SeedCopy, Snapshots, TableEdge } from '../store.js'

/** PostgreSQL's seed snapshots: the rows wait in this process's memory; a reset puts each table back in one statement. */
export const postgresSnapshots: Snapshots = {
  async tables(db) {
    const { rows } = await sql<TableEdge>`
      select c.relname as name, p.relname as parent from pg_catalog.pg_class c
      join pg_catalog.pg_namespace n on n.oid = c.relnamespace
      left join pg_catalog.pg_constraint k on k.conrelid = c.oid and k.contype = 'f'
      left join pg_catalog.pg_class p on p.oid = k.confrelid
      where n.nspname = current_schema() and c.relkind in ('r', 'p')`.execute(db)
    return rows
  },
  async empty(db, tables) {
    await sql`truncate table ${sql.join(tables.map((t) => sql.table(t)))}`.execute(db)
  },
  async copy(db, tables) {
    const copy: SeedCopy = []
    for (const table of tables) {
      const { rows } = await sql<Record<string, unknown>>`select * from ${sql.table(table)}`.execute(db)
      if (rows.length > 0) copy.push({ table, rows })
    }
    return copy
  },
  async restore(db, copy) {
    for (const { table, rows } of copy) {
      // One INSERT per table, its rows one JSON parameter: one round trip.
      const json = JSON.stringify(rows ?? [])
      await sql`insert into ${sql.table(table)} select * from json_populate_recordset(null::${sql.table(table)}, ${json}::json)`.execute(db)
    }
  },
}
