import { type FormEvent, useCallback, useId, useRef, useState } from 'react'
import { type Answer, ApiProblem, api, asProblem, must } from '../../api/client'
import { useAction } from '../../components/action'
import { GroupChips, RoleChips } from '../../components/chips'
import { ConfirmInline } from '../../components/confirm-dialog'
import { shownValue, useLoaded } from '../../components/loaded'
import { FormError, PageHeader, ProblemNotice, SuccessNotice } from '../../components/page'
import { Pager, usePaging } from '../../components/pager'
import { type Grant, PermissionsEditor, toInvitePermission } from '../../components/permissions-editor'
import { SearchBox } from '../../components/search-box'
import { TableWrap } from '../../components/table-wrap'
import { emailsIn, formatDate, plural } from '../../format'
import { useWorkspace } from '../../workspace'

type InvitesAnswer = Answer<'/console/api/workspaces/{workspaceId}/invites', 'get'>
type Invite = InvitesAnswer['invites'][number]
type Group = { id: string; name: string }

const PAGE_SIZE = 20

/** Access Management → Invites: invite people by email with roles or into groups; the pending invites, resent or revoked. */
export function InvitesPage({ workspaceId }: { workspaceId: string }) {
  const workspace = useWorkspace()
  const workspaceName = workspace?.state.status === 'ready' ? workspace.state.value.workspace.name : 'this workspace'
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
  const answer = useLoaded(
    () => must(api.GET('/console/api/workspaces/{workspaceId}/groups', { params: { path: { workspaceId }, query: { count: 200 } } })),
    [workspaceId],
  )
  if (answer.status === 'failed') return { groups: [], note: answer.problem.message }
  return { groups: answer.status === 'ready' ? answer.value.groups : [] }
}

function InviteForm({ workspaceId, onInvited }: { workspaceId: string; onInvited: () => void }) {
  const emailsId = useId()
  const [emails, setEmails] = useState('')
  const [grants, setGrants] = useState<Grant[]>([])
  const [groupIds, setGroupIds] = useState<string[]>([])
  const { groups, note } = useGroups(workspaceId)
  const { busy, problem, setProblem, run } = useAction()
  const [done, setDone] = useState<string>()

  const submit = (event: FormEvent) => {
    event.preventDefault()
    setProblem(undefined)
    setDone(undefined)
    const list = emailsIn(emails)
    if (list.length === 0) {
      setProblem(new ApiProblem(422, 'validation', 'Enter at least one email address', 'emails'))
      return
    }
    return run(async () => {
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
    })
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
        <SuccessNotice message={done} />
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
  const paging = usePaging({ search: '' })
  const [message, setMessage] = useState<string>()
  const [problem, setProblem] = useState<ApiProblem>()
  const { filters, cursor } = paging
  const { search } = filters
  const state = useLoaded(() => {
    const q = { count: PAGE_SIZE, ...(search ? { search } : {}), ...(cursor ? { cursor } : {}) }
    return must(api.GET('/console/api/workspaces/{workspaceId}/invites', { params: { path: { workspaceId }, query: q } }))
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

  const page = shownValue(state)
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
      <SearchBox
        name="Pending invites"
        label="Search invites"
        placeholder="Email"
        onSearch={(typed) => paging.filter((f) => (f.search === typed ? f : { search: typed }))}
        status={total === undefined ? '' : `${plural(total, 'pending invite', 'pending invites')}${search ? ' found' : ''}`}
        inCard
      />
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
      {page && (paging.previous || page.pagination.next) && (
        <Pager
          label="Pages of pending invites"
          busy={state.status === 'loading'}
          onPrevious={paging.previous}
          onNext={paging.nextTo(page.pagination.next)}
        />
      )}
    </section>
  )
}

function InviteRow({ invite, onResend, onRevoke }: { invite: Invite; onResend: () => Promise<void>; onRevoke: () => Promise<void> }) {
  const [confirming, setConfirming] = useState(false)
  const [busy, setBusy] = useState(false)
  const revokeButton = useRef<HTMLButtonElement>(null)
  const expired = invite.link?.expired ?? true
  const run = async (work: () => Promise<void>) => {
    setBusy(true)
    await work()
    setBusy(false)
  }
  return (
    <tr>
      <td className="nowrap">{invite.email}</td>
      <td>
        <RoleChips permissions={invite.permissions} />
      </td>
      <td>
        <GroupChips groups={invite.groups} />
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
          <ConfirmInline
            question={`Revoke the invite for ${invite.email}?`}
            ask="Revoke?"
            yes="Yes, revoke"
            yesLabel={`Yes, revoke the invite for ${invite.email}`}
            cancelLabel={`Keep the invite for ${invite.email}`}
            busy={busy}
            onYes={() => run(onRevoke)}
            onCancel={() => {
              setConfirming(false)
              setTimeout(() => revokeButton.current?.focus())
            }}
          />
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
