import { type FormEvent, useState } from 'react'
import { type ApiProblem, api, asProblem, must } from '../../api/client'
import { AuthLayout } from '../../components/auth-layout'
import { Field } from '../../components/field'
import { FormError, PageTitle } from '../../components/page'
import { type Factor, FactorField, factorBody, SwitchFactor } from '../../components/second-factor'
import { Link, navigate, paths, useLocation } from '../../router'
import { useSession } from '../../session'

/** Where to go after signing in: the page that asked for it, if it is one of the console's. */
export function nextPath(query: URLSearchParams): string {
  const next = query.get('next')
  return next?.startsWith('/console/') && !next.startsWith('/console/sign-in') && !next.includes('//') ? next : paths.home
}

export function SignInPage({ notice }: { notice?: string | undefined }) {
  const { signedIn } = useSession()
  const { query } = useLocation()
  const [email, setEmail] = useState(query.get('email') ?? '')
  const [password, setPassword] = useState('')
  /** The second step: the account has MFA, so the same email and password go again with a code (kept in memory only). */
  const [second, setSecond] = useState<Factor>()
  const [code, setCode] = useState('')
  const [busy, setBusy] = useState(false)
  const [problem, setProblem] = useState<ApiProblem>()

  const submit = async (event: FormEvent) => {
    event.preventDefault()
    setBusy(true)
    setProblem(undefined)
    const factor = second ? factorBody(second, code) : {}
    try {
      const session = await must(api.POST('/console/api/session', { body: { email, password, ...factor } }))
      signedIn(session)
      navigate(nextPath(query), { replace: true })
    } catch (error) {
      const refused = asProblem(error)
      if (refused.type === 'mfa-required' && second === undefined) setSecond('totp')
      else setProblem(refused)
      setBusy(false)
    }
  }

  const switchTo = (kind: Factor) => {
    setSecond(kind)
    setCode('')
    setProblem(undefined)
  }
  const startOver = () => {
    setSecond(undefined)
    setCode('')
    setPassword('')
    setProblem(undefined)
  }

  if (second)
    return (
      <AuthLayout>
        <PageTitle title="Two-step verification">Two-step verification</PageTitle>
        <p className="auth-lead">
          {second === 'totp' ? (
            <>
              Enter the 6-digit code your authenticator app shows for <strong>{email}</strong>.
            </>
          ) : (
            <>
              Enter one of the recovery codes you saved when you set up MFA for <strong>{email}</strong>. Each works once.
            </>
          )}
        </p>
        {problem && <FormError problem={problem} />}
        <form className="form" onSubmit={submit}>
          <FactorField factor={second} autoFocus value={code} onChange={(e) => setCode(e.target.value)} />
          <div className="form-row">
            <button type="submit" className="btn btn-primary btn-block" disabled={busy}>
              {busy ? 'Checking…' : 'Verify and sign in'}
            </button>
          </div>
        </form>
        <p className="auth-aside">
          <SwitchFactor factor={second} onSwitch={switchTo} className="btn-link" />
        </p>
        <p className="auth-aside">
          <button type="button" className="btn-link" onClick={startOver}>
            Sign in as someone else
          </button>
        </p>
      </AuthLayout>
    )

  return (
    <AuthLayout footer={<p>First time here? Once a workspace owner has added you, choose your password with “Forgot your password?”.</p>}>
      <PageTitle title="Sign in">Sign in to Gatehouse</PageTitle>
      {notice && !problem && (
        <p className="notice notice-info" role="status">
          {notice}
        </p>
      )}
      {problem && <FormError problem={problem} />}
      <form className="form" onSubmit={submit}>
        <Field
          label="Email"
          type="email"
          name="email"
          autoComplete="username"
          required
          value={email}
          onChange={(e) => setEmail(e.target.value)}
        />
        <Field
          label="Password"
          type="password"
          name="password"
          autoComplete="current-password"
          required
          value={password}
          onChange={(e) => setPassword(e.target.value)}
        />
        <div className="form-row">
          <button type="submit" className="btn btn-primary btn-block" disabled={busy}>
            {busy ? 'Signing in…' : 'Sign in'}
          </button>
        </div>
      </form>
      <p className="auth-aside">
        <Link to={email ? `${paths.forgotPassword}?email=${encodeURIComponent(email)}` : paths.forgotPassword}>Forgot your password?</Link>
      </p>
    </AuthLayout>
  )
}
