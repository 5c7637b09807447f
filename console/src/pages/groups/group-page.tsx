import { type FormEvent, useCallback, useId, useState } from 'react'
import { type Answer, api, asProblem, must } from '../../api/client'
import { useAction } from '../../components/action'
import { ConfirmDialog } from '../../components/confirm-dialog'
import { Field } from '../../components/field'
import { shownValue, useLoaded } from '../../components/loaded'
import { FormError, Loading, PageHeader, ProblemNotice } from '../../components/page'
import { Pager } from '../../components/pager'
import { type Grant, PermissionsEditor, toGrant } from '../../components/permissions-editor'
import { TableWrap } from '../../components/table-wrap'
import { emailsIn, formatDate, plural } from '../../format'
import { Link, navigate, paths } from '../../router'

type Detail = Answer<'/console/api/workspaces/{workspaceId}/groups/{userGroupId}', 'get'>
type Preview = Detail['preview']

const PAGE_SIZE = 20

/** One user group: its name, members and pending invites, roles, and what the roles grant in words. */
export function GroupPage({ workspaceId, groupId }: { workspaceId: string; groupId: string }) {
  const [cursors, setCursors] = useState<{ members?: string; invites?: string }>({})
  const [version, setVersion] = useState(0)
  const reload = useCallback(() => setVersion((v) => v + 1), [])
  const [deleting, setDeleting] = useState(false)
  // After a change (`version`) or on another page of members, the group stays shown until the new answer.
  const state = useLoaded(() => {
    const query = {
      count: PAGE_SIZE,
      ...(cursors.members ? { membersCursor: cursors.members } : {}),
      ...(cursors.invites ? { invitesCursor: cursors.invites } : {}),
    }
    const params = { path: { workspaceId, userGroupId: groupId }, query }
    return must(api.GET('/console/api/workspaces/{workspaceId}/groups/{userGroupId}', { params }))
  }, [workspaceId, groupId, cursors, version])
  const detail = shownValue(state)

  const back = (
    <p>
      <Link to={paths.groups(workspaceId)}>All user groups</Link>
    </p>
  )
  if (state.status === 'failed')
    return (
      <>
        <PageHeader eyebrow="User Groups" title="User group" />
        <ProblemNotice problem={state.problem} />
        {back}
      </>
    )
  if (!detail) return <Loading label="Loading the group…" />
  const { group } = detail
  return (
    <>
      <PageHeader
        eyebrow="User Groups"
        title={group.name}
        description={`${plural(group.memberCount, 'member')}, ${plural(group.inviteCount, 'pending invite')}.`}
        actions={
          <button type="button" className="btn btn-danger" onClick={() => setDeleting(true)}>
            Delete group
          </button>
        }
      />
      {back}
      <RenameGroup workspaceId={workspaceId} groupId={groupId} name={group.name} onRenamed={reload} />
      <Members workspaceId={workspaceId} detail={detail} onChanged={reload} onPage={setCursors} cursors={cursors} />
      <GroupPermissions workspaceId={workspaceId} groupId={groupId} detail={detail} onSaved={reload} />
      <AccessPreview preview={detail.preview} />
      {deleting && (
        <ConfirmDialog
          title={`Delete ${group.name}?`}
          confirm="Delete group"
          onClose={() => setDeleting(false)}
          onConfirm={async () => {
            await must(
              api.DELETE('/console/api/workspaces/{workspaceId}/groups/{userGroupId}', {
                params: { path: { workspaceId, userGroupId: groupId } },
              }),
            )
            navigate(paths.groups(workspaceId))
          }}
        >
          <p>Its {group.memberCount} members lose the roles it grants; they stay in the workspace, and its pending invites stay pending.</p>
        </ConfirmDialog>
      )}
    </>
  )
}

