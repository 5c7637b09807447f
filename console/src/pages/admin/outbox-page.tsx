import { type ReactNode, useEffect, useId, useRef, useState } from 'react'
import { type Answer, type ApiProblem, api, asProblem, must } from '../../api/client'
import { shownValue, useLoaded } from '../../components/loaded'
import { FormError, Loading, PageHeader, ProblemNotice } from '../../components/page'
import { Pager, rangeOf, usePaging } from '../../components/pager'
import { TableWrap } from '../../components/table-wrap'
import { formatDate, plural } from '../../format'

type OutboxPage = Answer<'/console/api/instance/outbox', 'get'>
type Message = OutboxPage['messages'][number]
type Status = Message['status']
type Shown = { page: OutboxPage; offset: number }

const PAGE_SIZE = 20
const STATUSES: [Status, string][] = [
  ['pending', 'Waiting'],
  ['sending', 'Sending'],
  ['sent', 'Sent'],
  ['failed', 'Failed'],
]
const statusWord = (status: Status) => STATUSES.find(([s]) => s === status)?.[1] ?? status
const STATUS_BADGE: Record<Status, string> = {
  pending: 'badge-pending',
  sending: 'badge-current',
  sent: 'badge-live',
  failed: 'badge-warning',
}

/** Instance → Outbox: every message the server queued, how it went, and (for instance admins only) its text. */
export function OutboxPage() {
  const paging = usePaging({ status: '' as Status | '' })
  const { filters, cursor, pagesBefore } = paging
  const { status } = filters
  const [open, setOpen] = useState<string>()
  /** A count of retries: the list is asked again. */
  const [changes, setChanges] = useState(0)
  const statusId = useId()
  const state = useLoaded(async (): Promise<Shown> => {
    const offset = pagesBefore * PAGE_SIZE
    const query = { count: PAGE_SIZE, ...(status ? { status } : {}), ...(cursor ? { cursor } : {}) }
    return { page: await must(api.GET('/console/api/instance/outbox', { params: { query } })), offset }
  }, [status, cursor, pagesBefore, changes])

  const shown = shownValue(state)
  const page = shown?.page
  const total = page?.pagination.totalEntries

  if (state.status === 'failed' && state.problem.status === 403)
    return (
      <>
        <PageHeader eyebrow="Instance" title="Outbox" />
        <ProblemNotice problem={state.problem}>
          <p>Only the instance admins of this server see its outbox.</p>
        </ProblemNotice>
      </>
    )

  return (
    <>
      <PageHeader
        eyebrow="Instance"
        title="Outbox"
        description="Every email this server queued: invitations, password links, security codes and notices. Without SMTP they wait here, and the text of a message is how you hand a person their link."
      />
      <div className="toolbar">
        <search className="toolbar-filters" aria-label="Outbox">
          <div className="toolbar-field">
            <label htmlFor={statusId}>Status</label>
            <select id={statusId} value={status} onChange={(e) => paging.filter((f) => ({ ...f, status: e.target.value as Status | '' }))}>
              <option value="">All messages</option>
              {STATUSES.map(([value, word]) => (
                <option key={value} value={value}>
                  {word}
                </option>
              ))}
            </select>
          </div>
        </search>
        <p className="toolbar-count" role="status">
          {total === undefined ? '' : plural(total, 'message')}
        </p>
      </div>

      {state.status === 'failed' && <ProblemNotice problem={state.problem} />}
      {open && <MessageView key={open} messageId={open} onClose={() => setOpen(undefined)} onRetried={() => setChanges((n) => n + 1)} />}
      {page && (
        <TableWrap label="Outbox messages">
          <table className="table" aria-busy={state.status === 'loading'} aria-label="Outbox messages">
            <thead>
              <tr>
                <th scope="col">To</th>
                <th scope="col">Kind</th>
                <th scope="col">Subject</th>
                <th scope="col">Status</th>
                <th scope="col">Attempts</th>
                <th scope="col">Created</th>
              </tr>
            </thead>
            <tbody>
              {page.messages.length === 0 ? (
                <tr>
                  <td colSpan={6} className="table-empty">
                    {status ? `No ${statusWord(status).toLowerCase()} messages.` : 'No mail has been queued yet.'}
                  </td>
                </tr>
              ) : (
                page.messages.map((m) => (
                  <MessageRow key={m.id} message={m} onOpen={() => setOpen(m.id)} onRetried={() => setChanges((n) => n + 1)} />
                ))
              )}
            </tbody>
          </table>
        </TableWrap>
      )}
      {!page && state.status === 'loading' && <Loading label="Loading the outbox…" />}
      {page && (total ?? 0) > 0 && (
        <Pager
          label="Pages of messages"
          range={rangeOf((shown?.offset ?? 0) + 1, page.messages.length, total)}
          busy={state.status === 'loading'}
          onPrevious={paging.previous}
          onNext={paging.nextTo(page.pagination.next)}
        />
      )}
    </>
  )
}

