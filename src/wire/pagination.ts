import { type Static, Type } from '@sinclair/typebox'
import type { CursorCodec, Position } from './cursor.js'

export const DEFAULT_PAGE_SIZE = 200
export const MAX_PAGE_SIZE = 1000

export const PaginationInput = Type.Object(
  {
    cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 2048 })),
    count: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_PAGE_SIZE, default: DEFAULT_PAGE_SIZE })),
  },
  { additionalProperties: false },
)
export type PaginationInput = Static<typeof PaginationInput>

export const PaginationOutput = Type.Object({
  current: Type.String(),
  next: Type.Union([Type.String(), Type.Null()]),
  previous: Type.Union([Type.String(), Type.Null()]),
  /** Omitted where counting is costly (the audit trail), as Segment's docs allow. */
  totalEntries: Type.Optional(Type.Integer()),
})
export type PaginationOutput = Static<typeof PaginationOutput>

/** The query string of every paginated list. */
export const PageQuery = Type.Object({ pagination: Type.Optional(PaginationInput) })

export interface PageFetch<T> {
  rows: T[]
  hasMore: boolean
}

export interface Paginated<T> {
  items: T[]
  pagination: PaginationOutput
}

/**
 * Runs one keyset page of `list` and builds Segment's pagination block. `fetch` reads at most
 * `limit` rows after/before the key; `keyOf` gives the key a row is sought by.
 */
export async function paginate<T>(
  codec: CursorCodec,
  list: string,
  input: PaginationInput | undefined,
  fetch: (position: Position, limit: number) => Promise<PageFetch<T>>,
  keyOf: (row: T) => string[],
  countAll: (() => Promise<number>) | undefined,
): Promise<Paginated<T>> {
  const limit = input?.count ?? DEFAULT_PAGE_SIZE
  const position: Position = input?.cursor ? codec.decode(list, input.cursor) : { direction: 'after', key: null }
  const [{ rows, hasMore }, totalEntries] = await Promise.all([fetch(position, limit), countAll?.()])
  const first = rows[0]
  const last = rows[rows.length - 1]
  const cursor = (p: Position) => codec.encode(list, p)
  let next: string | null
  let previous: string | null
  if (position.direction === 'after') {
    next = hasMore && last ? cursor({ direction: 'after', key: keyOf(last) }) : null
    previous = position.key === null ? null : cursor({ direction: 'before', key: first ? keyOf(first) : position.key })
  } else {
    previous = hasMore && first ? cursor({ direction: 'before', key: keyOf(first) }) : null
    next = cursor({ direction: 'after', key: last ? keyOf(last) : (position.key as string[]) })
  }
  return { items: rows, pagination: { current: cursor(position), next, previous, ...(totalEntries === undefined ? {} : { totalEntries }) } }
}

/** The single-key Seek the store's `seekPage` takes. */
export function seekOf(position: Position, limit: number) {
  return { direction: position.direction, key: position.key?.[0] ?? null, limit }
}