function RenameGroup({
  workspaceId,
  groupId,
  name,
  onRenamed,
}: {
  workspaceId: string
  groupId: string
  name: string
  onRenamed: () => void
}) {
  const [typed, setTyped] = useState(name)
  const { busy, problem, run } = useAction()
  const [saved, setSaved] = useState('')
  const submit = (event: FormEvent) => {
    event.preventDefault()
    setSaved('')
    return run(async () => {
      await must(
        api.PATCH('/console/api/workspaces/{workspaceId}/groups/{userGroupId}', {
          params: { path: { workspaceId, userGroupId: groupId } },
          body: { name: typed },
        }),
      )
      setSaved('Name saved.')
      onRenamed()
    })
  }
  return (
    <section className="card" aria-labelledby="rename-heading">
      <div className="card-header">
        <h2 id="rename-heading" className="card-title">
          Name
        </h2>
      </div>
      <form className="form card-body" onSubmit={submit}>
        <div className="form-row">
          <Field
            label="Group name"
            value={typed}
            onChange={(e) => setTyped(e.target.value)}
            required
            maxLength={255}
            autoComplete="off"
            error={problem?.field === 'name' ? problem.message : undefined}
          />
          <button type="submit" className="btn" disabled={busy || typed.trim() === '' || typed.trim() === name}>
            Rename
          </button>
        </div>
        {problem && problem.field !== 'name' && <FormError problem={problem} />}
        <p role="status" className="muted">
          {saved}
        </p>
      </form>
    </section>
  )
}

function Members({
  workspaceId,
  detail,
  cursors,
  onPage,
  onChanged,
}: {
  workspaceId: string
  detail: Detail
  cursors: { members?: string; invites?: string }
  onPage: (cursors: { members?: string; invites?: string }) => void
  onChanged: () => void
}) {
  const { group, members, invites } = detail
  const userGroupId = group.id
  const emailsId = useId()
  const hintId = useId()
  const [typed, setTyped] = useState('')
  const { busy, problem, setProblem, run } = useAction()
  const [status, setStatus] = useState('')
  const add = (event: FormEvent) => {
    event.preventDefault()
    return run(async () => {
      const emails = emailsIn(typed)
      await must(
        api.POST('/console/api/workspaces/{workspaceId}/groups/{userGroupId}/members', {
          params: { path: { workspaceId, userGroupId } },
          body: { emails },
        }),
      )
      setTyped('')
      setStatus(`Added ${plural(emails.length, 'email')}.`)
      onChanged()
    })
  }
  const remove = async (what: { userId: string } | { inviteId: string }, email: string) => {
    setProblem(undefined)
    try {
      if ('userId' in what)
        await must(
          api.DELETE('/console/api/workspaces/{workspaceId}/groups/{userGroupId}/members/{userId}', {
            params: { path: { workspaceId, userGroupId, userId: what.userId } },
          }),
        )
      else
        await must(
          api.DELETE('/console/api/workspaces/{workspaceId}/groups/{userGroupId}/invites/{inviteId}', {
            params: { path: { workspaceId, userGroupId, inviteId: what.inviteId } },
          }),
        )
      setStatus(`Removed ${email} from the group.`)
      onChanged()
    } catch (error) {
      setProblem(asProblem(error))
    }
  }
  return (
    <section className="card" aria-labelledby="members-heading">
      <div className="card-header">
        <h2 id="members-heading" className="card-title">
          Members and pending invites
        </h2>
      </div>
      <div className="card-body">
        <form className="form" onSubmit={add}>
          <div className="field">
            <label htmlFor={emailsId}>Add people by email</label>
            <textarea id={emailsId} rows={2} value={typed} onChange={(e) => setTyped(e.target.value)} aria-describedby={hintId} />
            <p className="field-hint" id={hintId}>
              Separate emails with commas or new lines. A member joins the group; anyone else is invited to the workspace, in this group, by
              email.
            </p>
          </div>
          <div>
            <button type="submit" className="btn btn-primary" disabled={busy || emailsIn(typed).length === 0}>
              Add to group
            </button>
          </div>
        </form>
        {problem && <FormError problem={problem} />}
        <p role="status" className="muted">
          {status}
        </p>
      </div>
      <TableWrap label={`Members of ${group.name}`}>
        <table className="table" aria-label={`Members of ${group.name}`}>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Email</th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {members.users.length === 0 ? (
              <tr>
                <td colSpan={3} className="table-empty">
                  No members yet.
                </td>
              </tr>
            ) : (
              members.users.map((u) => (
                <tr key={u.id}>
                  <td>{u.name || <span className="muted">No name</span>}</td>
                  <td className="nowrap">{u.email}</td>
                  <td className="table-actions">
                    <button type="button" className="btn btn-quiet btn-small" onClick={() => remove({ userId: u.id }, u.email)}>
                      Remove<span className="visually-hidden"> {u.email} from the group</span>
                    </button>
                  </td>
                </tr>
              ))
            )}
          </tbody>
        </table>
      </TableWrap>
      <ListPager label="Pages of members" pagination={members.pagination} onMove={(cursor) => onPage({ ...cursors, members: cursor })} />
      <TableWrap label={`Pending invites of ${group.name}`}>
        <table className="table" aria-label={`Pending invites of ${group.name}`}>
          <thead>
            <tr>
              <th scope="col">Invited email</th>
              <th scope="col">Invited</th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {invites.invites.length === 0 ? (
              <tr>
                <td colSpan={3} className="table-empty">
                  No pending invites.
                </td>
              </tr>
            ) : (
              invites.invites.map((i) => (
                <tr key={i.id}>
                  <td className="nowrap">
                    {i.email} <span className="badge badge-pending">Invite Pending</span>
                  </td>
                  <td className="nowrap">{formatDate(i.createdAt)}</td>
                  <td className="table-actions">
                    <button type="button" className="btn btn-quiet btn-small" onClick={() => remove({ inviteId: i.id }, i.email)}>
                      Remove<span className="visually-hidden"> {i.email} from the group</span>
                    </button>
                  </td>
                </tr>
              ))
            )}
          </tbody>
        </table>
      </TableWrap>
      <ListPager
        label="Pages of pending invites"
        pagination={invites.pagination}
        onMove={(cursor) => onPage({ ...cursors, invites: cursor })}
      />
    </section>
  )
}

