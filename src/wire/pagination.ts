import { type Static, Type } from '@sinclair/typebox'
import { ValidationError } from '../errors.js'
import type { Rows, Seek } from '../store/queries/page.js'
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

export interface Paginated<T> {
  items: T[]
  pagination: PaginationOutput
}

/** The query field that carries a list's cursor: Segment lists nest it, the directory's do not. */
export type CursorField = 'pagination.cursor' | 'cursor'

/** A keyset list as its cursors see it. */
export interface CursorList<T> {
  /** Signs the list's cursors, so one list refuses another's. A filtered list's name includes its filter. */
  name: string
  /** Named by the 422 for a cursor this list did not issue. */
  field: CursorField
  /** The key a row is sought by, one value per key column. */
  keyOf: (row: T) => string[]
  /** How many key values the list's cursors hold, when the list checks it. */
  width?: number
}

/** The cursors around one page: `current` reads it again, `next` and `previous` (null at either end) its neighbours. */
export interface PageCursors {
  current: string
  next: string | null
  previous: string | null
}

/**
 * The one cursor front end: a cursor string becomes the Seek the store reads, and the page read there becomes
 * the cursors around it. Segment's pagination block (`paginate`) and the directory's `{result, next_cursor}`
 * are both built from it; the cursors themselves are CursorCodec's, opaque and signed.
 */
export class ListCursors<T> {
  constructor(
    private readonly codec: CursorCodec,
    private readonly list: CursorList<T>,
  ) {}

  /** Where the page `cursor` names starts (the list's start without one); a cursor this list did not issue is a 422. */
  seek(cursor: string | undefined, limit: number): Seek<string> {
    if (!cursor) return { direction: 'after', key: null, limit }
    const position = this.codec.decode(this.list.name, cursor)
    const { width } = this.list
    if (position === undefined || (width !== undefined && position.key !== null && position.key.length !== width))
      throw new ValidationError(`${this.list.field} is not a cursor this list issued`, this.list.field)
    return { ...position, limit }
  }

  /** The cursors around `page`, read at `seek`: an empty page keeps the key it was sought from. */
  around(seek: Seek<string>, page: Rows<T>): PageCursors {
    const first = page.rows[0]
    const last = page.rows.at(-1)
    const at = (direction: Position['direction'], row: T | undefined) =>
      this.encode({ direction, key: row === undefined ? seek.key : this.list.keyOf(row) })
    const current = this.encode(seek)
    if (seek.direction === 'after')
      return {
        current,
        next: page.hasMore && last !== undefined ? at('after', last) : null,
        previous: seek.key === null ? null : at('before', first),
      }
    return { current, next: at('after', last), previous: page.hasMore && first !== undefined ? at('before', first) : null }
  }

  private encode({ direction, key }: Position): string {
    return this.codec.encode(this.list.name, { direction, key })
  }
}

/**
 * Runs one keyset page of `list` and builds Segment's pagination block. `fetch` reads at most `seek.limit`
 * rows after/before the key; `keyOf` gives the key a row is sought by.
 */
export async function paginate<T>(
  codec: CursorCodec,
  /** The list's name, or its name with the cursor field it reads (default `pagination.cursor`) and its key width. */
  list: string | { name: string; field?: CursorField; width?: number },
  input: PaginationInput | undefined,
  fetch: (seek: Seek<string>) => Promise<Rows<T>>,
  keyOf: (row: T) => string[],
  countAll: (() => Promise<number>) | undefined,
): Promise<Paginated<T>> {
  const cursors = new ListCursors(codec, { field: 'pagination.cursor', ...(typeof list === 'string' ? { name: list } : list), keyOf })
  const seek = cursors.seek(input?.cursor, input?.count ?? DEFAULT_PAGE_SIZE)
  const [page, totalEntries] = await Promise.all([fetch(seek), countAll?.()])
  const pagination = { ...cursors.around(seek, page), ...(totalEntries === undefined ? {} : { totalEntries }) }
  return { items: page.rows, pagination }
}
