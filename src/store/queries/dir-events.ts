import type { Insertable, Kysely, Selectable } from 'kysely'
import type { EngineTraits } from '../store.js'
import type { Database, DirEventTable } from '../tables.js'
import { chunks } from './chunks.js'
import { type Rows, seekPage } from './page.js'

export type DirEventRow = Omit<Selectable<DirEventTable>, 'seq'> & { seq: number }
export type NewDirEvent = Omit<Insertable<DirEventTable>, 'seq'>

/** The change feed: events in `seq` order. */
export function dirEventQueries(db: Kysely<Database>, engine: EngineTraits) {
  return {
    /**
     * Appends events in order: the engine makes concurrent appenders commit in `seq` order, or a reader
     * polling `after=<seq>` could skip an event that commits later with a smaller seq.
     */
    async append(rows: readonly NewDirEvent[]): Promise<void> {
      if (rows.length === 0) return
      await engine.orderAppends(db, 'dir_events')
      for (const c of chunks(rows)) await db.insertInto('dir_events').values(c).execute()
    },
    async list(after: number, limit: number): Promise<Rows<DirEventRow>> {
      const page = await seekPage(db.selectFrom('dir_events').selectAll(), 'seq', { direction: 'after', key: [after], limit })
      // PostgreSQL hands bigint back as a string.
      return { rows: page.rows.map((r) => ({ ...r, seq: Number(r.seq) })), hasMore: page.hasMore }
    },
    /** The newest seq (0 for an empty feed): a run notes it before reading the remote. */
    async lastSeq(): Promise<number> {
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