/** Previous and Next for one of the group's lists (the server gives both cursors); hidden when it fits on one page. */
function ListPager({
  label,
  pagination: { next, previous },
  onMove,
}: {
  label: string
  pagination: { next: string | null; previous: string | null }
  onMove: (cursor: string) => void
}) {
  if (!next && !previous) return null
  return <Pager label={label} onPrevious={previous ? () => onMove(previous) : undefined} onNext={next ? () => onMove(next) : undefined} />
}

function GroupPermissions({
  workspaceId,
  groupId,
  detail,
  onSaved,
}: {
  workspaceId: string
  groupId: string
  detail: Detail
  onSaved: () => void
}) {
  const [grants, setGrants] = useState<Grant[]>(() => detail.permissions.map(toGrant))
  const { busy, problem, run } = useAction()
  const [saved, setSaved] = useState('')
  const submit = (event: FormEvent) => {
    event.preventDefault()
    setSaved('')
    return run(async () => {
      await must(
        api.PUT('/console/api/workspaces/{workspaceId}/groups/{userGroupId}/permissions', {
          params: { path: { workspaceId, userGroupId: groupId } },
          body: { permissions: grants },
        }),
      )
      setSaved('Roles saved.')
      onSaved()
    })
  }
  return (
    <section className="card" aria-labelledby="group-roles-heading">
      <div className="card-header">
        <h2 id="group-roles-heading" className="card-title">
          Roles
        </h2>
        <p className="card-description">Every member (and every invite, once accepted) holds these roles. Roles add up.</p>
      </div>
      <form className="form card-body" onSubmit={submit}>
        <PermissionsEditor workspaceId={workspaceId} value={grants} onChange={setGrants} legend={`Roles of ${detail.group.name}`} />
        {problem && <FormError problem={problem} />}
        <div>
          <button type="submit" className="btn btn-primary" disabled={busy}>
            Save roles
          </button>
        </div>
        <p role="status" className="muted">
          {saved}
        </p>
      </form>
    </section>
  )
}

/** The access the group grants, a sentence per role, as saved. */
export function AccessPreview({ preview, title = 'What this group grants' }: { preview: Preview; title?: string }) {
  return (
    <section className="card" aria-labelledby="preview-heading">
      <div className="card-header">
        <h2 id="preview-heading" className="card-title">
          {title}
        </h2>
      </div>
      {preview.length === 0 ? (
        <p className="card-empty">No access yet: give the group a role.</p>
      ) : (
        <ul className="access-preview">
          {preview.map((line) => (
            <li key={line.summary}>
              <span className="chip chip-role">{line.roleName}</span> <span>{line.scopes.join('; ')}</span>
              {line.group && <span className="muted"> · through the group {line.group.name}</span>}
              <p className="field-hint">{line.roleDescription}</p>
            </li>
          ))}
        </ul>
      )}
    </section>
  )
}
