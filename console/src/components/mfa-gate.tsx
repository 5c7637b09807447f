import { type FormEvent, useState } from 'react'
import { type ApiProblem, api, asProblem, must } from '../api/client'
import { Link, paths } from '../router'
import { useSignedIn } from '../session'
import { Field } from './field'
import { MfaSetup, RecoveryCodes } from './mfa-setup'
import { FormError, PageHeader } from './page'

/**
 * What a workspace with Require MFA shows a session that has not met it: set up an authenticator (`enrol`), or
 * enter a code (`verify`). `onPassed` asks for the workspace again.
 */
export function MfaGate({ workspaceId, kind, onPassed }: { workspaceId: string; kind: 'enrol' | 'verify'; onPassed: () => void }) {
  const session = useSignedIn()
  const name = session.workspaces.find((w) => w.id === workspaceId)?.name ?? 'This workspace'
  const others = session.workspaces.length > 1
  return (
    <>
      <PageHeader
        eyebrow={name}
        title={kind === 'enrol' ? 'Set up multi-factor authentication' : 'Verify it is you'}
        description={
          <>
            {name} requires multi-factor authentication.{' '}
            {kind === 'enrol'
              ? 'Set up an authenticator app to enter it.'
              : 'Enter a code from your authenticator app (or a recovery code) to enter it.'}{' '}
            {others && (
              <>
                Your <Link to={paths.workspaces}>other workspaces</Link> stay open meanwhile.
              </>
            )}
          </>
        }
      />
      <section className="card" aria-labelledby="mfa-gate-heading">
        <h2 id="mfa-gate-heading" className="card-title">
          {kind === 'enrol' ? 'Authenticator app' : 'Code'}
        </h2>
        <div className="mfa-card-body">{kind === 'enrol' ? <Enrol onPassed={onPassed} /> : <Verify onPassed={onPassed} />}</div>
      </section>
    </>
  )
}

function Enrol({ onPassed }: { onPassed: () => void }) {
  const [codes, setCodes] = useState<string[]>()
  return codes ? <RecoveryCodes codes={codes} onDone={onPassed} /> : <MfaSetup onEnabled={setCodes} />
}

/** Step-up: a TOTP code, or a recovery code, for this session. */
export function Verify({ onPassed }: { onPassed: () => void }) {
  const [recovery, setRecovery] = useState(false)
  const [code, setCode] = useState('')
  const [busy, setBusy] = useState(false)
  const [problem, setProblem] = useState<ApiProblem>()
  const submit = async (event: FormEvent) => {
    event.preventDefault()
    setBusy(true)
    setProblem(undefined)
    try {
      await must(api.POST('/console/api/session/mfa', { body: recovery ? { recoveryCode: code } : { totpCode: code } }))
      onPassed()
    } catch (error) {
      setProblem(asProblem(error))
      setBusy(false)
    }
  }
  return (
    <form className="form" onSubmit={submit}>
      {problem && <FormError problem={problem} />}
      {recovery ? (
        <Field
          key="recovery"
          label="Recovery code"
          name="recoveryCode"
          autoComplete="off"
          spellCheck={false}
          required
          value={code}
          onChange={(e) => setCode(e.target.value)}
        />
      ) : (
        <Field
          key="totp"
          label="Authentication code"
          name="totpCode"
          inputMode="numeric"
          autoComplete="one-time-code"
          pattern="[0-9 ]{6,7}"
          maxLength={7}
          required
          value={code}
          onChange={(e) => setCode(e.target.value)}
        />
      )}
      <div className="form-row">
        <button type="submit" className="btn btn-primary" disabled={busy}>
          {busy ? 'Checking…' : 'Verify'}
        </button>
        <button
          type="button"
          className="btn btn-quiet"
          onClick={() => {
            setRecovery((was) => !was)
            setCode('')
            setProblem(undefined)
          }}
        >
          {recovery ? 'Use the authenticator app instead' : 'Use a recovery code instead'}
        </button>
      </div>
    </form>
  )
}
