import type { Kysely } from 'kysely'
import type { AuditEventTable, Database } from '../tables.js'
import { chunks } from './members.js'
import { type Rows, seekNewestFirst, type TimeSeek } from './page.js'

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
export type AuditSeek = TimeSeek

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
    list(f: AuditFilter, seek: AuditSeek): Promise<Rows<AuditEventRow>> {
      return seekNewestFirst(filtered(f), 'timestamp', seek)
    },
  }
}
