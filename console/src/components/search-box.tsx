import { type ReactNode, useEffect, useId, useRef, useState } from 'react'

/**
 * A list's toolbar: a search field (and any other filters, as children) and a status line that says how many were
 * found. `onSearch` gets the trimmed text once typing has settled for a moment, so each keystroke is not a request.
 */
export function SearchBox({
  name,
  label,
  placeholder,
  onSearch,
  status,
  inCard = false,
  children,
}: {
  /** The search region's name for screen readers ("Users"). */
  name: string
  /** The field's label ("Search users"). */
  label: string
  placeholder: string
  onSearch: (search: string) => void
  /** How many were found ("3 users found"); empty until the first answer. */
  status: string
  /** Inside a card, the toolbar takes the card's padding. */
  inCard?: boolean
  children?: ReactNode
}) {
  const id = useId()
  const [typed, setTyped] = useState('')
  const latest = useRef(onSearch)
  useEffect(() => {
    latest.current = onSearch
  })
  useEffect(() => {
    const timer = setTimeout(() => latest.current(typed.trim()), 250)
    return () => clearTimeout(timer)
  }, [typed])
  return (
    <div className={inCard ? 'toolbar toolbar-card' : 'toolbar'}>
      <search className="toolbar-filters" aria-label={name}>
        <div className="toolbar-field toolbar-search">
          <label htmlFor={id}>{label}</label>
          <input
            id={id}
            type="search"
            placeholder={placeholder}
            value={typed}
            onChange={(e) => setTyped(e.target.value)}
            autoComplete="off"
          />
        </div>
        {children}
      </search>
      <p className="toolbar-count" role="status">
        {status}
      </p>
    </div>
  )
}
