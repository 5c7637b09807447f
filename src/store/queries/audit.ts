import { type Kysely, sql } from 'kysely'
import type { AuditEventTable, Database } from '../tables.js'
import { chunks } from './chunks.js'
import { type Rows, type Seek, seekPage } from './page.js'
import { containsPattern } from './text-match.js'

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

/**
 * The console's Audit Trail filters. Every filter narrows one walk of the (workspace_id, timestamp, id) order; a
 * single event type walks audit_events_event_type instead, so a rare type is found without reading the others.
 */
export interface ConsoleAuditFilter {
  workspaceId: string
  /** Any of these event types. */
  types?: string[] | undefined
  /** An actor id (a user, token or account id), or an email (any case). */
  actor?: string | undefined
  /** A resource id, or a part of a resource's name (any case). */
  resource?: string | undefined
  /** Inclusive. */
  from?: string | undefined
  /** Exclusive. */
  to?: string | undefined
}

/** Position in the newest-first order: (timestamp, id) of the row to continue from. */
export type AuditSeek = Seek

export function auditQueries(db: Kysely<Database>) {
  const filtered = (f: AuditFilter) => {
    let q = db.selectFrom('audit_events').selectAll().where('workspace_id', '=', f.workspaceId).where('timestamp', '<=', f.endTime)
    if (f.startTime !== undefined) q = q.where('timestamp', '>', f.startTime)
    if (f.resourceId !== undefined) q = q.where('resource_id', '=', f.resourceId)
    if (f.resourceType !== undefined) q = q.where('resource_type', '=', f.resourceType.toLowerCase())
    return q
  }
  const consoleFiltered = (f: ConsoleAuditFilter) => {
    let q = db.selectFrom('audit_events').selectAll().where('workspace_id', '=', f.workspaceId)
    if (f.types !== undefined && f.types.length > 0) q = q.where('type', 'in', f.types)
    if (f.from !== undefined) q = q.where('timestamp', '>=', f.from)
    if (f.to !== undefined) q = q.where('timestamp', '<', f.to)
    const actor = f.actor
    if (actor !== undefined)
      q = actor.includes('@') ? q.where(sql<boolean>`lower(actor_email) = ${actor.toLowerCase()}`) : q.where('actor', '=', actor)
    const resource = f.resource
    if (resource !== undefined) {
      const pattern = containsPattern(resource)
      q = q.where((eb) => eb.or([eb('resource_id', '=', resource), sql<boolean>`lower(resource_name) like ${pattern} escape '\\'`]))
    }
    return q
  }
  return {
    async insertMany(rows: AuditEventRow[]): Promise<void> {
      for (const c of chunks(rows)) await db.insertInto('audit_events').values(c).execute()
    },
    /** Newest first; "after" walks towards older events. Seeks on (timestamp, id), never OFFSET. */
    list(f: AuditFilter, seek: AuditSeek): Promise<Rows<AuditEventRow>> {
      return seekPage(filtered(f), ['timestamp', 'id'], seek, 'desc')
    },
    /** The console's filtered trail, newest first, keyset pages on (timestamp, id) as `list`. */
    listConsole(f: ConsoleAuditFilter, seek: AuditSeek): Promise<Rows<AuditEventRow>> {
      return seekPage(consoleFiltered(f), ['timestamp', 'id'], seek, 'desc')
    },
    /** The event types the workspace's trail holds, for the console's filter. */
    async eventTypes(workspaceId: string): Promise<string[]> {
      const rows = await db
        .selectFrom('audit_events')
        .select('type')
        .distinct()
        .where('workspace_id', '=', workspaceId)
        .orderBy('type')
        .execute()
      return rows.map((r) => r.type)
    },
  }
}
