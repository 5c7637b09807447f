import { type FormEvent, useState } from 'react'
import { type ApiProblem, api, must } from '../../api/client'
import { useAction } from '../../components/action'
import { Field } from '../../components/field'
import { shownValue, useLoaded } from '../../components/loaded'
import { FormError, PageHeader, ProblemNotice } from '../../components/page'
import { Pager, rangeOf, usePaging } from '../../components/pager'
import { SearchBox } from '../../components/search-box'
import { TableWrap } from '../../components/table-wrap'
import { plural } from '../../format'
import { Link, navigate, paths } from '../../router'
import { useWorkspace } from '../../workspace'

const PAGE_SIZE = 20

/** Whether the server refused because the workspace's plan has no User Groups. */
export function isPlanProblem(problem: ApiProblem): boolean {
  return problem.status === 400 && (problem.data as { feature?: unknown } | undefined)?.feature === 'User Groups'
}

/** Access Management → User Groups: search, pages, and a form to create one (owners, Business plan). */
export function GroupsPage({ workspaceId }: { workspaceId: string }) {
  const workspace = useWorkspace()
  const workspaceName = workspace?.state.status === 'ready' ? workspace.state.value.workspace.name : 'this workspace'
  const paging = usePaging({ search: '' })
  const { filters, cursor, pagesBefore } = paging
  const { search } = filters
  const state = useLoaded(() => {
    const query = { count: PAGE_SIZE, ...(search ? { search } : {}), ...(cursor ? { cursor } : {}) }
    return must(api.GET('/console/api/workspaces/{workspaceId}/groups', { params: { path: { workspaceId }, query } }))
  }, [workspaceId, search, cursor])

  const page = shownValue(state)
  const total = page?.pagination.totalEntries
  const first = pagesBefore * PAGE_SIZE + 1

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
      <SearchBox
        name="User groups"
        label="Search groups"
        placeholder="Group name"
        onSearch={(typed) => paging.filter((f) => (f.search === typed ? f : { search: typed }))}
        status={total === undefined ? '' : `${plural(total, 'group')}${search ? ' found' : ''}`}
      />
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
        <Pager
          label="Pages of user groups"
          range={rangeOf(first, page.groups.length, total)}
          busy={state.status === 'loading'}
          onPrevious={paging.previous}
          onNext={paging.nextTo(page.pagination.next)}
        />
      )}
    </>
  )
}

/** A name, then the new group's page (where members and roles are added). */
function CreateGroup({ workspaceId }: { workspaceId: string }) {
  const [name, setName] = useState('')
  const { busy, problem, runAndLeave } = useAction()
  const submit = (event: FormEvent) => {
    event.preventDefault()
    return runAndLeave(async () => {
      const { group } = await must(
        api.POST('/console/api/workspaces/{workspaceId}/groups', { params: { path: { workspaceId } }, body: { name } }),
      )
      navigate(paths.group(workspaceId, group.id))
    })
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
