import { type FormEvent, useId, useState } from 'react'
import { type Answer, api, must } from '../../api/client'
import { useAction } from '../../components/action'
import { Field } from '../../components/field'
import { shownValue, useLoaded } from '../../components/loaded'
import { FormError, Loading, PageHeader, ProblemNotice, SuccessNotice } from '../../components/page'
import { useSession } from '../../session'

type Settings = Answer<'/console/api/workspaces/{workspaceId}/settings', 'get'>

const PLAN_NAMES: Record<string, string> = { business: 'Business', team: 'Team', free: 'Free' }

/** Settings → General: name, slug, billing and incident contacts, and what the plan allows. */
export function SettingsPage({ workspaceId }: { workspaceId: string }) {
  const state = useLoaded(
    () => must(api.GET('/console/api/workspaces/{workspaceId}/settings', { params: { path: { workspaceId } } })),
    [workspaceId],
  )
  // A save answers the settings as they are now: shown instead of the ones loaded (app.tsx mounts the page per workspace).
  const [saved, setSaved] = useState<Settings>()
  const settings = saved ?? shownValue(state)

  return (
    <>
      <PageHeader eyebrow="Settings" title="General" description="The workspace's name, slug and contacts, and its plan." />
      {state.status === 'loading' && <Loading label="Loading settings…" />}
      {state.status === 'failed' && (
        <ProblemNotice problem={state.problem}>
          {state.problem.status === 403 && <p>Only workspace owners change the workspace's settings.</p>}
        </ProblemNotice>
      )}
      {settings && (
        <>
          <SettingsForm workspaceId={workspaceId} settings={settings} onSaved={setSaved} />
          <PlanCard plan={settings.plan} />
        </>
      )}
    </>
  )
}

const lines = (text: string) =>
  text
    .split(/[\n,;]+/)
    .map((l) => l.trim())
    .filter((l) => l !== '')

function SettingsForm({ workspaceId, settings, onSaved }: { workspaceId: string; settings: Settings; onSaved: (s: Settings) => void }) {
  const [name, setName] = useState(settings.workspace.name)
  const [slug, setSlug] = useState(settings.workspace.slug)
  const [billing, setBilling] = useState(settings.billingContacts.join('\n'))
  const [incident, setIncident] = useState(settings.incidentContacts.join('\n'))
  const { busy, problem, run } = useAction()
  const [saved, setSaved] = useState<string>()
  const { signedIn } = useSession()

  const save = (event: FormEvent) => {
    event.preventDefault()
    setSaved(undefined)
    return run(async () => {
      const body = { name: name.trim(), slug: slug.trim(), billingContacts: lines(billing), incidentContacts: lines(incident) }
      const updated = await must(api.PATCH('/console/api/workspaces/{workspaceId}/settings', { params: { path: { workspaceId } }, body }))
      setBilling(updated.billingContacts.join('\n'))
      setIncident(updated.incidentContacts.join('\n'))
      setSaved('Settings saved.')
      onSaved(updated)
      // The header and the workspace switcher name the workspace from the session: refresh it, quietly.
      signedIn(await must(api.GET('/console/api/session')))
    })
  }
  const errorFor = (field: string) => (problem?.field === field || problem?.field?.startsWith(`${field}.`) ? problem.message : undefined)
  const named = ['name', 'slug', 'billingContacts', 'incidentContacts'].some((f) => errorFor(f) !== undefined)

  return (
    <section className="card" aria-labelledby="general-heading">
      <h2 id="general-heading" className="card-title">
        Workspace
      </h2>
      <form className="form card-body" onSubmit={save} noValidate>
        <Field label="Name" value={name} onChange={(e) => setName(e.target.value)} maxLength={100} required error={errorFor('name')} />
        <Field
          label="Slug"
          hint="Lower-case letters, digits and hyphens; unique on this server."
          value={slug}
          onChange={(e) => setSlug(e.target.value)}
          maxLength={100}
          required
          spellCheck={false}
          error={errorFor('slug')}
        />
        <ContactsField
          label="Billing contacts"
          hint="Who gets invoices and billing notices: one email per line, at most 20."
          value={billing}
          onChange={setBilling}
          error={errorFor('billingContacts')}
        />
        <ContactsField
          label="Incident contacts"
          hint="Who hears about incidents and security notices: one email per line, at most 20."
          value={incident}
          onChange={setIncident}
          error={errorFor('incidentContacts')}
        />
        {problem && !named && <FormError problem={problem} />}
        <SuccessNotice message={saved} />
        <div className="form-row">
          <button type="submit" className="btn btn-primary" disabled={busy}>
            {busy ? 'Saving…' : 'Save changes'}
          </button>
        </div>
      </form>
    </section>
  )
}

function ContactsField({
  label,
  hint,
  value,
  onChange,
  error,
}: {
  label: string
  hint: string
  value: string
  onChange: (value: string) => void
  error: string | undefined
}) {
  const id = useId()
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <textarea
        id={id}
        rows={3}
        value={value}
        onChange={(e) => onChange(e.target.value)}
        aria-invalid={error ? true : undefined}
        aria-describedby={`${id}-hint${error ? ` ${id}-error` : ''}`}
        spellCheck={false}
      />
      <p className="field-hint" id={`${id}-hint`}>
        {hint}
      </p>
      {error && (
        <p className="field-error" id={`${id}-error`}>
          {error}
        </p>
      )}
    </div>
  )
}

function PlanCard({ plan }: { plan: Settings['plan'] }) {
  return (
    <section className="card" aria-labelledby="plan-heading">
      <h2 id="plan-heading" className="card-title">
        Plan: {PLAN_NAMES[plan.name] ?? plan.name}
      </h2>
      <p className="card-description">The plan is set by the server's operator. What the Public API and this console allow on it:</p>
      <ul className="plan-limits">
        {plan.limits.map((limit) => (
          <li key={limit.feature} className={limit.included ? 'plan-limit' : 'plan-limit plan-limit-excluded'}>
            <span className="plan-limit-feature">
              {limit.feature}: {limit.included ? 'included' : 'not included'}
            </span>
            <span className="plan-limit-detail">{limit.detail}</span>
          </li>
        ))}
      </ul>
    </section>
  )
}
