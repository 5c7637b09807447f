import { type FormEvent, useId, useState } from 'react'
import { type Answer, api, must } from '../../api/client'
import { useAction } from '../../components/action'
import { ConfirmDialog, Dialog } from '../../components/confirm-dialog'
import { Field } from '../../components/field'
import { shownValue, useLoaded } from '../../components/loaded'
import { FormError, Loading, PageHeader, ProblemNotice, SuccessNotice } from '../../components/page'
import { TableWrap } from '../../components/table-wrap'
import { formatDate } from '../../format'

type Token = Answer<'/console/api/workspaces/{workspaceId}/tokens', 'get'>['tokens'][number]
type Access = Token['access']

const ACCESS: { value: Access; name: string; description: string }[] = [
  { value: 'OWNER', name: 'Workspace Owner', description: 'Reads and changes everything the Public API offers.' },
  { value: 'MEMBER', name: 'Workspace Member', description: 'Reads only: users, groups, roles, labels.' },
]
const accessName = (access: Access) => ACCESS.find((a) => a.value === access)?.name ?? access

/** Settings → Tokens: the workspace's Public API tokens; new ones need a security code mailed to the owner. */
export function TokensPage({ workspaceId }: { workspaceId: string }) {
  const [changes, setChanges] = useState(0)
  const state = useLoaded(
    async () => (await must(api.GET('/console/api/workspaces/{workspaceId}/tokens', { params: { path: { workspaceId } } }))).tokens,
    [workspaceId, changes],
  )
  const tokens = shownValue(state)
  const [creating, setCreating] = useState(false)
  const [revoking, setRevoking] = useState<Token>()
  const [notice, setNotice] = useState<string>()

  if (state.status === 'failed' && state.problem.status === 403)
    return (
      <>
        <PageHeader eyebrow="Settings" title="Tokens" />
        <ProblemNotice problem={state.problem}>
          <p>Only workspace owners manage tokens.</p>
        </ProblemNotice>
      </>
    )

  return (
    <>
      <PageHeader
        eyebrow="Settings"
        title="Tokens"
        description="Public API tokens let scripts and services manage this workspace. Each is shown once, when it is made."
        actions={
          <button type="button" className="btn btn-primary" onClick={() => setCreating(true)}>
            Create Token
          </button>
        }
      />
      <SuccessNotice message={notice} />
      {state.status === 'failed' && <ProblemNotice problem={state.problem} />}
      {!tokens && state.status === 'loading' && <Loading label="Loading tokens…" />}
      {tokens && (
        <TableWrap label="Tokens">
          <table className="table" aria-label="Tokens">
            <thead>
              <tr>
                <th scope="col">Description</th>
                <th scope="col">Access</th>
                <th scope="col">Created</th>
                <th scope="col">Last used</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {tokens.length === 0 ? (
                <tr>
                  <td colSpan={5} className="table-empty">
                    This workspace has no tokens.
                  </td>
                </tr>
              ) : (
                tokens.map((token) => (
                  <tr key={token.id}>
                    <td>{token.description}</td>
                    <td className="nowrap">{accessName(token.access)}</td>
                    <td>
                      <span className="nowrap">{formatDate(token.createdAt)}</span>
                      <br />
                      <span className="muted">{token.createdBy ?? 'Admin key or CLI'}</span>
                    </td>
                    <td className="nowrap">{token.lastUsedAt ? formatDate(token.lastUsedAt) : <span className="muted">Never</span>}</td>
                    <td className="table-actions">
                      <button
                        type="button"
                        className="btn btn-small btn-danger"
                        onClick={() => setRevoking(token)}
                        aria-label={`Revoke ${token.description}`}
                      >
                        Revoke
                      </button>
                    </td>
                  </tr>
                ))
              )}
            </tbody>
          </table>
        </TableWrap>
      )}
      {creating && (
        <CreateTokenDialog
          workspaceId={workspaceId}
          onClose={(made) => {
            setCreating(false)
            if (made) {
              setNotice(`Token "${made}" was created.`)
              setChanges((n) => n + 1)
            }
          }}
        />
      )}
      {revoking && (
        <RevokeDialog
          workspaceId={workspaceId}
          token={revoking}
          onClose={(revoked) => {
            setRevoking(undefined)
            if (revoked) {
              setNotice(`Token "${revoking.description}" was revoked: it no longer works.`)
              setChanges((n) => n + 1)
            }
          }}
        />
      )}
    </>
  )
}

type Step =
  | { name: 'describe' }
  | { name: 'access' }
  | { name: 'code'; codeId: string; sentTo: string }
  | { name: 'created'; secret: string; description: string }

