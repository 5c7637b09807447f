import { type FormEvent, useId, useState } from 'react'
import { type Answer, type ApiProblem, api, asProblem, must } from '../../api/client'
import { useAction } from '../../components/action'
import { ConfirmInline } from '../../components/confirm-dialog'
import { Field } from '../../components/field'
import { shownValue, useLoaded } from '../../components/loaded'
import { FormError, Loading, PageHeader, ProblemNotice } from '../../components/page'
import { TableWrap } from '../../components/table-wrap'
import { plural } from '../../format'

type Label = Answer<'/console/api/workspaces/{workspaceId}/labels', 'get'>['labels'][number]

/** Access Management → Labels: the workspace's labels with where they are used; create and delete. */
export function LabelsPage({ workspaceId }: { workspaceId: string }) {
  const [changes, setChanges] = useState(0)
  const state = useLoaded(
    async () => (await must(api.GET('/console/api/workspaces/{workspaceId}/labels', { params: { path: { workspaceId } } }))).labels,
    [workspaceId, changes],
  )
  const labels = shownValue(state)
  const [message, setMessage] = useState<string>()
  const [problem, setProblem] = useState<ApiProblem>()

  /** Answers whether the label was deleted (then the list is read again). */
  const remove = async (label: Label) => {
    setMessage(undefined)
    setProblem(undefined)
    try {
      await must(
        api.DELETE('/console/api/workspaces/{workspaceId}/labels', {
          params: { path: { workspaceId }, query: { key: label.key, value: label.value } },
        }),
      )
      setMessage(`Label ${label.key}:${label.value} deleted.`)
      setChanges((n) => n + 1)
      return true
    } catch (error) {
      const p = asProblem(error)
      setProblem(
        p.status === 409
          ? { ...p, message: `${label.key}:${label.value} is still used by permissions. Remove it from them first, then delete it.` }
          : p,
      )
      return false
    }
  }

  if (state.status === 'failed' && state.problem.status === 403)
    return (
      <>
        <PageHeader eyebrow="Access Management" title="Labels" />
        <ProblemNotice problem={state.problem}>
          <p>Only workspace owners manage labels.</p>
        </ProblemNotice>
      </>
    )
  return (
    <>
      <PageHeader
        eyebrow="Access Management"
        title="Labels"
        description="Labels (key:value) narrow a role granted on the whole workspace to the sources or spaces that carry them."
      />
      <CreateLabel
        workspaceId={workspaceId}
        onCreated={(l) => {
          setMessage(`Label ${l.key}:${l.value} created.`)
          setChanges((n) => n + 1)
        }}
      />
      <section className="card" aria-labelledby="labels-heading">
        <h2 id="labels-heading" className="card-title">
          Labels of this workspace
        </h2>
        <div aria-live="polite">
          {message && <p className="notice notice-success">{message}</p>}
          {problem && <FormError problem={problem} />}
        </div>
        {!labels && state.status === 'loading' && <Loading label="Loading labels…" />}
        {state.status === 'failed' && <ProblemNotice problem={state.problem} />}
        {labels && (
          <TableWrap label="Labels">
            <table className="table" aria-label="Labels">
              <thead>
                <tr>
                  <th scope="col">Label</th>
                  <th scope="col">Description</th>
                  <th scope="col">Where used</th>
                  <th scope="col">
                    <span className="visually-hidden">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {labels.length === 0 ? (
                  <tr>
                    <td colSpan={4} className="table-empty">
                      No labels yet.
                    </td>
                  </tr>
                ) : (
                  labels.map((label) => <LabelRow key={`${label.key}:${label.value}`} label={label} onDelete={() => remove(label)} />)
                )}
              </tbody>
            </table>
          </TableWrap>
        )}
      </section>
    </>
  )
}

function LabelRow({ label, onDelete }: { label: Label; onDelete: () => Promise<boolean> }) {
  const [confirming, setConfirming] = useState(false)
  const [busy, setBusy] = useState(false)
  // A list read again hands every row a new object: a row still here after its delete (someone made it again) is free.
  const [readAs, setReadAs] = useState(label)
  if (readAs !== label) {
    setReadAs(label)
    setBusy(false)
  }
  const name = `${label.key}:${label.value}`
  return (
    <tr>
      <td>
        <span className="chip">{name}</span>
      </td>
      <td>{label.description || <span className="muted">None</span>}</td>
      <td>{label.usedBy === 0 ? <span className="muted">Not used</span> : plural(label.usedBy, 'permission')}</td>
      <td className="table-actions">
        {confirming ? (
          <ConfirmInline
            question={`Delete the label ${name}?`}
            ask="Delete?"
            yes="Yes, delete"
            yesLabel={`Yes, delete the label ${name}`}
            cancelLabel={`Keep the label ${name}`}
            busy={busy}
            onYes={async () => {
              setBusy(true)
              // A deleted label's row stays busy until the list read again takes it away.
              if (await onDelete()) return
              setBusy(false)
              setConfirming(false)
            }}
            onCancel={() => setConfirming(false)}
          />
        ) : (
          <button
            type="button"
            className="btn btn-quiet btn-small"
            onClick={() => setConfirming(true)}
            aria-label={`Delete the label ${name}`}
          >
            Delete
          </button>
        )}
      </td>
    </tr>
  )
}

function CreateLabel({ workspaceId, onCreated }: { workspaceId: string; onCreated: (label: Label) => void }) {
  const headingId = useId()
  const [key, setKey] = useState('')
  const [value, setValue] = useState('')
  const [description, setDescription] = useState('')
  const { busy, problem, run } = useAction()
  const submit = (event: FormEvent) => {
    event.preventDefault()
    return run(async () => {
      const label = { key: key.trim(), value: value.trim(), ...(description.trim() ? { description: description.trim() } : {}) }
      const created = await must(
        api.POST('/console/api/workspaces/{workspaceId}/labels', { params: { path: { workspaceId } }, body: { label } }),
      )
      setKey('')
      setValue('')
      setDescription('')
      onCreated(created.label)
    })
  }
  const fieldError = (name: string) => (problem?.field?.endsWith(name) ? problem.message : undefined)
  const shownInline = fieldError('key') || fieldError('value') || fieldError('description')
  return (
    <section className="card" aria-labelledby={headingId}>
      <h2 id={headingId} className="card-title">
        Create a label
      </h2>
      <form className="form label-form" onSubmit={submit}>
        <div className="form-columns">
          <Field
            label="Key"
            required
            value={key}
            onChange={(e) => setKey(e.target.value)}
            hint="For example: environment"
            error={fieldError('key')}
          />
          <Field
            label="Value"
            required
            value={value}
            onChange={(e) => setValue(e.target.value)}
            hint="For example: production"
            error={fieldError('value')}
          />
        </div>
        <Field
          label="Description (optional)"
          value={description}
          onChange={(e) => setDescription(e.target.value)}
          error={fieldError('description')}
        />
        {problem && !shownInline && <FormError problem={problem} />}
        <div className="form-row">
          <button type="submit" className="btn btn-primary" disabled={busy}>
            {busy ? 'Creating…' : 'Create label'}
          </button>
        </div>
      </form>
    </section>
  )
}
