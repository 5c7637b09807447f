import { type FormEvent, useEffect, useState } from 'react'
import { type Answer, type ApiProblem, api, asProblem, must } from '../../api/client'
import { AuthLayout } from '../../components/auth-layout'
import { Field } from '../../components/field'
import { FormError, Loading, PageTitle } from '../../components/page'
import { Link, navigate, paths } from '../../router'
import { useSession } from '../../session'

type LinkInfo = Answer<'/console/api/links/{token}', 'get'>['link']

/** A mailed link, `/console/link/<token>`: set or reset a password with it, or sign in with it. */
export function LinkPage({ token }: { token: string }) {
  const [state, setState] = useState<
    { status: 'loading' } | { status: 'failed'; problem: ApiProblem } | { status: 'ready'; link: LinkInfo }
  >({
    status: 'loading',
  })
  useEffect(() => {
    let current = true
    must(api.GET('/console/api/links/{token}', { params: { path: { token } } })).then(
      ({ link }) => current && setState({ status: 'ready', link }),
      (error: unknown) => current && setState({ status: 'failed', problem: asProblem(error) }),
    )
    return () => {
      current = false
    }
  }, [token])

  if (state.status === 'loading')
    return (
      <AuthLayout>
        <PageTitle title="Opening your link">Opening your link</PageTitle>
        <Loading label="Checking the link…" />
      </AuthLayout>
    )
  if (state.status === 'failed') return <UnusableLink problem={state.problem} />
  const { link } = state
  if (link.status !== 'valid') return <UnusableLink status={link.status} email={link.email} />
  if (link.purpose === 'sign_in') return <SignInWithLink token={token} link={link} />
  return <ChoosePassword token={token} link={link} />
}

function UnusableLink({ status, email, problem }: { status?: string; email?: string; problem?: ApiProblem }) {
  const title =
    status === 'expired'
      ? 'This link has expired'
      : status === 'used'
        ? 'This link has already been used'
        : problem?.status === 404
          ? 'This link does not work'
          : 'This link cannot be opened'
  const again = email ? `${paths.forgotPassword}?email=${encodeURIComponent(email)}` : paths.forgotPassword
  return (
    <AuthLayout
      footer={
        <p>
          <Link to={paths.signIn}>Back to sign in</Link>
        </p>
      }
    >
      <PageTitle title={title}>{title}</PageTitle>
      {problem && problem.status !== 404 ? (
        <FormError problem={problem} />
      ) : (
        <p className="auth-lead">
          {status === 'used'
            ? 'Each link works once. If you already chose a password, sign in with it.'
            : status === 'expired'
              ? 'Links work for a limited time. Ask for a new one and use it soon after it arrives.'
              : 'It may have been copied incompletely, or replaced by a newer link.'}
        </p>
      )}
      <Link to={again} className="btn btn-primary btn-block">
        Ask for a new link
      </Link>
    </AuthLayout>
  )
}

