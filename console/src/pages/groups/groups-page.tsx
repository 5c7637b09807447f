import { type FormEvent, useEffect, useId, useState } from 'react'
import { type Answer, type ApiProblem, api, asProblem, must } from '../../api/client'
import { Field } from '../../components/field'
import { FormError, PageHeader, ProblemNotice } from '../../components/page'
import { TableWrap } from '../../components/table-wrap'
import { Link, navigate, paths } from '../../router'
import { useWorkspace } from '../../workspace'

type GroupsPage = Answer<'/console/api/workspaces/{workspaceId}/groups', 'get'>

const PAGE_SIZE = 20

/** Whether the server refused because the workspace's plan has no User Groups. */
export function isPlanProblem(problem: ApiProblem): boolean {
  return problem.status === 400 && (problem.data as { feature?: unknown } | undefined)?.feature === 'User Groups'
}

/** Access Management → User Groups: search, pages, and a form to create one (owners, Business plan). */
export function GroupsPage({ workspaceId }: { workspaceId: string }) {
  const workspace = useWorkspace()
  const workspaceName = workspace?.state.status === 'ready' ? workspace.state.access.workspace.name : 'this workspace'
  const [typed, setTyped] = useState('')
  const [query, setQuery] = useState<{ search: string; cursor?: string; trail: (string | undefined)[] }>({ search: '', trail: [] })
  const { search, cursor, trail } = query
  const [state, setState] = useState<
    { status: 'loading'; last?: GroupsPage } | { status: 'failed'; problem: ApiProblem } | { status: 'ready'; page: GroupsPage }
  >({ status: 'loading' })
  const searchId = useId()

  useEffect(() => {
    const timer = setTimeout(() => {
      const search = typed.trim()
      setQuery((q) => (q.search === search ? q : { search, trail: [] }))
    }, 250)
    return () => clearTimeout(timer)
  }, [typed])

  useEffect(() => {
    let current = true
    setState((was) => ({ status: 'loading', ...(was.status === 'ready' ? { last: was.page } : {}) }))
    const query = { count: PAGE_SIZE, ...(search ? { search } : {}), ...(cursor ? { cursor } : {}) }
    must(api.GET('/console/api/workspaces/{workspaceId}/groups', { params: { path: { workspaceId }, query } })).then(
      (page) => current && setState({ status: 'ready', page }),
      (error: unknown) => current && setState({ status: 'failed', problem: asProblem(error) }),
    )
    return () => {
      current = false
    }
  }, [workspaceId, search, cursor])

  const page = state.status === 'ready' ? state.page : state.status === 'loading' ? state.last : undefined
  const total = page?.pagination.totalEntries
  const first = trail.length * PAGE_SIZE + 1

  if (state.status === 'failed' && (state.problem.status === 403 || isPlanProblem(state.problem)))
    return (
      <>
        <PageHeader eyebrow="Access Management" title="User Groups" />
        <ProblemNotice problem={state.problem}>
          <p>
            {state.problem.status === 403
              ? 'Only workspace owners manage user groups. Your own groups are under My access.'
              : 'User groups give several people the same roles at once; they come with the Business plan.'}
          </p>
        </ProblemNotice>
      </>
    )

  return (
    <>
      <PageHeader
        eyebrow="Access Management"
        title="User Groups"
        description={`Groups of people in ${workspaceName}: every member holds the roles of the group.`}
      />
      <CreateGroup workspaceId={workspaceId} />
      <div className="toolbar">
        <search className="toolbar-filters" aria-label="User groups">
          <div className="toolbar-field toolbar-search">
            <label htmlFor={searchId}>Search groups</label>
            <input
              id={searchId}
              type="search"
              placeholder="Group name"
              value={typed}
              onChange={(e) => setTyped(e.target.value)}
              autoComplete="off"
            />
          </div>
        </search>
        <p className="toolbar-count" role="status">
          {total === undefined ? '' : `${total} ${total === 1 ? 'group' : 'groups'}${search ? ' found' : ''}`}
        </p>
      </div>
      {state.status === 'failed' && <ProblemNotice problem={state.problem} />}
      {page && (
        <TableWrap label={`User groups of ${workspaceName}`}>
          <table className="table" aria-busy={state.status === 'loading'} aria-label={`User groups of ${workspaceName}`}>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Members</th>
                <th scope="col">Pending invites</th>
              </tr>
            </thead>
            <tbody>
              {page.groups.length === 0 ? (
                <tr>
                  <td colSpan={3} className="table-empty">
                    {search ? 'No groups match this search.' : 'This workspace has no user groups yet.'}
                  </td>
                </tr>
              ) : (
                page.groups.map((g) => (
                  <tr key={g.id}>
                    <td>
                      <Link to={paths.group(workspaceId, g.id)}>{g.name}</Link>
                    </td>
                    <td>{g.memberCount}</td>
                    <td>{g.inviteCount}</td>
                  </tr>
                ))
              )}
            </tbody>
          </table>
        </TableWrap>
      )}
      {page && (total ?? 0) > 0 && (
        <nav className="pager" aria-label="Pages of user groups">
          <p className="pager-range">{page.groups.length === 0 ? '' : `${first}–${first + page.groups.length - 1} of ${total}`}</p>
          <div className="pager-buttons">
            <button
              type="button"
              className="btn"
              disabled={trail.length === 0 || state.status === 'loading'}
              onClick={() => {
                const previous = trail[trail.length - 1]
                setQuery({ search, trail: trail.slice(0, -1), ...(previous === undefined ? {} : { cursor: previous }) })
              }}
            >
              Previous
            </button>
            <button
              type="button"
              className="btn"
              disabled={!page.pagination.next || state.status === 'loading'}
              onClick={() => {
                const next = page.pagination.next
                if (next) setQuery({ search, cursor: next, trail: [...trail, cursor] })
              }}
            >
              Next
            </button>
          </div>
        </nav>
      )}
    </>
  )
}

/** A name, then the new group's page (where members and roles are added). */
function CreateGroup({ workspaceId }: { workspaceId: string }) {
  const [name, setName] = useState('')
  const [busy, setBusy] = useState(false)
  const [problem, setProblem] = useState<ApiProblem>()
  const submit = async (event: FormEvent) => {
    event.preventDefault()
    setBusy(true)
    setProblem(undefined)
    try {
      const { group } = await must(
        api.POST('/console/api/workspaces/{workspaceId}/groups', { params: { path: { workspaceId } }, body: { name } }),
      )
      navigate(paths.group(workspaceId, group.id))
    } catch (error) {
      setProblem(asProblem(error))
      setBusy(false)
    }
  }
  return (
    <section className="card" aria-labelledby="create-group-heading">
      <div className="card-header">
        <h2 id="create-group-heading" className="card-title">
          Create a user group
        </h2>
      </div>
      <form className="form card-body" onSubmit={submit}>
        <div className="form-row">
          <Field
            label="Group name"
            value={name}
            onChange={(e) => setName(e.target.value)}
            required
            maxLength={255}
            autoComplete="off"
            error={problem?.field === 'name' ? problem.message : undefined}
          />
          <button type="submit" className="btn btn-primary" disabled={busy || name.trim() === ''}>
            Create group
          </button>
        </div>
        {problem && problem.field !== 'name' && <FormError problem={problem} />}
      </form>
    </section>
  )
}