function StatusBadge({ status }: { status: Status }) {
  return <span className={`badge ${STATUS_BADGE[status]}`}>{statusWord(status)}</span>
}

function MessageRow({ message, onOpen, onRetried }: { message: Message; onOpen: () => void; onRetried: () => void }) {
  return (
    <tr>
      <td>{message.to}</td>
      <td>{message.kind}</td>
      <td>
        <button type="button" className="link-button" onClick={onOpen} aria-label={`Read “${message.subject}” to ${message.to}`}>
          {message.subject}
        </button>
      </td>
      <td>
        <StatusBadge status={message.status} />
        {message.last_error && <span className="outbox-error">{message.last_error}</span>}
        {message.status === 'failed' && <RetryButton message={message} onRetried={onRetried} />}
      </td>
      <td>{message.attempts}</td>
      <td className="nowrap">{formatDate(message.created_at)}</td>
    </tr>
  )
}

function RetryButton({ message, onRetried }: { message: Pick<Message, 'id' | 'to'>; onRetried: () => void }) {
  const [busy, setBusy] = useState(false)
  const [problem, setProblem] = useState<ApiProblem>()
  const retry = async () => {
    setBusy(true)
    setProblem(undefined)
    try {
      await must(api.POST('/console/api/instance/outbox/{messageId}/retry', { params: { path: { messageId: message.id } } }))
      onRetried()
    } catch (error) {
      setProblem(asProblem(error))
    }
    setBusy(false)
  }
  return (
    <>
      <button type="button" className="btn btn-small" onClick={retry} disabled={busy}>
        Retry<span className="visually-hidden"> the message to {message.to}</span>
      </button>
      {problem && <FormError problem={problem} />}
    </>
  )
}

/** The message's text, never its HTML: web addresses become links whose text is the address itself. */
function LinkedText({ text }: { text: string }) {
  const parts: ReactNode[] = []
  let last = 0
  for (const found of text.matchAll(/https?:\/\/[^\s<>"]+/g)) {
    const at = found.index ?? 0
    parts.push(text.slice(last, at))
    parts.push(
      <a key={at} href={found[0]} target="_blank" rel="noreferrer noopener">
        {found[0]}
      </a>,
    )
    last = at + found[0].length
  }
  parts.push(text.slice(last))
  return <pre className="mail-text">{parts}</pre>
}

function MessageView({ messageId, onClose, onRetried }: { messageId: string; onClose: () => void; onRetried: () => void }) {
  const state = useLoaded(
    async () => (await must(api.GET('/console/api/instance/outbox/{messageId}', { params: { path: { messageId } } }))).message,
    [messageId],
  )
  const heading = useRef<HTMLHeadingElement>(null)
  useEffect(() => {
    if (state.status === 'ready') heading.current?.focus()
  }, [state.status])

  if (state.status === 'loading') return <Loading label="Loading the message…" />
  if (state.status === 'failed') return <ProblemNotice problem={state.problem} />
  const message = state.value
  return (
    <section className="card mail-view" aria-labelledby="mail-view-heading">
      <div className="card-header user-detail-header">
        <div>
          <h2 id="mail-view-heading" className="card-title" ref={heading} tabIndex={-1}>
            {message.subject}
          </h2>
          <p className="card-description">
            To {message.to} · {message.kind} · <StatusBadge status={message.status} />
          </p>
        </div>
        <div className="toolbar-buttons">
          {message.status === 'failed' && <RetryButton message={message} onRetried={onRetried} />}
          <button type="button" className="btn btn-quiet" onClick={onClose}>
            Close<span className="visually-hidden"> the message</span>
          </button>
        </div>
      </div>
      <div className="card-body">
        <dl className="facts">
          <div>
            <dt>Created</dt>
            <dd>{formatDate(message.created_at)}</dd>
          </div>
          <div>
            <dt>Attempts</dt>
            <dd>{message.attempts}</dd>
          </div>
          {message.sent_at && (
            <div>
              <dt>Sent</dt>
              <dd>{formatDate(message.sent_at)}</dd>
            </div>
          )}
          {message.last_error && (
            <div>
              <dt>Last error</dt>
              <dd>{message.last_error}</dd>
            </div>
          )}
        </dl>
        <p className="field-hint">Its link works once, for the person it was sent to: hand it to them, do not use it yourself.</p>
        <LinkedText text={message.text} />
      </div>
    </section>
  )
}
