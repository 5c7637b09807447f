import { type FormEvent, useEffect, useRef, useState } from 'react'
import { type Answer, api, must } from '../../api/client'
import { useAction } from '../../components/action'
import { ConfirmDialog } from '../../components/confirm-dialog'
import { useLoaded } from '../../components/loaded'
import { FormError, Loading, ProblemNotice } from '../../components/page'
import { type Grant, PermissionsEditor, toGrant } from '../../components/permissions-editor'
import { Link, paths } from '../../router'

type Detail = Answer<'/console/api/workspaces/{workspaceId}/users/{userId}', 'get'>['user']

/**
 * A member's detail panel on the Users page: every grant in words (their own and their groups'), their groups,
 * editing their own roles, and removing them from the workspace (never their account).
 */
export function UserDetail({
  workspaceId,
  userId,
  onClose,
  onChanged,
}: {
  workspaceId: string
  userId: string
  onClose: () => void
  /** After a change: `removed` when the person left the workspace. */
  onChanged: (removed: boolean) => void
}) {
  const path = { workspaceId, userId }
  const state = useLoaded(
    async () => (await must(api.GET('/console/api/workspaces/{workspaceId}/users/{userId}', { params: { path } }))).user,
    [workspaceId, userId],
  )
  /** The user as their roles were saved here, which replaces the loaded one. */
  const [saved, setSaved] = useState<Detail>()
  const [editing, setEditing] = useState(false)
  const [removing, setRemoving] = useState(false)
  const heading = useRef<HTMLHeadingElement>(null)

  // The panel takes the focus when it opens, so keyboard and screen-reader users land in it.
  useEffect(() => {
    if (state.status === 'ready') heading.current?.focus()
  }, [state.status])

  if (state.status === 'loading') return <Loading label="Loading the user…" />
  if (state.status === 'failed') return <ProblemNotice problem={state.problem} />
  const user = saved ?? state.value
  return (
    <section className="card user-detail" aria-labelledby="user-detail-heading">
      <div className="card-header user-detail-header">
        <div>
          <h2 id="user-detail-heading" className="card-title" ref={heading} tabIndex={-1}>
            {user.name || user.email}
          </h2>
          <p className="card-description">{user.email}</p>
        </div>
        <div className="toolbar-buttons">
          <button type="button" className="btn" onClick={() => setEditing(true)} disabled={editing}>
            Edit roles
          </button>
          <button type="button" className="btn btn-danger" onClick={() => setRemoving(true)}>
            Remove from workspace
          </button>
          <button type="button" className="btn btn-quiet" onClick={onClose}>
            Close<span className="visually-hidden"> the details of {user.email}</span>
          </button>
        </div>
      </div>
      <div className="card-body">
        {editing ? (
          <EditRoles
            workspaceId={workspaceId}
            user={user}
            onDone={(saved) => {
              setEditing(false)
              if (saved) {
                setSaved(saved)
                onChanged(false)
              }
            }}
          />
        ) : (
          <>
            <h3 className="user-detail-subtitle">Access</h3>
            {user.access.length === 0 ? (
              <p className="muted">No roles, directly or through a group.</p>
            ) : (
              <ul className="access-preview">
                {user.access.map((line) => (
                  <li key={line.summary}>
                    <span className="chip chip-role">{line.roleName}</span> <span>{line.scopes.join('; ')}</span>
                    <span className="muted"> · {line.group ? `through the group ${line.group.name}` : 'granted directly'}</span>
                  </li>
                ))}
              </ul>
            )}
          </>
        )}
        <h3 className="user-detail-subtitle">User groups</h3>
        {user.groups.length === 0 ? (
          <p className="muted">Not in any user group.</p>
        ) : (
          <ul className="chip-list">
            {user.groups.map((g) => (
              <li key={g.id} className="chip">
                <Link to={paths.group(workspaceId, g.id)}>{g.name}</Link>
              </li>
            ))}
          </ul>
        )}
      </div>
      {removing && (
        <ConfirmDialog
          title={`Remove ${user.name || user.email} from the workspace?`}
          confirm="Remove from workspace"
          onClose={() => setRemoving(false)}
          onConfirm={async () => {
            await must(api.DELETE('/console/api/workspaces/{workspaceId}/users/{userId}', { params: { path } }))
            onChanged(true)
          }}
        >
          <p>
            They lose their roles and user groups here. Their account, and any other workspace they are in, stay; they can be invited again.
          </p>
        </ConfirmDialog>
      )}
    </section>
  )
}

function EditRoles({ workspaceId, user, onDone }: { workspaceId: string; user: Detail; onDone: (saved?: Detail) => void }) {
  const [grants, setGrants] = useState<Grant[]>(() => user.permissions.map(toGrant))
  const { busy, problem, runAndLeave } = useAction()
  const submit = (event: FormEvent) => {
    event.preventDefault()
    return runAndLeave(async () => {
      const saved = await must(
        api.PUT('/console/api/workspaces/{workspaceId}/users/{userId}/permissions', {
          params: { path: { workspaceId, userId: user.id } },
          body: { permissions: grants },
        }),
      )
      onDone(saved.user)
    })
  }
  return (
    <form className="form" onSubmit={submit}>
      <PermissionsEditor workspaceId={workspaceId} value={grants} onChange={setGrants} legend={`Roles of ${user.name || user.email}`} />
      <p className="field-hint">Roles from user groups are changed on the group's page.</p>
      {problem && <FormError problem={problem} />}
      <div className="dialog-buttons">
        <button type="button" className="btn" onClick={() => onDone()} disabled={busy}>
          Cancel
        </button>
        <button type="submit" className="btn btn-primary" disabled={busy}>
          Save roles
        </button>
      </div>
    </form>
  )
}
