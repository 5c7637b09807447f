import { useState } from 'react'

/**
 * Paging through a list the server answers a page at a time: the filters, the cursor of the page shown, and the
 * cursors of the pages before it (the way back). New filters start again from the first page.
 */
export function usePaging<F>(initial: F) {
  const [query, setQuery] = useState<{ filters: F; cursor?: string; trail: (string | undefined)[] }>({ filters: initial, trail: [] })
  const { filters, cursor, trail } = query
  return {
    filters,
    cursor,
    pagesBefore: trail.length,
    /** Changes the filters; an answer of the same filters (the same object) stays on the page shown. */
    filter: (change: (filters: F) => F) =>
      setQuery((q) => {
        const next = change(q.filters)
        return next === q.filters ? q : { filters: next, trail: [] }
      }),
    /** Back a page, or nothing on the first page. */
    previous:
      trail.length === 0
        ? undefined
        : () => {
            const previous = trail[trail.length - 1]
            setQuery({ filters, trail: trail.slice(0, -1), ...(previous === undefined ? {} : { cursor: previous }) })
          },
    /** On to the page of the server's `next` cursor, or nothing on the last page. */
    nextTo: (next: string | null | undefined) => (next ? () => setQuery({ filters, cursor: next, trail: [...trail, cursor] }) : undefined),
  }
}

/** "21–40 of 75" for a page of `count` rows starting at row `first`; nothing for an empty page. */
export function rangeOf(first: number, count: number, total: number | undefined): string {
  return count === 0 ? '' : `${first}–${first + count - 1} of ${total}`
}

/** Previous and Next under a list; a button without its move is disabled, both are while the next page loads. */
export function Pager({
  label,
  range,
  busy = false,
  onPrevious,
  onNext,
}: {
  /** What the navigation is called ("Pages of users"). */
  label: string
  /** Where the page is in the list ("1–20 of 75", "Page 2"). */
  range?: string
  busy?: boolean
  onPrevious: (() => void) | undefined
  onNext: (() => void) | undefined
}) {
  return (
    <nav className="pager" aria-label={label}>
      {range !== undefined && <p className="pager-range">{range}</p>}
      <div className="pager-buttons">
        <button type="button" className="btn" disabled={!onPrevious || busy} onClick={onPrevious}>
          Previous
        </button>
        <button type="button" className="btn" disabled={!onNext || busy} onClick={onNext}>
          Next
        </button>
      </div>
    </nav>
  )
}
