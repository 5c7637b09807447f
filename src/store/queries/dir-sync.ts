import { type Insertable, type Kysely, PostgresAdapter, type Selectable, sql, type Updateable } from 'kysely'
import type {
  Database,
  DirConnectionTable,
  DirEventTable,
  DirGroupTable,
  DirMembershipTable,
  DirRoleTable,
  DirSyncRunTable,
  DirUserTable,
  SyncRunState,
} from '../tables.js'
import type { Rows } from './page.js'

export type DirUserRow = Selectable<DirUserTable>
export type DirGroupRow = Selectable<DirGroupTable>
export type DirRoleRow = Selectable<DirRoleTable>
export type DirMembershipRow = Selectable<DirMembershipTable>
export type SyncRunRow = Selectable<DirSyncRunTable>
export type DirEventRow = Omit<Selectable<DirEventTable>, 'seq'> & { seq: number }
export type NewDirEvent = Omit<Insertable<DirEventTable>, 'seq'>

// Rows per INSERT: 14 columns × 500 stays far below SQLite's (32,766) and PostgreSQL's (65,535) parameter limits.
const CHUNK = 500

function chunks<T>(items: readonly T[]): T[][] {
  const out: T[][] = []
  for (let i = 0; i < items.length; i += CHUNK) out.push(items.slice(i, i + CHUNK))
  return out
}

