import { type FormEvent, useId, useState } from 'react'
import { type Answer, api, must } from '../../api/client'
import { shownValue, useLoaded } from '../../components/loaded'
import { Loading, PageHeader, ProblemNotice } from '../../components/page'
import { Pager, usePaging } from '../../components/pager'
import { TableWrap } from '../../components/table-wrap'
import { formatDate } from '../../format'

type AuditPage = Answer<'/console/api/workspaces/{workspaceId}/audit', 'get'>
type AuditEvent = AuditPage['events'][number]

const PAGE_SIZE = 25

/** What the filter form holds: dates are whole days in UTC, `to` included. */
interface Filters {
  type: string
  actor: string
  resource: string
  from: string
  to: string
}
const NO_FILTERS: Filters = { type: '', actor: '', resource: '', from: '', to: '' }

/** The API's query for the filters: `from` is the first day's start, `to` the start of the day after the last. */
function queryOf(f: Filters) {
  const dayAfter = (day: string) => new Date(Date.parse(`${day}T00:00:00Z`) + 86_400_000).toISOString()
  return {
    ...(f.type ? { type: [f.type] } : {}),
    ...(f.actor.trim() ? { actor: f.actor.trim() } : {}),
    ...(f.resource.trim() ? { resource: f.resource.trim() } : {}),
    ...(f.from ? { from: `${f.from}T00:00:00.000Z` } : {}),
    ...(f.to ? { to: dayAfter(f.to) } : {}),
  }
}

/** The CSV download of the same filters (a plain link: the browser saves what the server streams). */
function csvHref(workspaceId: string, f: Filters): string {
  const params = new URLSearchParams()
  for (const [key, value] of Object.entries(queryOf(f))) for (const v of Array.isArray(value) ? value : [value]) params.append(key, v)
  const query = params.toString()
  return `/console/api/workspaces/${encodeURIComponent(workspaceId)}/audit.csv${query ? `?${query}` : ''}`
}

