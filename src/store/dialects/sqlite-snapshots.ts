import { type Kysely, sql } from 'kysely'
import type { SeedCopy, Snapshots, TableEdge } from '../store.js'
import type { Database } from '../tables.js'

/** The in-memory database SQLite keeps the seed's rows in, attached to the store's one connection. */
const COPY = 'gatehouse_seed_copy'

/**
 * SQLite's seed snapshots: the rows wait in an in-memory database attached to the store's connection, and a
 * reset copies them back without leaving SQLite. An ATTACH cannot run in a transaction, so neither can `copy`.
 */
export const sqliteSnapshots: Snapshots = {
  async tables(db: Kysely<Database>): Promise<TableEdge[]> {
    const { rows } = await sql<TableEdge>`
      select m.name as name, f."table" as parent from sqlite_master m
      left join pragma_foreign_key_list(m.name) f
      where m.type = 'table' and m.name not like 'sqlite_%'`.execute(db)
    return rows
  },
  // Children before parents, so no ON DELETE CASCADE has rows left to visit.
  async empty(db, parentsFirst) {
    for (const table of [...parentsFirst].reverse()) await sql`delete from ${sql.table(table)}`.execute(db)
  },
  async copy(db, tables) {
    const attached = await sql`select name from pragma_database_list where name = ${COPY}`.execute(db)
    if (attached.rows.length > 0) await sql`detach database ${sql.raw(COPY)}`.execute(db)
    await sql`attach database ':memory:' as ${sql.raw(COPY)}`.execute(db)
    const copy: SeedCopy = []
    for (const table of tables) {
      const { rows } = await sql`select 1 from ${sql.table(table)} limit 1`.execute(db)
      if (rows.length === 0) continue
      await sql`create table ${sql.raw(COPY)}.${sql.table(table)} as select * from main.${sql.table(table)}`.execute(db)
      copy.push({ table })
    }
    return copy
  },
  async restore(db, copy) {
    for (const { table } of copy)
      await sql`insert into main.${sql.table(table)} select * from ${sql.raw(COPY)}.${sql.table(table)}`.execute(db)
  },
}
