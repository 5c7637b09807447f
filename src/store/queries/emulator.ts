import type { Kysely } from 'kysely'
import type { EngineTraits, SeedCopy } from '../store.js'
import type { Database } from '../tables.js'

/** What a reset keeps: the per-database secret, the key check and the seed (meta), and the migration bookkeeping. */
const KEPT = new Set(['meta', 'kysely_migration', 'kysely_migration_lock'])

/** The emulator's resets (src/fixtures/seed.ts): every row of every table, or one workspace's, goes; the seed's rows come back. */
export function emulatorQueries(db: Kysely<Database>, { snapshots }: EngineTraits) {
  /** The tables a reset empties, parents before the tables that reference them; read from the catalog, so a table a later migration adds is included. */
  const tables = async (): Promise<string[]> => parentsFirst(await snapshots.tables(db)).filter((t) => !KEPT.has(t))
  return {
    /** Empties every table but the kept ones, in the caller's transaction. */
    async wipeAll(): Promise<void> {
      const all = await tables()
      if (all.length > 0) await snapshots.empty(db, all)
    },
    /** Copies every row of every table a reset empties (empty tables left out); not in a transaction (see the dialects). */
    copyAll: async (): Promise<SeedCopy> => snapshots.copy(db, await tables()),
    /** Puts back what `copyAll` copied, parents first, into tables `wipeAll` emptied, in the caller's transaction. */
    insertAll: (copy: SeedCopy): Promise<void> => snapshots.restore(db, copy),
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
