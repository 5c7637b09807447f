import { type Kysely, PostgresAdapter, sql } from 'kysely'
import type { Database } from '../tables.js'

/** What a reset keeps: the per-database secret, the key check and the seed (meta), and the migration bookkeeping. */
const KEPT = new Set(['meta', 'kysely_migration', 'kysely_migration_lock'])

/** What the seed wrote, table by table, parents first: the rows themselves (PostgreSQL), or in SQLITE_COPY (SQLite). */
export type SeedCopy = { table: string; rows?: Record<string, unknown>[] }[]

/** The in-memory database SQLite keeps the seed's rows in, attached to the store's connection. */
const SQLITE_COPY = 'gatehouse_seed_copy'

/** The emulator's resets (src/fixtures/seed.ts): every row of every table, or one workspace's, goes; the seed's rows come back. */
export function emulatorQueries(db: Kysely<Database>) {
  const onPostgres = () => db.getExecutor().adapter instanceof PostgresAdapter
  /** The tables a reset empties, parents before the tables that reference them; listed from the catalog, so a table a later migration adds is included. */
  const tables = async (): Promise<string[]> => {
    const { rows } = onPostgres()
      ? await sql<{ name: string; parent: string | null }>`
          select c.relname as name, p.relname as parent from pg_catalog.pg_class c
          join pg_catalog.pg_namespace n on n.oid = c.relnamespace
          left join pg_catalog.pg_constraint k on k.conrelid = c.oid and k.contype = 'f'
          left join pg_catalog.pg_class p on p.oid = k.confrelid
          where n.nspname = current_schema() and c.relkind in ('r', 'p')`.execute(db)
      : await sql<{ name: string; parent: string | null }>`
          select m.name as name, f."table" as parent from sqlite_master m
          left join pragma_foreign_key_list(m.name) f
          where m.type = 'table' and m.name not like 'sqlite_%'`.execute(db)
    return parentsFirst(rows).filter((t) => !KEPT.has(t))
  }
  return {
    /**
     * Empties every table but the kept ones, in the caller's transaction. PostgreSQL truncates them in one
     * statement; SQLite deletes children before parents, so no ON DELETE CASCADE has rows left to visit.
     */
    async wipeAll(): Promise<void> {
      const all = await tables()
      if (all.length === 0) return
      if (onPostgres()) await sql`truncate table ${sql.join(all.map((t) => sql.table(t)))}`.execute(db)
      else for (const table of all.reverse()) await sql`delete from ${sql.table(table)}`.execute(db)
    },
    /**
     * Copies every row of every table a reset empties (empty tables left out). PostgreSQL: into this process's
     * memory. SQLite: into an in-memory database attached to the store's one connection, from which a reset
     * copies them back without leaving SQLite; an ATTACH cannot run in a transaction, so neither can this.
     */
    async copyAll(): Promise<SeedCopy> {
      const copy: SeedCopy = []
      if (!onPostgres()) {
        const attached = await sql`select name from pragma_database_list where name = ${SQLITE_COPY}`.execute(db)
        if (attached.rows.length > 0) await sql`detach database ${sql.raw(SQLITE_COPY)}`.execute(db)
        await sql`attach database ':memory:' as ${sql.raw(SQLITE_COPY)}`.execute(db)
      }
      for (const table of await tables()) {
        const { rows } = await sql<Record<string, unknown>>`select * from ${sql.table(table)} limit ${onPostgres() ? null : 1}`.execute(db)
        if (rows.length === 0) continue
        if (onPostgres()) {
          copy.push({ table, rows })
        } else {
          await sql`create table ${sql.raw(SQLITE_COPY)}.${sql.table(table)} as select * from main.${sql.table(table)}`.execute(db)
          copy.push({ table })
        }
      }
      return copy
    },
    /** Puts back what `copyAll` copied, parents first, into tables `wipeAll` emptied, in the caller's transaction. */
    async insertAll(copy: SeedCopy): Promise<void> {
      for (const { table, rows } of copy) {
        if (rows === undefined) {
          await sql`insert into main.${sql.table(table)} select * from ${sql.raw(SQLITE_COPY)}.${sql.table(table)}`.execute(db)
        } else {
          // One INSERT per table, its rows one JSON parameter: one round trip.
          const json = JSON.stringify(rows)
          await sql`insert into ${sql.table(table)} select * from json_populate_recordset(null::${sql.table(table)}, ${json}::json)`.execute(
            db,
          )
        }
      }
    },
    /** Deletes one workspace; its users, invites, groups, permissions, labels, tokens, audit and links go with it (cascade). */
    async deleteWorkspace(id: string): Promise<boolean> {
      const res = await db.deleteFrom('workspaces').where('id', '=', id).executeTakeFirst()
      return Number(res.numDeletedRows) > 0
    },
    /** Everything `gatehouse export` writes of one workspace (permissions and labels come from their own queries). */
    async contents(workspaceId: string) {
      return {
        users: await db.selectFrom('users').selectAll().where('workspace_id', '=', workspaceId).orderBy('id').execute(),
        invites: await db.selectFrom('invites').selectAll().where('workspace_id', '=', workspaceId).orderBy('id').execute(),
        groups: await db.selectFrom('user_groups').selectAll().where('workspace_id', '=', workspaceId).orderBy('id').execute(),
        groupMembers: await db
          .selectFrom('group_members')
          .select(['group_id', 'user_id'])
          .where('workspace_id', '=', workspaceId)
          .execute(),
        groupInvites: await db
          .selectFrom('group_invites')
          .select(['group_id', 'invite_id'])
          .where('workspace_id', '=', workspaceId)
          .execute(),
        tokens: await db
          .selectFrom('api_tokens')
          .select(['description', 'role'])
          .where('workspace_id', '=', workspaceId)
          .where('revoked_at', 'is', null)
          .orderBy('id')
          .execute(),
      }
    },
  }
}

/** Tables ordered so that every table comes after the tables it references. */
function parentsFirst(edges: readonly { name: string; parent: string | null }[]): string[] {
  const parents = new Map<string, Set<string>>()
  for (const { name, parent } of edges) {
    const set = parents.get(name) ?? new Set<string>()
    if (parent !== null && parent !== name) set.add(parent)
    parents.set(name, set)
  }
  const ordered: string[] = []
  const placed = new Set<string>()
  // Depth-first: a table's parents are placed before it.
  const visit = (table: string) => {
    if (placed.has(table)) return
    placed.add(table)
    for (const parent of parents.get(table) ?? []) visit(parent)
    ordered.push(table)
  }
  for (const table of parents.keys()) visit(table)
  return ordered
}
