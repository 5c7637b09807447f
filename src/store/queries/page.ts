import { type Expression, type SelectQueryBuilder, type SqlBool, sql } from 'kysely'

/** One key column's value: text, or a number for an integer column (the change feed's seq). */
export type KeyValue = string | number

/** Where a keyset page starts: after or before a row's key, one value per key column (null = from the start). */
export interface Seek<K extends KeyValue = KeyValue> {
  direction: 'after' | 'before'
  key: K[] | null
  limit: number
}

export interface Rows<T> {
  /** In list order, at most `limit`. */
  rows: T[]
  /** Whether more rows lie beyond the page in the direction of the seek. */
  hasMore: boolean
}

/** The columns a list is ordered and sought by: one unique column, or several that are unique together. */
export type KeyColumns = string | readonly [string, ...string[]]

/**
 * Reads one keyset page instead of OFFSET: page 99,000 costs what page 1 costs, and rows inserted or deleted
 * between pages never make a walk skip or repeat a surviving row. `order` is the list's order on every key
 * column: `desc` lists newest first when the key sorts by creation (ids do, as does (time, id)).
 */
export async function seekPage<DB, TB extends keyof DB, O>(
  query: SelectQueryBuilder<DB, TB, O>,
  columns: KeyColumns,
  seek: Seek,
  order: 'asc' | 'desc' = 'asc',
): Promise<Rows<O>> {
  const keyColumns = typeof columns === 'string' ? [columns] : columns
  // biome-ignore lint/suspicious/noExplicitAny: the key columns are checked by the callers' queries, not here.
  let page = query as SelectQueryBuilder<any, any, O>
  const forward = seek.direction === 'after'
  const ascending = forward === (order === 'asc')
  if (seek.key !== null) page = page.where(beyond(keyColumns, seek.key, ascending ? '>' : '<'))
  for (const column of keyColumns) page = page.orderBy(column, ascending ? 'asc' : 'desc')
  return trimmed(await page.limit(seek.limit + 1).execute(), seek.limit, forward)
}

/**
 * The rows past `key` in reading order: a plain `col > ?` for one column; for several a row-value comparison,
 * not `t < x OR (t = x AND id < y)`: PostgreSQL turns the tuple into an index range bound, where the OR form
 * scans from the newest row (935 ms vs 0.1 ms, 10M audit events deep).
 */
function beyond(columns: readonly string[], key: readonly KeyValue[], op: '>' | '<'): Expression<SqlBool> {
  if (key.length !== columns.length) throw new Error(`A key of ${key.length} values cannot seek ${columns.length} key columns`)
  const refs = columns.map((c) => sql.ref(c))
  return columns.length === 1
    ? sql<SqlBool>`${refs[0]} ${sql.raw(op)} ${key[0]}`
    : sql<SqlBool>`(${sql.join(refs)}) ${sql.raw(op)} (${sql.join(key)})`
}

/** A page read one row long, in read order: drop the extra row (it says there is more), put it in list order. */
function trimmed<T>(rows: T[], limit: number, inListOrder: boolean): Rows<T> {
  const hasMore = rows.length > limit
  if (hasMore) rows.pop()
  if (!inListOrder) rows.reverse()
  return { rows, hasMore }
}

/** Rows a walk reads per page unless its caller says otherwise. */
export const WALK_PAGE = 1000

/**
 * Walks a keyset list from its start to its end, one `read` per page, each continuing after the last row of the
 * one before. Yields each page as `read` answered it: a read may carry more than its rows (what it presented
 * with them in the same transaction).
 */
export async function* pages<P extends Rows<unknown>>(
  read: (seek: Seek) => Promise<P>,
  keyOf: (row: P['rows'][number]) => KeyValue[],
  limit = WALK_PAGE,
): AsyncGenerator<P> {
  for (let key: KeyValue[] | null = null; ; ) {
    const page = await read({ direction: 'after', key, limit })
    yield page
    const last = page.rows.at(-1)
    if (!page.hasMore || last === undefined) return
    key = keyOf(last)
  }
}

/** Every row of a keyset list, read a page at a time (see `pages`). */
export async function allPages<T>(read: (seek: Seek) => Promise<Rows<T>>, keyOf: (row: T) => KeyValue[], limit = WALK_PAGE): Promise<T[]> {
  const all: T[] = []
  for await (const page of pages(read, keyOf, limit)) all.push(...page.rows)
  return all
}
