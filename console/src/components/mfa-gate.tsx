import { type FormEvent, useState } from 'react'
import { api, must } from '../api/client'
import { Link, paths } from '../router'
import { useSignedIn } from '../session'
import { useAction } from './action'
import { MfaSetup, RecoveryCodes } from './mfa-setup'
import { FormError, PageHeader } from './page'
import { type Factor, FactorField, factorBody, SwitchFactor } from './second-factor'

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
  const [factor, setFactor] = useState<Factor>('totp')
  const [code, setCode] = useState('')
  const { busy, problem, setProblem, runAndLeave } = useAction()
  const submit = (event: FormEvent) => {
    event.preventDefault()
    return runAndLeave(async () => {
      await must(api.POST('/console/api/session/mfa', { body: factorBody(factor, code) }))
      onPassed()
    })
  }
  return (
    <form className="form" onSubmit={submit}>
      {problem && <FormError problem={problem} />}
      <FactorField factor={factor} value={code} onChange={(e) => setCode(e.target.value)} />
      <div className="form-row">
        <button type="submit" className="btn btn-primary" disabled={busy}>
          {busy ? 'Checking…' : 'Verify'}
        </button>
        <SwitchFactor
          factor={factor}
          className="btn btn-quiet"
          onSwitch={(other) => {
            setFactor(other)
            setCode('')
            setProblem(undefined)
          }}
        />
      </div>
    </form>
  )
}
