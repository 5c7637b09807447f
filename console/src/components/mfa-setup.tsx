import { type FormEvent, useState } from 'react'
import { type Answer, api, must } from '../api/client'
import { useAction } from './action'
import { FormError } from './page'
import { QrCode } from './qr-code'
import { FactorField } from './second-factor'

type Started = Answer<'/console/api/account/mfa/totp', 'post'>['totp']

/**
 * Setting up an authenticator app: the QR code and the key to type by hand, then a first code from the app.
 * `onEnabled` gets the recovery codes (shown once by the caller).
 */
export function MfaSetup({ onEnabled, onCancel }: { onEnabled: (recoveryCodes: string[]) => void; onCancel?: () => void }) {
  const [started, setStarted] = useState<Started>()
  const [code, setCode] = useState('')
  const { busy, problem, run, runAndLeave } = useAction()

  const start = () =>
    run(async () => {
      const { totp } = await must(api.POST('/console/api/account/mfa/totp'))
      setStarted(totp)
    })

  const confirm = (event: FormEvent) => {
    event.preventDefault()
    return runAndLeave(async () => {
      const { recoveryCodes } = await must(api.POST('/console/api/account/mfa/totp/confirm', { body: { code } }))
      onEnabled(recoveryCodes)
    })
  }

  if (!started)
    return (
      <div className="mfa-setup">
        {problem && <FormError problem={problem} />}
        <div className="form-row">
          <button type="button" className="btn btn-primary" onClick={start} disabled={busy}>
            {busy ? 'Starting…' : 'Set up an authenticator app'}
          </button>
          {onCancel && (
            <button type="button" className="btn" onClick={onCancel}>
              Cancel
            </button>
          )}
        </div>
      </div>
    )
  return (
    <div className="mfa-setup">
      <ol className="mfa-steps">
        <li>
          <p>Scan this QR code with an authenticator app (Google Authenticator, 1Password, Authy, FreeOTP…).</p>
          <QrCode rows={started.qr} label="QR code to scan with your authenticator app" />
        </li>
        <li>
          <p>Or type this key into the app by hand:</p>
          <p>
            <code className="mfa-secret" data-testid="mfa-secret">
              {started.secret.replace(/(.{4})/g, '$1 ').trim()}
            </code>
          </p>
        </li>
        <li>
          <form className="form" onSubmit={confirm}>
            {problem && <FormError problem={problem} />}
            <FactorField
              factor="totp"
              label="Code from the app"
              hint="The 6 digits the app shows for Gatehouse."
              value={code}
              onChange={(e) => setCode(e.target.value)}
              error={problem?.field === 'code' ? problem.message : undefined}
            />
            <div className="form-row">
              <button type="submit" className="btn btn-primary" disabled={busy}>
                {busy ? 'Checking…' : 'Turn on MFA'}
              </button>
              {onCancel && (
                <button type="button" className="btn" onClick={onCancel}>
                  Cancel
                </button>
              )}
            </div>
          </form>
        </li>
      </ol>
    </div>
  )
}

/** Recovery codes, shown once: copy them or download them as a text file. */
export function RecoveryCodes({ codes, onDone }: { codes: string[]; onDone: () => void }) {
  const [copied, setCopied] = useState<string>()
  const text = `Gatehouse recovery codes (each works once)\n\n${codes.join('\n')}\n`
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(text)
      setCopied('Copied to the clipboard.')
    } catch {
      setCopied('The browser did not allow copying: select the codes and copy them, or download them.')
    }
  }
  const download = () => {
    const url = URL.createObjectURL(new Blob([text], { type: 'text/plain' }))
    const link = document.createElement('a')
    link.href = url
    link.download = 'gatehouse-recovery-codes.txt'
    link.click()
    setTimeout(() => URL.revokeObjectURL(url), 1000)
  }
  return (
    <section className="recovery-codes" aria-labelledby="recovery-codes-heading">
      <h3 id="recovery-codes-heading" className="recovery-codes-title">
        Your recovery codes
      </h3>
      <p>Keep them somewhere safe. Each one signs you in once if you lose your authenticator app. They are shown only now.</p>
      <ul className="recovery-code-list" aria-label="Recovery codes">
        {codes.map((code) => (
          <li key={code}>
            <code>{code}</code>
          </li>
        ))}
      </ul>
      <div className="form-row">
        <button type="button" className="btn" onClick={copy}>
          Copy
        </button>
        <button type="button" className="btn" onClick={download}>
          Download as text
        </button>
        <button type="button" className="btn btn-primary" onClick={onDone}>
          I have saved them
        </button>
      </div>
      <p aria-live="polite" className="muted">
        {copied}
      </p>
    </section>
  )
}
