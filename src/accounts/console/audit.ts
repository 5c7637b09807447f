import { Readable } from 'node:stream'
import { ValidationError } from '../../errors.js'
import type { AuditEventRow, ConsoleAuditFilter } from '../../store/queries/audit.js'
import { pages } from '../../store/queries/page.js'
import type { Store } from '../../store/store.js'
import type { CursorCodec } from '../../wire/cursor.js'
import { paginate } from '../../wire/pagination.js'
import { DEFAULT_AUDIT_PAGE } from './workspace-admin-schemas.js'

export interface AuditFilterQuery {
  type?: string[] | undefined
  actor?: string | undefined
  resource?: string | undefined
  from?: string | undefined
  to?: string | undefined
}

/** The query's filters for the store: blanks are no filter; times become canonical ISO text (else 422). */
export function auditFilterOf(workspaceId: string, query: AuditFilterQuery): ConsoleAuditFilter {
  const types = (query.type ?? []).map((t) => t.trim()).filter((t) => t !== '')
  const blankless = (value: string | undefined) => value?.trim() || undefined
  const from = blankless(query.from)
  const to = blankless(query.to)
  const filter: ConsoleAuditFilter = {
    workspaceId,
    types: types.length > 0 ? [...new Set(types)] : undefined,
    actor: blankless(query.actor),
    resource: blankless(query.resource),
    from: from === undefined ? undefined : isoTime(from, 'from'),
    to: to === undefined ? undefined : isoTime(to, 'to'),
  }
  if (filter.from !== undefined && filter.to !== undefined && filter.from >= filter.to)
    throw new ValidationError('to must be later than from', 'to')
  return filter
}

function isoTime(value: string, field: string): string {
  const ms = Date.parse(value)
  if (Number.isNaN(ms) || !/^\d{4}-\d{2}-\d{2}/.test(value))
    throw new ValidationError(`${field} must be an ISO-8601 time, such as 2025-01-31T00:00:00Z`, field)
  return new Date(ms).toISOString()
}

export function presentEvent(e: AuditEventRow) {
  return {
    id: e.id,
    timestamp: e.timestamp,
    type: e.type,
    actor: e.actor,
    actorEmail: e.actor_email,
    resourceId: e.resource_id,
    resourceType: e.resource_type,
    resourceName: e.resource_name,
  }
}

/** One newest-first page of the filtered trail; a cursor continues only the filter it was issued for. */
export function auditPage(
  store: Store,
  cursors: CursorCodec,
  filter: ConsoleAuditFilter,
  page: { count?: number | undefined; cursor?: string | undefined },
) {
  const { workspaceId, ...filters } = filter
  const list = `console/workspaces/${workspaceId}/audit|${JSON.stringify(filters)}`
  return store.read((q) =>
    paginate(
      cursors,
      { name: list, field: 'cursor', width: 2 },
      { count: page.count ?? DEFAULT_AUDIT_PAGE, ...(page.cursor === undefined ? {} : { cursor: page.cursor }) },
      (seek) => q.audit.listConsole(filter, seek),
      (e) => [e.timestamp, e.id],
      // No total: counting a filtered range of millions of events would cost more than the page.
      undefined,
    ),
  )
}

/** Rows read per store round trip while exporting: memory holds one batch, whatever the range. */
export const CSV_BATCH = 1000

const CSV_COLUMNS = ['timestamp', 'type', 'actor', 'actor_email', 'resource_type', 'resource_id', 'resource_name', 'id'] as const

/**
 * The filtered trail as CSV, newest first, read in keyset batches only as fast as the client takes them
 * (Readable.from pulls the next batch when the socket has drained), so memory stays flat for any range.
 */
export function auditCsv(store: Store, filter: ConsoleAuditFilter, batch = CSV_BATCH): Readable {
  async function* lines() {
    yield `${CSV_COLUMNS.join(',')}\r\n`
    const batches = pages(
      (seek) => store.read((q) => q.audit.listConsole(filter, seek)),
      (row) => [row.timestamp, row.id],
      batch,
    )
    for await (const { rows } of batches) {
      let chunk = ''
      for (const row of rows) chunk += `${CSV_COLUMNS.map((c) => csvCell(row[c] ?? '')).join(',')}\r\n`
      if (chunk !== '') yield chunk
    }
  }
  return Readable.from(lines(), { objectMode: false })
}

/**
 * One CSV cell, safe to open in a spreadsheet: a value starting with = + - @ tab or CR gets a leading ' so it is
 * never run as a formula (names and emails come from other people); quotes, commas and line breaks are quoted.
 */
export function csvCell(value: string): string {
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe
}
