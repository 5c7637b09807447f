import { type FormEvent, useCallback, useEffect, useId, useRef, useState } from 'react'
import { type Answer, ApiProblem, api, asProblem, must } from '../../api/client'
import { FormError, PageHeader, ProblemNotice } from '../../components/page'
import { type Grant, PermissionsEditor, toInvitePermission } from '../../components/permissions-editor'
import { TableWrap } from '../../components/table-wrap'
import { formatDate, permissionKey, scopeOf, scopeSuffix } from '../../format'
import { useWorkspace } from '../../workspace'

type InvitesAnswer = Answer<'/console/api/workspaces/{workspaceId}/invites', 'get'>
type Invite = InvitesAnswer['invites'][number]
type Group = { id: string; name: string }

const PAGE_SIZE = 20

/** "a@x.com, b@y.com\nc@z.com" → the addresses, in order, without blanks. */
export function emailsOf(text: string): string[] {
  return text
    .split(/[\s,;]+/)
    .map((e) => e.trim())
    .filter(Boolean)
}

/** Access Management → Invites: invite people by email with roles or into groups; the pending invites, resent or revoked. */
export function InvitesPage({ workspaceId }: { workspaceId: string }) {
  const workspace = useWorkspace()
  const workspaceName = workspace?.state.status === 'ready' ? workspace.state.access.workspace.name : 'this workspace'
  /** Bumped after a change, so the pending list reads again. */
  const [version, setVersion] = useState(0)
  const changed = useCallback(() => setVersion((v) => v + 1), [])
  return (
    <>
      <PageHeader
        eyebrow="Access Management"
        title="Invites"
        description={`Invite people to ${workspaceName} by email. Each gets a link that works once, for 7 days.`}
      />
      <InviteForm workspaceId={workspaceId} onInvited={changed} />
      <PendingInvites workspaceId={workspaceId} workspaceName={workspaceName} version={version} onChanged={changed} />
    </>
  )
}

function useGroups(workspaceId: string): { groups: Group[]; note?: string } {
  const [state, setState] = useState<{ groups: Group[]; note?: string }>({ groups: [] })
  useEffect(() => {
    let current = true
    must(api.GET('/console/api/workspaces/{workspaceId}/groups', { params: { path: { workspaceId }, query: { count: 200 } } })).then(
      (answer) => current && setState({ groups: answer.groups.map(({ id, name }) => ({ id, name })) }),
      (error: unknown) => current && setState({ groups: [], note: asProblem(error).message }),
    )
    return () => {
      current = false
    }
  }, [workspaceId])
  return state
}

function InviteForm({ workspaceId, onInvited }: { workspaceId: string; onInvited: () => void }) {
  const emailsId = useId()
  const [emails, setEmails] = useState('')
  const [grants, setGrants] = useState<Grant[]>([])
  const [groupIds, setGroupIds] = useState<string[]>([])
  const { groups, note } = useGroups(workspaceId)
  const [busy, setBusy] = useState(false)
  const [problem, setProblem] = useState<ApiProblem>()
  const [done, setDone] = useState<string>()

  const submit = async (event: FormEvent) => {
    event.preventDefault()
    setProblem(undefined)
    setDone(undefined)
    const list = emailsOf(emails)
    if (list.length === 0) {
      setProblem(new ApiProblem(422, 'validation', 'Enter at least one email address', 'emails'))
      return
    }
    setBusy(true)
    try {
      const permissions = grants.map(toInvitePermission)
      const answer = await must(
        api.POST('/console/api/workspaces/{workspaceId}/invites', {
          params: { path: { workspaceId } },
          body: { invites: list.map((email) => ({ email, permissions })), ...(groupIds.length > 0 ? { groupIds } : {}) },
        }),
      )
      const already = answer.emails.length - answer.mailed
      setDone(
        `Invitation sent to ${answer.mailed} ${answer.mailed === 1 ? 'person' : 'people'}.` +
          (already > 0 ? ` ${already} already had a pending invite: the roles and groups were added to it.` : ''),
      )
      setEmails('')
      setGrants([])
      setGroupIds([])
      onInvited()
    } catch (error) {
      setProblem(asProblem(error))
    } finally {
      setBusy(false)
    }
  }

  const emailError = problem?.field?.match(/^(emails|invites\.\d+\.email)/) ? problem.message : undefined
  return (
    <section className="card" aria-labelledby="invite-heading">
      <h2 id="invite-heading" className="card-title">
        Invite people
      </h2>
      <form className="form invite-form" onSubmit={submit} noValidate>
        <div className="field">
          <label htmlFor={emailsId}>Email addresses</label>
          <textarea
            id={emailsId}
            rows={3}
            value={emails}
            onChange={(e) => setEmails(e.target.value)}
            aria-describedby={`${emailsId}-hint${emailError ? ` ${emailsId}-error` : ''}`}
            aria-invalid={emailError ? true : undefined}
            autoComplete="off"
          />
          <p className="field-hint" id={`${emailsId}-hint`}>
            One per line, or separated by commas.
          </p>
          {emailError && (
            <p className="field-error" id={`${emailsId}-error`}>
              {emailError}
            </p>
          )}
        </div>
        <PermissionsEditor workspaceId={workspaceId} value={grants} onChange={setGrants} legend="Roles" disabled={busy} />
        <fieldset className="invite-groups" disabled={busy}>
          <legend>User groups</legend>
          {groups.length === 0 ? (
            <p className="muted">{note ?? 'This workspace has no user groups yet.'}</p>
          ) : (
            <ul className="choice-list">
              {groups.map((g) => (
                <li key={g.id}>
                  <label className="choice">
                    <input
                      type="checkbox"
                      checked={groupIds.includes(g.id)}
                      onChange={(e) => setGroupIds((ids) => (e.target.checked ? [...ids, g.id] : ids.filter((id) => id !== g.id)))}
                    />
                    {g.name}
                  </label>
                </li>
              ))}
            </ul>
          )}
        </fieldset>
        {problem && !emailError && <FormError problem={problem} />}
        {done && (
          <p className="notice notice-success" role="status">
            {done}
          </p>
        )}
        <div className="form-row">
          <button type="submit" className="btn btn-primary" disabled={busy}>
            {busy ? 'Sending…' : 'Send invitations'}
          </button>
        </div>
      </form>
    </section>
  )
}