/** The sync engine's tables: runs, the synced snapshot of each connection, and the change feed. */
export function dirSyncQueries(db: Kysely<Database>) {
  return {
    // --- runs ---
    async insertRun(row: Insertable<DirSyncRunTable>): Promise<void> {
      await db.insertInto('dir_sync_runs').values(row).execute()
    },
    findRun(id: string): Promise<SyncRunRow | undefined> {
      return db.selectFrom('dir_sync_runs').selectAll().where('id', '=', id).executeTakeFirst()
    },
    /** The connection's run in state `running`, if any (there is at most one). */
    runningRun(connectionId: string): Promise<SyncRunRow | undefined> {
      return db
        .selectFrom('dir_sync_runs')
        .selectAll()
        .where('connection_id', '=', connectionId)
        .where('state', '=', 'running')
        .orderBy('id', 'desc')
        .executeTakeFirst()
    },
    /** Every run still `running`, optionally only one owner's. */
    runningRuns(owner?: string): Promise<SyncRunRow[]> {
      let q = db.selectFrom('dir_sync_runs').selectAll().where('state', '=', 'running')
      if (owner !== undefined) q = q.where('owner', '=', owner)
      return q.orderBy('id').execute()
    },
    async updateRun(id: string, changes: Updateable<DirSyncRunTable>): Promise<void> {
      await db.updateTable('dir_sync_runs').set(changes).where('id', '=', id).execute()
    },
    /** Refreshes a running run's heartbeat; false when the run is no longer this owner's to run. */
    async heartbeat(id: string, owner: string, at: string): Promise<boolean> {
      const res = await db
        .updateTable('dir_sync_runs')
        .set({ heartbeat_at: at })
        .where('id', '=', id)
        .where('owner', '=', owner)
        .where('state', '=', 'running')
        .executeTakeFirst()
      return Number(res.numUpdatedRows) > 0
    },
    /** Newest first; `before` is the id the previous page ended on. */
    async listRuns(filter: {
      connectionId?: string
      state?: SyncRunState
      before: string | null
      limit: number
    }): Promise<Rows<SyncRunRow>> {
      let q = db.selectFrom('dir_sync_runs').selectAll()
      if (filter.connectionId !== undefined) q = q.where('connection_id', '=', filter.connectionId)
      if (filter.state !== undefined) q = q.where('state', '=', filter.state)
      if (filter.before !== null) q = q.where('id', '<', filter.before)
      const rows = await q
        .orderBy('id', 'desc')
        .limit(filter.limit + 1)
        .execute()
      const hasMore = rows.length > filter.limit
      if (hasMore) rows.pop()
      return { rows, hasMore }
    },
    /** Runs of the connection that started after `runId` and got past reading (they supersede it). */
    laterFinishedRun(connectionId: string, runId: string): Promise<SyncRunRow | undefined> {
      return db
        .selectFrom('dir_sync_runs')
        .selectAll()
        .where('connection_id', '=', connectionId)
        .where('id', '>', runId)
        .where('state', 'in', ['succeeded', 'held'])
        .orderBy('id', 'desc')
        .executeTakeFirst()
    },

    // --- scheduling ---
    /**
     * Connections whose scheduled sync is due: `active` ones, and `error` ones too, so a passing remote
     * failure heals on the next interval instead of stopping the connection for good. `needs_reauth`
     * waits for a new token.
     */
    dueConnections(now: string): Promise<Selectable<DirConnectionTable>[]> {
      return db
        .selectFrom('dir_connections')
        .selectAll()
        .where('status', 'in', ['active', 'error'])
        .where((eb) => eb.or([eb('next_sync_at', 'is', null), eb('next_sync_at', '<=', now)]))
        .orderBy('next_sync_at')
        .orderBy('id')
        .execute()
    },

    // --- the synced snapshot of one connection ---
    /** Live accounts by status and live groups: what the remote's list totals should equal. */
    async liveCounts(connectionId: string): Promise<{ active: number; invited: number; groups: number }> {
      const users = await db
        .selectFrom('dir_users')
        .select(['status', (eb) => eb.fn.countAll<number>().as('n')])
        .where('connection_id', '=', connectionId)
        .groupBy('status')
        .execute()
      const groups = await db
        .selectFrom('dir_groups')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('connection_id', '=', connectionId)
        .where('deleted_at', 'is', null)
        .executeTakeFirstOrThrow()
      const of = (status: string) => Number(users.find((u) => u.status === status)?.n ?? 0)
      return { active: of('active'), invited: of('invited'), groups: Number(groups.n) }
    },
    usersOf(connectionId: string): Promise<DirUserRow[]> {
      return db.selectFrom('dir_users').selectAll().where('connection_id', '=', connectionId).orderBy('id').execute()
    },
    usersByIds(ids: readonly string[]): Promise<DirUserRow[]> {
      return Promise.all(chunks(ids).map((c) => db.selectFrom('dir_users').selectAll().where('id', 'in', c).execute())).then((r) =>
        r.flat(),
      )
    },
    groupsOf(connectionId: string): Promise<DirGroupRow[]> {
      return db.selectFrom('dir_groups').selectAll().where('connection_id', '=', connectionId).orderBy('id').execute()
    },
    rolesOf(connectionId: string): Promise<DirRoleRow[]> {
      return db.selectFrom('dir_roles').selectAll().where('connection_id', '=', connectionId).orderBy('id').execute()
    },
    membershipsOf(connectionId: string): Promise<DirMembershipRow[]> {
      return db.selectFrom('dir_memberships').selectAll().where('connection_id', '=', connectionId).execute()
    },
    async insertUsers(rows: readonly DirUserRow[]): Promise<void> {
      for (const c of chunks(rows)) await db.insertInto('dir_users').values(c).execute()
    },
    async updateUser(id: string, changes: Updateable<DirUserTable>): Promise<void> {
      await db.updateTable('dir_users').set(changes).where('id', '=', id).execute()
    },
    async insertGroups(rows: readonly DirGroupRow[]): Promise<void> {
      for (const c of chunks(rows)) await db.insertInto('dir_groups').values(c).execute()
    },
    async updateGroup(id: string, changes: Updateable<DirGroupTable>): Promise<void> {
      await db.updateTable('dir_groups').set(changes).where('id', '=', id).execute()
    },
    async insertRoles(rows: readonly DirRoleRow[]): Promise<void> {
      for (const c of chunks(rows)) await db.insertInto('dir_roles').values(c).execute()
    },
    async updateRole(id: string, changes: Updateable<DirRoleTable>): Promise<void> {
      await db.updateTable('dir_roles').set(changes).where('id', '=', id).execute()
    },
    async insertMemberships(rows: readonly DirMembershipRow[]): Promise<void> {
      for (const c of chunks(rows)) await db.insertInto('dir_memberships').values(c).execute()
    },
    async deleteMemberships(pairs: readonly { group_id: string; user_id: string }[]): Promise<void> {
      const byGroup = new Map<string, string[]>()
      for (const p of pairs) {
        const list = byGroup.get(p.group_id)
        if (list) list.push(p.user_id)
        else byGroup.set(p.group_id, [p.user_id])
      }
      for (const [groupId, userIds] of byGroup)
        for (const c of chunks(userIds))
          await db.deleteFrom('dir_memberships').where('group_id', '=', groupId).where('user_id', 'in', c).execute()
    },

    // --- the change feed ---
    /**
     * Appends events in order. On PostgreSQL, concurrent transactions would otherwise commit identity
     * values out of order, and a reader polling `after=<seq>` could skip an event that commits later with a
     * smaller seq; the lock serialises appenders until commit (readers are not blocked). SQLite has one
     * writer, so commit order is seq order already.
     */
    async appendEvents(rows: readonly NewDirEvent[]): Promise<void> {
      if (rows.length === 0) return
      if (db.getExecutor().adapter instanceof PostgresAdapter) await sql`lock table dir_events in share row exclusive mode`.execute(db)
      for (const c of chunks(rows)) await db.insertInto('dir_events').values(c).execute()
    },
    async listEvents(after: number, limit: number): Promise<Rows<DirEventRow>> {
      const rows = await db
        .selectFrom('dir_events')
        .selectAll()
        .where('seq', '>', after)
        .orderBy('seq')
        .limit(limit + 1)
        .execute()
      const hasMore = rows.length > limit
      if (hasMore) rows.pop()
      // PostgreSQL hands bigint back as a string.
      return { rows: rows.map((r) => ({ ...r, seq: Number(r.seq) })), hasMore }
    },
    /** The newest seq (0 for an empty feed): a run notes it before reading the remote. */
    async lastEventSeq(): Promise<number> {
      const row = await db
        .selectFrom('dir_events')
        .select((eb) => eb.fn.max('seq').as('seq'))
        .executeTakeFirst()
      return Number(row?.seq ?? 0)
    },
    /** Subjects of the connection that something other than `runId` changed after event `afterSeq`. */
    async subjectsChangedAfter(connectionId: string, afterSeq: number, runId: string): Promise<Set<string>> {
      const rows = await db
        .selectFrom('dir_events')
        .select('subject_id')
        .where('seq', '>', afterSeq)
        .where('connection_id', '=', connectionId)
        .where((eb) => eb.or([eb('sync_run_id', 'is', null), eb('sync_run_id', '!=', runId)]))
        .execute()
      return new Set(rows.map((r) => r.subject_id))
    },
  }
}
