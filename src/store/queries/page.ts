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
): Promise<Rows<O>> {
  // biome-ignore lint/suspicious/noExplicitAny: see above
  const q = query as SelectQueryBuilder<any, any, O>
  const forward = seek.direction === 'after'
  let page = q.orderBy(column, forward ? 'asc' : 'desc').limit(seek.limit + 1)
  if (seek.key !== null) page = page.where(column, forward ? '>' : '<', seek.key)
  const rows = await page.execute()
  const hasMore = rows.length > seek.limit
  if (hasMore) rows.pop()
  if (!forward) rows.reverse()
  return { rows, hasMore }
}