function PendingInvites({
  workspaceId,
  workspaceName,
  version,
  onChanged,
}: {
  workspaceId: string
  workspaceName: string
  version: number
  onChanged: () => void
}) {
  const searchId = useId()
  const [typed, setTyped] = useState('')
  const [query, setQuery] = useState<{ search: string; cursor?: string; trail: (string | undefined)[] }>({ search: '', trail: [] })
  const [state, setState] = useState<
    { status: 'loading'; last?: InvitesAnswer } | { status: 'failed'; problem: ApiProblem } | { status: 'ready'; page: InvitesAnswer }
  >({ status: 'loading' })
  const [message, setMessage] = useState<string>()
  const [problem, setProblem] = useState<ApiProblem>()
  const { search, cursor, trail } = query

  useEffect(() => {
    const timer = setTimeout(() => setQuery((q) => (q.search === typed.trim() ? q : { search: typed.trim(), trail: [] })), 250)
    return () => clearTimeout(timer)
  }, [typed])

  // biome-ignore lint/correctness/useExhaustiveDependencies: `version` asks again after a change
  useEffect(() => {
    let current = true
    setState((was) => ({ status: 'loading', ...(was.status === 'ready' ? { last: was.page } : {}) }))
    const q = { count: PAGE_SIZE, ...(search ? { search } : {}), ...(cursor ? { cursor } : {}) }
    must(api.GET('/console/api/workspaces/{workspaceId}/invites', { params: { path: { workspaceId }, query: q } })).then(
      (page) => current && setState({ status: 'ready', page }),
      (error: unknown) => current && setState({ status: 'failed', problem: asProblem(error) }),
    )
    return () => {
      current = false
    }
  }, [workspaceId, search, cursor, version])

  const act = async (work: () => Promise<string>) => {
    setMessage(undefined)
    setProblem(undefined)
    try {
      setMessage(await work())
      onChanged()
    } catch (error) {
      setProblem(asProblem(error))
    }
  }
  const resend = (invite: Invite) =>
    act(async () => {
      await must(
        api.POST('/console/api/workspaces/{workspaceId}/invites/resend', {
          params: { path: { workspaceId } },
          body: { emails: [invite.email] },
        }),
      )
      return `A new link was sent to ${invite.email}. Earlier links no longer work.`
    })
  const revoke = (invite: Invite) =>
    act(async () => {
      await must(
        api.DELETE('/console/api/workspaces/{workspaceId}/invites', {
          params: { path: { workspaceId }, query: { emails: [invite.email] } },
        }),
      )
      return `The invite for ${invite.email} was revoked.`
    })

  const page = state.status === 'ready' ? state.page : state.status === 'loading' ? state.last : undefined
  const total = page?.pagination.totalEntries
  if (state.status === 'failed' && state.problem.status === 403)
    return (
      <ProblemNotice problem={state.problem}>
        <p>Only workspace owners manage invites.</p>
      </ProblemNotice>
    )
  return (
    <section className="card" aria-labelledby="pending-heading">
      <div className="card-header">
        <h2 id="pending-heading" className="card-title">
          Pending invites
        </h2>
      </div>
      <div className="toolbar toolbar-card">
        <search className="toolbar-filters" aria-label="Pending invites">
          <div className="toolbar-field toolbar-search">
            <label htmlFor={searchId}>Search invites</label>
            <input
              id={searchId}
              type="search"
              placeholder="Email"
              value={typed}
              onChange={(e) => setTyped(e.target.value)}
              autoComplete="off"
            />
          </div>
        </search>
        <p className="toolbar-count" role="status">
          {total === undefined ? '' : `${total} pending ${total === 1 ? 'invite' : 'invites'}${search ? ' found' : ''}`}
        </p>
      </div>
      <div aria-live="polite">
        {message && <p className="notice notice-success">{message}</p>}
        {problem && <FormError problem={problem} />}
      </div>
      {state.status === 'failed' && <ProblemNotice problem={state.problem} />}
      {page && (
        <TableWrap label={`Pending invites of ${workspaceName}`}>
          <table className="table" aria-busy={state.status === 'loading'} aria-label={`Pending invites of ${workspaceName}`}>
            <thead>
              <tr>
                <th scope="col">Email</th>
                <th scope="col">Roles</th>
                <th scope="col">User groups</th>
                <th scope="col">Status</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {page.invites.length === 0 ? (
                <tr>
                  <td colSpan={5} className="table-empty">
                    {search ? 'No pending invite matches this search.' : 'No pending invites.'}
                  </td>
                </tr>
              ) : (
                page.invites.map((invite) => (
                  <InviteRow key={invite.email} invite={invite} onResend={() => resend(invite)} onRevoke={() => revoke(invite)} />
                ))
              )}
            </tbody>
          </table>
        </TableWrap>
      )}
      {page && (trail.length > 0 || page.pagination.next) && (
        <nav className="pager" aria-label="Pages of pending invites">
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
    </section>
  )
}

function InviteRow({ invite, onResend, onRevoke }: { invite: Invite; onResend: () => Promise<void>; onRevoke: () => Promise<void> }) {
  const [confirming, setConfirming] = useState(false)
  const [busy, setBusy] = useState(false)
  const confirmButton = useRef<HTMLButtonElement>(null)
  const revokeButton = useRef<HTMLButtonElement>(null)
  const expired = invite.link?.expired ?? true
  useEffect(() => {
    if (confirming) confirmButton.current?.focus()
  }, [confirming])
  const run = async (work: () => Promise<void>) => {
    setBusy(true)
    await work()
    setBusy(false)
  }
  return (
    <tr>
      <td className="nowrap">{invite.email}</td>
      <td>
        {invite.permissions.length === 0 ? (
          <span className="muted">None</span>
        ) : (
          <ul className="chip-list">
            {invite.permissions.map((p) => (
              <li key={permissionKey(p)} className="chip chip-role" title={scopeOf(p.resources)}>
                {p.roleName}
                {scopeSuffix(p.resources) && <span className="chip-scope"> · {scopeSuffix(p.resources)}</span>}
              </li>
            ))}
          </ul>
        )}
      </td>
      <td>
        {invite.groups.length === 0 ? (
          <span className="muted">None</span>
        ) : (
          <ul className="chip-list">
            {invite.groups.map((g) => (
              <li key={g.id} className="chip">
                {g.name}
              </li>
            ))}
          </ul>
        )}
      </td>
      <td>
        <span className={`badge ${expired ? 'badge-warning' : 'badge-live'}`}>{expired ? 'Link expired' : 'Invite pending'}</span>
        {invite.link && (
          <span className="invite-sent">
            {expired ? 'Expired' : 'Expires'} {formatDate(invite.link.expiresAt)}
          </span>
        )}
      </td>
      <td className="table-actions">
        {confirming ? (
          <fieldset className="confirm">
            <legend className="visually-hidden">{`Revoke the invite for ${invite.email}?`}</legend>
            <span className="confirm-question">Revoke?</span>
            <button
              ref={confirmButton}
              type="button"
              className="btn btn-danger btn-small"
              disabled={busy}
              onClick={() => run(onRevoke)}
              aria-label={`Yes, revoke the invite for ${invite.email}`}
            >
              Yes, revoke
            </button>
            <button
              type="button"
              className="btn btn-small"
              onClick={() => {
                setConfirming(false)
                setTimeout(() => revokeButton.current?.focus())
              }}
              aria-label={`Keep the invite for ${invite.email}`}
            >
              Cancel
            </button>
          </fieldset>
        ) : (
          <>
            <button
              type="button"
              className="btn btn-small"
              disabled={busy}
              onClick={() => run(onResend)}
              aria-label={`Resend the invitation to ${invite.email}`}
            >
              Resend
            </button>
            <button
              ref={revokeButton}
              type="button"
              className="btn btn-quiet btn-small"
              disabled={busy}
              onClick={() => setConfirming(true)}
              aria-label={`Revoke the invite for ${invite.email}`}
            >
              Revoke
            </button>
          </>
        )}
      </td>
    </tr>
  )
}
