import { type FormEvent, useState } from 'react'
import { api, must } from '../../api/client'
import { useAction } from '../../components/action'
import { Field } from '../../components/field'
import { shownValue, useLoaded } from '../../components/loaded'
import { MfaSetup, RecoveryCodes } from '../../components/mfa-setup'
import { FormError, Loading, ProblemNotice, SuccessNotice } from '../../components/page'
import { FactorField } from '../../components/second-factor'
import { formatDate } from '../../format'

type Mode = 'idle' | 'setup' | 'codes' | 'regenerate' | 'disable'

/** My account → Multi-factor authentication: set up an authenticator, see recovery codes once, make new ones, turn it off. */
export function MfaSection() {
  const [changes, setChanges] = useState(0)
  const status = useLoaded(async () => (await must(api.GET('/console/api/account/mfa'))).mfa, [changes])
  const mfa = shownValue(status)
  const [mode, setMode] = useState<Mode>('idle')
  const [codes, setCodes] = useState<string[]>([])
  const [message, setMessage] = useState<string>()
  const changed = () => setChanges((n) => n + 1)

  const showCodes = (fresh: string[]) => {
    setCodes(fresh)
    setMode('codes')
    setMessage(undefined)
    changed()
  }
  const finish = (done?: string) => {
    setCodes([])
    setMode('idle')
    setMessage(done)
    changed()
  }

  return (
    <section className="card" aria-labelledby="mfa-heading">
      <h2 id="mfa-heading" className="card-title">
        Multi-factor authentication
      </h2>
      <p className="card-description">
        Sign in with a code from an authenticator app as well as your password. Workspaces that require MFA open only to sessions that used
        one.
      </p>
      <div className="mfa-card-body">
        <div aria-live="polite">
          <SuccessNotice message={message} />
        </div>
        {!mfa && status.status === 'loading' && <Loading label="Loading…" />}
        {status.status === 'failed' && <ProblemNotice problem={status.problem} />}
        {mfa && mode === 'codes' && <RecoveryCodes codes={codes} onDone={() => finish()} />}
        {mfa && mode !== 'codes' && !mfa.enabled && (
          <>
            <p className="mfa-off">Multi-factor authentication is off for your account.</p>
            {mode === 'setup' ? (
              <MfaSetup onEnabled={showCodes} onCancel={() => setMode('idle')} />
            ) : (
              <button type="button" className="btn btn-primary" onClick={() => setMode('setup')}>
                Set up MFA
              </button>
            )}
          </>
        )}
        {mfa && mode !== 'codes' && mfa.enabled && (
          <>
            <dl className="facts">
              <div>
                <dt>Authenticator app</dt>
                <dd>On since {mfa.enabledAt ? formatDate(mfa.enabledAt) : '—'}</dd>
              </div>
              <div>
                <dt>Recovery codes left</dt>
                <dd>{mfa.recoveryCodesLeft} of 10</dd>
              </div>
            </dl>
            {mode === 'regenerate' && <Regenerate onDone={showCodes} onCancel={() => setMode('idle')} />}
            {mode === 'disable' && (
              <Disable onDone={() => finish('Multi-factor authentication is off.')} onCancel={() => setMode('idle')} />
            )}
            {mode === 'idle' && (
              <div className="form-row">
                <button type="button" className="btn" onClick={() => setMode('regenerate')}>
                  New recovery codes
                </button>
                <button type="button" className="btn btn-danger" onClick={() => setMode('disable')}>
                  Turn off MFA
                </button>
              </div>
            )}
          </>
        )}
      </div>
    </section>
  )
}

function Regenerate({ onDone, onCancel }: { onDone: (codes: string[]) => void; onCancel: () => void }) {
  const [code, setCode] = useState('')
  const { busy, problem, runAndLeave } = useAction()
  const submit = (event: FormEvent) => {
    event.preventDefault()
    return runAndLeave(async () => {
      const { recoveryCodes } = await must(api.POST('/console/api/account/mfa/recovery-codes', { body: { totpCode: code } }))
      onDone(recoveryCodes)
    })
  }
  return (
    <form className="form" onSubmit={submit} aria-label="New recovery codes">
      {problem && <FormError problem={problem} />}
      <FactorField
        factor="totp"
        label="Code from the app"
        hint="New codes replace the old ones, used or not."
        value={code}
        onChange={(e) => setCode(e.target.value)}
      />
      <div className="form-row">
        <button type="submit" className="btn btn-primary" disabled={busy}>
          Make new codes
        </button>
        <button type="button" className="btn" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  )
}

function Disable({ onDone, onCancel }: { onDone: () => void; onCancel: () => void }) {
  const [password, setPassword] = useState('')
  const { busy, problem, runAndLeave } = useAction()
  const submit = (event: FormEvent) => {
    event.preventDefault()
    return runAndLeave(async () => {
      await must(api.DELETE('/console/api/account/mfa/totp', { body: { currentPassword: password } }))
      onDone()
    })
  }
  return (
    <form className="form" onSubmit={submit} aria-label="Turn off MFA">
      {problem && <FormError problem={problem} />}
      <Field
        label="Current password"
        type="password"
        name="currentPassword"
        autoComplete="current-password"
        required
        hint="Workspaces that require MFA will ask you to set it up again."
        value={password}
        onChange={(e) => setPassword(e.target.value)}
      />
      <div className="form-row">
        <button type="submit" className="btn btn-danger" disabled={busy}>
          Turn off MFA
        </button>
        <button type="button" className="btn" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  )
}
