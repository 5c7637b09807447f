import type { Kysely } from 'kysely'
import type { AuditEventTable, Database } from '../tables.js'
import { chunks } from './members.js'
import type { Rows } from './page.js'

export type AuditEventRow = AuditEventTable

export interface AuditFilter {
  workspaceId: string
  /** Exclusive: events strictly after this time. */
  startTime?: string
  /** Inclusive. */
  endTime: string
  resourceId?: string
  /** Matched case-insensitively (stored lower-cased). */
  resourceType?: string
}

/** Position in the newest-first order: (timestamp, id) of the row to continue from. */
export interface AuditSeek {
  direction: 'after' | 'before'
  key: [timestamp: string, id: string] | null
  limit: number
}

export function auditQueries(db: Kysely<Database>) {
  const filtered = (f: AuditFilter) => {
    let q = db.selectFrom('audit_events').selectAll().where('workspace_id', '=', f.workspaceId).where('timestamp', '<=', f.endTime)
    if (f.startTime !== undefined) q = q.where('timestamp', '>', f.startTime)
    if (f.resourceId !== undefined) q = q.where('resource_id', '=', f.resourceId)
    if (f.resourceType !== undefined) q = q.where('resource_type', '=', f.resourceType.toLowerCase())
    return q
  }
  return {
    async insertMany(rows: AuditEventRow[]): Promise<void> {
      for (const c of chunks(rows)) await db.insertInto('audit_events').values(c).execute()
    },
    /** Newest first; "after" walks towards older events. Seeks on (timestamp, id), never OFFSET. */
    async list(f: AuditFilter, seek: AuditSeek): Promise<Rows<AuditEventRow>> {
      const older = seek.direction === 'after'
      let q = filtered(f)
      if (seek.key !== null) {
        const [ts, id] = seek.key
        const cmp = older ? '<' : '>'
        // A row-value comparison, not `ts < x OR (ts = x AND id < y)`: PostgreSQL turns the tuple into an index
        // range bound, where the OR form scans from the newest event (935 ms vs 0.1 ms, 10M events deep).
        q = q.where((eb) => eb(eb.refTuple('timestamp', 'id'), cmp, eb.tuple(ts, id)))
      }
      const dir = older ? 'desc' : 'asc'
      const rows = await q
        .orderBy('timestamp', dir)
        .orderBy('id', dir)
        .limit(seek.limit + 1)
        .execute()
      const hasMore = rows.length > seek.limit
      if (hasMore) rows.pop()
      if (!older) rows.reverse()
      return { rows, hasMore }
    },
  }
}
