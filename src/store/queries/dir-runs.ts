import type { Insertable, Kysely, Selectable, Updateable } from 'kysely'
import type { Database, DirSyncRunTable, SyncRunState } from '../tables.js'
import { type Rows, type Seek, seekPage } from './page.js'

export type SyncRunRow = Selectable<DirSyncRunTable>

export interface RunFilter {
  connectionId?: string | undefined
  state?: SyncRunState | undefined
}

/** Sync runs: one row per run of a connection, with its state, owner and heartbeat. */
export function dirRunQueries(db: Kysely<Database>) {
  const runs = () => db.selectFrom('dir_sync_runs').selectAll()
  return {
    async insert(row: Insertable<DirSyncRunTable>): Promise<void> {
      await db.insertInto('dir_sync_runs').values(row).execute()
    },
    find(id: string): Promise<SyncRunRow | undefined> {
      return runs().where('id', '=', id).executeTakeFirst()
    },
    /** The connection's run in state `running`, if any (there is at most one). */
    runningOf(connectionId: string): Promise<SyncRunRow | undefined> {
      return runs().where('connection_id', '=', connectionId).where('state', '=', 'running').orderBy('id', 'desc').executeTakeFirst()
    },
    /** Every run still `running`, optionally only one owner's. */
    running(owner?: string): Promise<SyncRunRow[]> {
      let q = runs().where('state', '=', 'running')
      if (owner !== undefined) q = q.where('owner', '=', owner)
      return q.orderBy('id').execute()
    },
    async update(id: string, changes: Updateable<DirSyncRunTable>): Promise<void> {
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
    /** Newest first (ids are time-ordered). */
    list(filter: RunFilter, seek: Seek): Promise<Rows<SyncRunRow>> {
      let q = runs()
      if (filter.connectionId !== undefined) q = q.where('connection_id', '=', filter.connectionId)
      if (filter.state !== undefined) q = q.where('state', '=', filter.state)
      return seekPage(q, 'id', seek, 'desc')
    },
    /** The newest run of the connection that started after `runId` and got past reading (it supersedes that one). */
    laterFinished(connectionId: string, runId: string): Promise<SyncRunRow | undefined> {
      return runs()
        .where('connection_id', '=', connectionId)
        .where('id', '>', runId)
        .where('state', 'in', ['succeeded', 'held'])
        .orderBy('id', 'desc')
        .executeTakeFirst()
    },
  }
}