function ChoosePassword({ token, link }: { token: string; link: LinkInfo }) {
  const { signedIn } = useSession()
  const isNew = link.purpose === 'set_password'
  const [name, setName] = useState(link.name)
  const [password, setPassword] = useState('')
  const [confirm, setConfirm] = useState('')
  const [mismatch, setMismatch] = useState(false)
  const [code, setCode] = useState('')
  const [recovery, setRecovery] = useState(false)
  const [busy, setBusy] = useState(false)
  const [problem, setProblem] = useState<ApiProblem>()

  const submit = async (event: FormEvent) => {
    event.preventDefault()
    setProblem(undefined)
    if (password !== confirm) {
      setMismatch(true)
      return
    }
    setMismatch(false)
    setBusy(true)
    try {
      // An account with MFA needs its code too: the mailed link alone is only one factor.
      const factor = !link.mfaRequired ? {} : recovery ? { recoveryCode: code } : { totpCode: code }
      const body = isNew ? { password, name: name.trim(), ...factor } : { password, ...factor }
      const session = await must(api.POST('/console/api/links/{token}/password', { params: { path: { token } }, body }))
      signedIn(session)
      navigate(paths.home, { replace: true })
    } catch (error) {
      setProblem(asProblem(error))
      setBusy(false)
    }
  }

  const title = isNew ? 'Welcome to Gatehouse' : 'Choose a new password'
  const passwordError = problem?.field === 'password' ? problem.message : undefined
  const codeError = problem?.field === 'totpCode' || problem?.field === 'recoveryCode' ? problem.message : undefined
  return (
    <AuthLayout>
      <PageTitle title={title}>{title}</PageTitle>
      <p className="auth-lead">
        {isNew ? 'Choose a password for ' : 'Choose a new password for '}
        <strong>{link.email}</strong>
        {isNew ? ' to sign in.' : '. Every other session of yours ends.'}
      </p>
      {problem && !passwordError && !codeError && <FormError problem={problem} />}
      <form className="form" onSubmit={submit}>
        <input type="email" name="email" autoComplete="username" value={link.email} readOnly hidden />
        {isNew && (
          <Field label="Your name" name="name" autoComplete="name" value={name} maxLength={255} onChange={(e) => setName(e.target.value)} />
        )}
        <Field
          label="New password"
          type="password"
          name="new-password"
          autoComplete="new-password"
          required
          value={password}
          onChange={(e) => setPassword(e.target.value)}
          hint="At least 12 characters; not a common password, and not your email address. A few unrelated words work well."
          error={passwordError}
        />
        <Field
          label="Confirm the password"
          type="password"
          name="confirm-password"
          autoComplete="new-password"
          required
          value={confirm}
          onChange={(e) => setConfirm(e.target.value)}
          error={mismatch ? 'The two passwords are not the same' : undefined}
        />
        {link.mfaRequired && (
          <>
            <Field
              key={recovery ? 'recovery' : 'totp'}
              label={recovery ? 'Recovery code' : 'Code from your authenticator app'}
              name={recovery ? 'recoveryCode' : 'totpCode'}
              autoComplete={recovery ? 'off' : 'one-time-code'}
              inputMode={recovery ? 'text' : 'numeric'}
              required
              value={code}
              onChange={(e) => setCode(e.target.value)}
              hint="Your account uses MFA: a new password needs your second factor too."
              error={codeError}
            />
            <button
              type="button"
              className="btn-link"
              onClick={() => {
                setRecovery((was) => !was)
                setCode('')
              }}
            >
              {recovery ? 'Use the authenticator app instead' : 'Use a recovery code instead'}
            </button>
          </>
        )}
        <div className="form-row">
          <button type="submit" className="btn btn-primary btn-block" disabled={busy}>
            {busy ? 'Saving…' : isNew ? 'Set password and sign in' : 'Save and sign in'}
          </button>
        </div>
      </form>
    </AuthLayout>
  )
}

function SignInWithLink({ token, link }: { token: string; link: LinkInfo }) {
  const { signedIn } = useSession()
  const [busy, setBusy] = useState(false)
  const [problem, setProblem] = useState<ApiProblem>()
  const signIn = async () => {
    setBusy(true)
    setProblem(undefined)
    try {
      const session = await must(api.POST('/console/api/links/{token}/session', { params: { path: { token } } }))
      signedIn(session)
      navigate(paths.home, { replace: true })
    } catch (error) {
      setProblem(asProblem(error))
      setBusy(false)
    }
  }
  return (
    <AuthLayout>
      <PageTitle title="Sign in with a link">Sign in with a link</PageTitle>
      <p className="auth-lead">
        This link signs you in as <strong>{link.name ? `${link.name} (${link.email})` : link.email}</strong>. It works once.
      </p>
      {problem && <FormError problem={problem} />}
      <button type="button" className="btn btn-primary btn-block" onClick={signIn} disabled={busy}>
        {busy ? 'Signing in…' : 'Sign in'}
      </button>
    </AuthLayout>
  )
}
