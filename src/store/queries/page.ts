import type { SelectQueryBuilder } from 'kysely'

/** Where a keyset page starts: after or before a key (null = from the start). */
export interface Seek {
  direction: 'after' | 'before'
  key: string | null
  limit: number
}

export interface Rows<T> {
  /** In list order, at most `limit`. */
  rows: T[]
  /** Whether more rows lie beyond the page in the direction of the seek. */
  hasMore: boolean
}

/**
 * Seeks on one unique, ascending text column instead of OFFSET: page 99,000 costs what page 1 costs,
 * and rows inserted or deleted between pages never make a walk skip or repeat a surviving row.
 */
export async function seekPage<DB, TB extends keyof DB, O>(
  query: SelectQueryBuilder<DB, TB, O>,
  column: string,
  seek: Seek,
  /** The list's order: `desc` lists newest first when the column sorts by creation (ids do). */
  order: 'asc' | 'desc' = 'asc',
): Promise<Rows<O>> {
  // biome-ignore lint/suspicious/noExplicitAny: see above
  const q = query as SelectQueryBuilder<any, any, O>
  const forward = seek.direction === 'after'
  const ascending = forward === (order === 'asc')
  let page = q.orderBy(column, ascending ? 'asc' : 'desc').limit(seek.limit + 1)
  if (seek.key !== null) page = page.where(column, ascending ? '>' : '<', seek.key)
  return trimmed(await page.execute(), seek.limit, forward)
}

/** Position in a newest-first list ordered by (time, id): the key of the row to continue from. */
export interface TimeSeek {
  direction: 'after' | 'before'
  key: [time: string, id: string] | null
  limit: number
}

/**
 * Newest first on (`timeColumn`, id); `after` walks towards older rows. A row-value comparison, not
 * `t < x OR (t = x AND id < y)`: PostgreSQL turns the tuple into an index range bound, where the OR form
 * scans from the newest row (935 ms vs 0.1 ms, 10M audit events deep).
 */
export async function seekNewestFirst<DB, TB extends keyof DB, O>(
  query: SelectQueryBuilder<DB, TB, O>,
  timeColumn: string,
  seek: TimeSeek,
): Promise<Rows<O>> {
  // biome-ignore lint/suspicious/noExplicitAny: see seekPage
  let q = query as SelectQueryBuilder<any, any, O>
  const older = seek.direction === 'after'
  if (seek.key !== null) {
    const [time, id] = seek.key
    q = q.where((eb) => eb(eb.refTuple(timeColumn, 'id'), older ? '<' : '>', eb.tuple(time, id)))
  }
  const dir = older ? 'desc' : 'asc'
  const rows = await q
    .orderBy(timeColumn, dir)
    .orderBy('id', dir)
    .limit(seek.limit + 1)
    .execute()
  return trimmed(rows, seek.limit, older)
}

/** A page read one row long, in read order: drop the extra row (it says there is more), put it in list order. */
function trimmed<T>(rows: T[], limit: number, inListOrder: boolean): Rows<T> {
  const hasMore = rows.length > limit
  if (hasMore) rows.pop()
  if (!inListOrder) rows.reverse()
  return { rows, hasMore }
}