/** Settings → Audit Trail: every change in the workspace, filtered, paged, and exported as CSV. */
export function AuditPage({ workspaceId }: { workspaceId: string }) {
  const [form, setForm] = useState<Filters>(NO_FILTERS)
  const paging = usePaging(NO_FILTERS)
  const ids = { type: useId(), actor: useId(), resource: useId(), from: useId(), to: useId() }
  const { filters, cursor } = paging
  const eventTypes = useLoaded(
    () => must(api.GET('/console/api/workspaces/{workspaceId}/audit/event-types', { params: { path: { workspaceId } } })),
    [workspaceId],
  )
  const types = shownValue(eventTypes)?.types ?? []
  // `filters` by identity: applying the same filters again asks again, from the first page.
  const state = useLoaded(() => {
    const params = { path: { workspaceId }, query: { count: PAGE_SIZE, ...queryOf(filters), ...(cursor ? { cursor } : {}) } }
    return must(api.GET('/console/api/workspaces/{workspaceId}/audit', { params }))
  }, [workspaceId, filters, cursor])

  const page = shownValue(state)
  const filtered = Object.values(filters).some((v) => v !== '')
  const apply = (event: FormEvent) => {
    event.preventDefault()
    // A copy: applying the same filters again still goes back to the first page.
    paging.filter(() => ({ ...form }))
  }
  const clear = () => {
    setForm(NO_FILTERS)
    paging.filter(() => ({ ...NO_FILTERS }))
  }

  if (state.status === 'failed' && state.problem.status === 403)
    return (
      <>
        <PageHeader eyebrow="Settings" title="Audit Trail" />
        <ProblemNotice problem={state.problem}>
          <p>Only workspace owners read the audit trail.</p>
        </ProblemNotice>
      </>
    )

  return (
    <>
      <PageHeader
        eyebrow="Settings"
        title="Audit Trail"
        description="Every change made in this workspace, by whom and when, newest first."
        actions={
          <a className="btn" href={csvHref(workspaceId, filters)} download>
            Export CSV
          </a>
        }
      />
      {page && !page.included && (
        <div className="notice notice-info">
          <p className="notice-title">A Business feature in Segment</p>
          <p>
            Segment includes the Audit Trail on its Business plan only. Gatehouse records the trail on every plan, as its Public API's audit
            route does, so it is here to read and export.
          </p>
        </div>
      )}
      <form className="toolbar audit-filters" onSubmit={apply} aria-label="Filter the audit trail">
        <div className="toolbar-filters">
          <div className="toolbar-field">
            <label htmlFor={ids.type}>Event type</label>
            <select id={ids.type} value={form.type} onChange={(e) => setForm({ ...form, type: e.target.value })}>
              <option value="">All events</option>
              {types.map((t) => (
                <option key={t} value={t}>
                  {t}
                </option>
              ))}
            </select>
          </div>
          <div className="toolbar-field">
            <label htmlFor={ids.actor}>Actor</label>
            <input
              id={ids.actor}
              type="search"
              placeholder="Email or id"
              value={form.actor}
              onChange={(e) => setForm({ ...form, actor: e.target.value })}
            />
          </div>
          <div className="toolbar-field">
            <label htmlFor={ids.resource}>Resource</label>
            <input
              id={ids.resource}
              type="search"
              placeholder="Name or id"
              value={form.resource}
              onChange={(e) => setForm({ ...form, resource: e.target.value })}
            />
          </div>
          <div className="toolbar-field">
            <label htmlFor={ids.from}>From (UTC)</label>
            <input id={ids.from} type="date" value={form.from} onChange={(e) => setForm({ ...form, from: e.target.value })} />
          </div>
          <div className="toolbar-field">
            <label htmlFor={ids.to}>To (UTC)</label>
            <input id={ids.to} type="date" value={form.to} onChange={(e) => setForm({ ...form, to: e.target.value })} />
          </div>
          <div className="toolbar-field toolbar-buttons">
            <button type="submit" className="btn btn-primary">
              Apply filters
            </button>
            <button type="button" className="btn btn-quiet" onClick={clear} disabled={!filtered && form === NO_FILTERS}>
              Clear
            </button>
          </div>
        </div>
      </form>

      {state.status === 'failed' && <ProblemNotice problem={state.problem} />}
      {page && (
        <TableWrap label="Audit events">
          <table className="table" aria-busy={state.status === 'loading'} aria-label="Audit events">
            <thead>
              <tr>
                <th scope="col">Time</th>
                <th scope="col">Event</th>
                <th scope="col">Actor</th>
                <th scope="col">Resource</th>
              </tr>
            </thead>
            <tbody>
              {page.events.length === 0 ? (
                <tr>
                  <td colSpan={4} className="table-empty">
                    {filtered ? 'No events match these filters.' : 'Nothing has happened in this workspace yet.'}
                  </td>
                </tr>
              ) : (
                page.events.map((e) => <EventRow key={e.id} event={e} />)
              )}
            </tbody>
          </table>
        </TableWrap>
      )}
      {!page && state.status === 'loading' && <Loading label="Loading the audit trail…" />}
      {page && (page.pagination.next || paging.previous) && (
        <Pager
          label="Pages of audit events"
          range={`Page ${paging.pagesBefore + 1}`}
          busy={state.status === 'loading'}
          onPrevious={paging.previous}
          onNext={paging.nextTo(page.pagination.next)}
        />
      )}
    </>
  )
}

function EventRow({ event }: { event: AuditEvent }) {
  return (
    <tr>
      <td className="nowrap">{formatDate(event.timestamp)}</td>
      <td>{event.type}</td>
      <td>{event.actorEmail ?? <span className="muted">{event.actor}</span>}</td>
      <td>
        {event.resourceName || event.resourceId}
        <br />
        <span className="muted">
          {event.resourceType} · {event.resourceId}
        </span>
      </td>
    </tr>
  )
}
