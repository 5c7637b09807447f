import { useId, useState } from 'react'
import { type Answer, api, must } from '../../api/client'
import { GroupChips, RoleChips } from '../../components/chips'
import { shownValue, useLoaded } from '../../components/loaded'
import { Avatar, Loading, PageHeader, ProblemNotice } from '../../components/page'
import { Pager, rangeOf, usePaging } from '../../components/pager'
import { useRoles } from '../../components/permissions-editor'
import { SearchBox } from '../../components/search-box'
import { TableWrap } from '../../components/table-wrap'
import { plural } from '../../format'
import { useWorkspace } from '../../workspace'
import { UserDetail } from './user-detail'

type UsersPage = Answer<'/console/api/workspaces/{workspaceId}/users', 'get'>
/** A page of users and the position of its first row in the whole list. */
type Shown = { page: UsersPage; offset: number }
type User = UsersPage['users'][number]

const PAGE_SIZE = 20

/** Access Management → Users: everyone in the workspace with their roles and groups (owners and instance admins). */
export function UsersPage({ workspaceId }: { workspaceId: string }) {
  const workspace = useWorkspace()
  const workspaceName = workspace?.state.status === 'ready' ? workspace.state.value.workspace.name : 'this workspace'
  const paging = usePaging({ search: '', roleId: '' })
  const { filters, cursor, pagesBefore } = paging
  const { search, roleId } = filters
  const roles = useRoles(workspaceId)
  /** The user whose detail panel is open, and a count of changes made there (the list is asked again). */
  const [selected, setSelected] = useState<string>()
  const [changes, setChanges] = useState(0)
  const roleSelectId = useId()

  const state = useLoaded(async (): Promise<Shown> => {
    // The position of the page asked for travels with its answer: the range shown is always the rows shown.
    const offset = pagesBefore * PAGE_SIZE
    const query = {
      count: PAGE_SIZE,
      ...(search ? { search } : {}),
      ...(roleId ? { roleId } : {}),
      ...(cursor ? { cursor } : {}),
    }
    const page = await must(api.GET('/console/api/workspaces/{workspaceId}/users', { params: { path: { workspaceId }, query } }))
    return { page, offset }
  }, [workspaceId, search, roleId, cursor, pagesBefore, changes])

  const shown = shownValue(state)
  const page = shown?.page
  const roleOptions = roles.status === 'ready' ? roles.value.roles.map((r) => [r.id, r.name] as const) : []
  const csvQuery = new URLSearchParams({ ...(search ? { search } : {}), ...(roleId ? { roleId } : {}) }).toString()
  const csvHref = `/console/api/workspaces/${encodeURIComponent(workspaceId)}/users.csv${csvQuery ? `?${csvQuery}` : ''}`
  const first = (shown?.offset ?? 0) + 1
  const total = page?.pagination.totalEntries
  const filtered = search !== '' || roleId !== ''

  if (state.status === 'failed' && state.problem.status === 403)
    return (
      <>
        <PageHeader eyebrow="Access Management" title="Users" />
        <ProblemNotice problem={state.problem}>
          <p>Only workspace owners see everyone's access. Your own is under My access.</p>
        </ProblemNotice>
      </>
    )

  return (
    <>
      <PageHeader
        eyebrow="Access Management"
        title="Users"
        description={`Everyone in ${workspaceName}, with their roles and user groups.`}
        actions={
          <a className="btn" href={csvHref} download>
            Download CSV<span className="visually-hidden"> of {filtered ? 'the users found' : 'all users'}</span>
          </a>
        }
      />
      <SearchBox
        name="Users"
        label="Search users"
        placeholder="Name or email"
        onSearch={(search) => paging.filter((f) => (f.search === search ? f : { ...f, search }))}
        status={total === undefined ? '' : `${plural(total, 'user')}${filtered ? ' found' : ''}`}
      >
        <div className="toolbar-field">
          <label htmlFor={roleSelectId}>Role</label>
          <select id={roleSelectId} value={roleId} onChange={(e) => paging.filter((f) => ({ ...f, roleId: e.target.value }))}>
            <option value="">All roles</option>
            {roleOptions.map(([id, name]) => (
              <option key={id} value={id}>
                {name}
              </option>
            ))}
          </select>
        </div>
      </SearchBox>

      {state.status === 'failed' && <ProblemNotice problem={state.problem} />}
      {selected && (
        <UserDetail
          key={selected}
          workspaceId={workspaceId}
          userId={selected}
          onClose={() => setSelected(undefined)}
          onChanged={(removed) => {
            if (removed) setSelected(undefined)
            setChanges((n) => n + 1)
          }}
        />
      )}
      {page && (
        <TableWrap label={`Users of ${workspaceName}`}>
          <table className="table" aria-busy={state.status === 'loading'} aria-label={`Users of ${workspaceName}`}>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Email</th>
                <th scope="col">Roles</th>
                <th scope="col">User groups</th>
              </tr>
            </thead>
            <tbody>
              {page.users.length === 0 ? (
                <tr>
                  <td colSpan={4} className="table-empty">
                    {filtered ? 'No users match this search.' : 'This workspace has no users.'}
                  </td>
                </tr>
              ) : (
                page.users.map((user) => <UserRow key={user.id} user={user} onOpen={() => setSelected(user.id)} />)
              )}
            </tbody>
          </table>
        </TableWrap>
      )}
      {!page && state.status === 'loading' && <Loading label="Loading users…" />}
      {page && (total ?? 0) > 0 && (
        <Pager
          label="Pages of users"
          range={rangeOf(first, page.users.length, total)}
          busy={state.status === 'loading'}
          onPrevious={paging.previous}
          onNext={paging.nextTo(page.pagination.next)}
        />
      )}
    </>
  )
}

function UserRow({ user, onOpen }: { user: User; onOpen: () => void }) {
  return (
    <tr>
      <td>
        <span className="person-cell">
          <Avatar name={user.name} email={user.email} />
          <button type="button" className="link-button" onClick={onOpen} aria-label={`Details of ${user.name || user.email}`}>
            {user.name || <span className="muted">No name</span>}
          </button>
        </span>
      </td>
      <td className="nowrap">{user.email}</td>
      <td>
        <RoleChips permissions={user.permissions} />
      </td>
      <td>
        <GroupChips groups={user.groups} />
      </td>
    </tr>
  )
}