/** Segment's steps: a description, Assign Access, the security code from the email, then the token, once. */
function CreateTokenDialog({ workspaceId, onClose }: { workspaceId: string; onClose: (made?: string) => void }) {
  const [step, setStep] = useState<Step>({ name: 'describe' })
  const [description, setDescription] = useState('')
  const [access, setAccess] = useState<Access>('MEMBER')
  const [code, setCode] = useState('')
  const { busy, problem, run } = useAction()
  const [copied, setCopied] = useState<string>()
  const accessId = useId()
  const secretId = useId()
  const path = { path: { workspaceId } }

  const sendCode = () =>
    run(async () => {
      const sent = await must(api.POST('/console/api/workspaces/{workspaceId}/tokens/security-codes', { params: path }))
      setCode('')
      setStep({ name: 'code', codeId: sent.codeId, sentTo: sent.sentTo })
    })
  const create = (codeId: string) =>
    run(async () => {
      const made = await must(
        api.POST('/console/api/workspaces/{workspaceId}/tokens', { params: path, body: { description, access, codeId, code } }),
      )
      setStep({ name: 'created', secret: made.secret, description: made.token.description })
    })
  const copy = async (secret: string) => {
    try {
      await navigator.clipboard.writeText(secret)
      setCopied('Copied to the clipboard.')
    } catch {
      const input = document.getElementById(secretId) as HTMLInputElement | null
      input?.select()
      setCopied('Your browser did not allow copying: the token is selected, press Ctrl+C (⌘C) to copy it.')
    }
  }
  const submit = (event: FormEvent, then: () => void) => {
    event.preventDefault()
    then()
  }
  const close = () => onClose(step.name === 'created' ? step.description : undefined)

  return (
    <Dialog title={step.name === 'created' ? 'Your new token' : 'Create Token'} onClose={close} focusKey={step.name}>
      {step.name === 'describe' && (
        <form className="form" onSubmit={(e) => submit(e, () => setStep({ name: 'access' }))}>
          <p className="dialog-step">Step 1 of 3</p>
          <Field
            label="Description"
            hint="What the token is for, such as the script or service that will use it."
            value={description}
            onChange={(e) => setDescription(e.target.value)}
            maxLength={255}
            required
          />
          <div className="dialog-buttons">
            <button type="button" className="btn" onClick={close}>
              Cancel
            </button>
            <button type="submit" className="btn btn-primary" disabled={description.trim() === ''}>
              Next
            </button>
          </div>
        </form>
      )}
      {step.name === 'access' && (
        <form className="form" onSubmit={(e) => submit(e, sendCode)}>
          <p className="dialog-step">Step 2 of 3</p>
          <fieldset className="choice-group" aria-describedby={`${accessId}-hint`}>
            <legend>Assign Access</legend>
            <p className="field-hint" id={`${accessId}-hint`}>
              What the token may do in this workspace.
            </p>
            {ACCESS.map((a) => (
              <label key={a.value} className="choice">
                <input type="radio" name="access" value={a.value} checked={access === a.value} onChange={() => setAccess(a.value)} />
                <span>
                  <span className="choice-name">{a.name}</span>
                  <span className="choice-description">{a.description}</span>
                </span>
              </label>
            ))}
          </fieldset>
          {problem && <FormError problem={problem} />}
          <div className="dialog-buttons">
            <button type="button" className="btn" onClick={() => setStep({ name: 'describe' })}>
              Back
            </button>
            <button type="submit" className="btn btn-primary" disabled={busy}>
              {busy ? 'Sending…' : 'Email me a security code'}
            </button>
          </div>
        </form>
      )}
      {step.name === 'code' && (
        <form className="form" onSubmit={(e) => submit(e, () => create(step.codeId))}>
          <p className="dialog-step">Step 3 of 3</p>
          <p role="status">We emailed a security code to {step.sentTo}. It works once, for 10 minutes.</p>
          <Field
            label="Security code"
            value={code}
            onChange={(e) => setCode(e.target.value)}
            inputMode="numeric"
            autoComplete="one-time-code"
            maxLength={16}
            required
            error={problem?.field === 'code' ? problem.message : undefined}
          />
          {problem && problem.field !== 'code' && <FormError problem={problem} />}
          <div className="dialog-buttons">
            <button type="button" className="btn btn-quiet" onClick={sendCode} disabled={busy}>
              Send a new code
            </button>
            <button type="button" className="btn" onClick={close}>
              Cancel
            </button>
            <button type="submit" className="btn btn-primary" disabled={busy || code.trim() === ''}>
              Create Token
            </button>
          </div>
        </form>
      )}
      {step.name === 'created' && (
        <div className="form">
          <p className="notice notice-info">
            Copy this token now and keep it somewhere safe: <strong>it cannot be shown again.</strong>
          </p>
          <div className="field">
            <label htmlFor={secretId}>Token for “{step.description}”</label>
            <div className="copy-row">
              <input id={secretId} className="secret" value={step.secret} readOnly onFocus={(e) => e.target.select()} />
              <button type="button" className="btn" onClick={() => copy(step.secret)}>
                Copy
              </button>
            </div>
          </div>
          <p role="status" className="copy-status">
            {copied ?? ''}
          </p>
          <div className="dialog-buttons">
            <button type="button" className="btn btn-primary" onClick={close}>
              Done
            </button>
          </div>
        </div>
      )}
    </Dialog>
  )
}

function RevokeDialog({ workspaceId, token, onClose }: { workspaceId: string; token: Token; onClose: (revoked: boolean) => void }) {
  return (
    <ConfirmDialog
      title="Revoke this token?"
      confirm="Revoke token"
      onClose={() => onClose(false)}
      onConfirm={async () => {
        await must(
          api.DELETE('/console/api/workspaces/{workspaceId}/tokens/{tokenId}', { params: { path: { workspaceId, tokenId: token.id } } }),
        )
        onClose(true)
      }}
    >
      <p>
        “{token.description}” ({accessName(token.access)}) stops working at once: scripts using it get 401. This cannot be undone.
      </p>
    </ConfirmDialog>
  )
}
