import { type FormEvent, useState } from 'react'
import { type Answer, type ApiProblem, api, must } from '../../api/client'
import { useAction } from '../../components/action'
import { AuthLayout } from '../../components/auth-layout'
import { Field } from '../../components/field'
import { useLoaded } from '../../components/loaded'
import { NewPasswordFields, useNewPassword } from '../../components/new-password'
import { FormError, Loading, PageTitle } from '../../components/page'
import { type Factor, FactorField, factorBody, SwitchFactor } from '../../components/second-factor'
import { Link, navigate, paths } from '../../router'
import { useSession } from '../../session'

type LinkInfo = Answer<'/console/api/links/{token}', 'get'>['link']

/** A mailed link, `/console/link/<token>`: set or reset a password with it, or sign in with it. */
export function LinkPage({ token }: { token: string }) {
  const state = useLoaded(async () => (await must(api.GET('/console/api/links/{token}', { params: { path: { token } } }))).link, [token])

  if (state.status === 'loading')
    return (
      <AuthLayout>
        <PageTitle title="Opening your link">Opening your link</PageTitle>
        <Loading label="Checking the link…" />
      </AuthLayout>
    )
  if (state.status === 'failed') return <UnusableLink problem={state.problem} />
  const link = state.value
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
  const { password, matches, fields } = useNewPassword()
  const [code, setCode] = useState('')
  const [factor, setFactor] = useState<Factor>('totp')
  const { busy, problem, setProblem, runAndLeave } = useAction()

  const submit = (event: FormEvent) => {
    event.preventDefault()
    setProblem(undefined)
    if (!matches()) return
    return runAndLeave(async () => {
      // An account with MFA needs its code too: the mailed link alone is only one factor.
      const second = link.mfaRequired ? factorBody(factor, code) : {}
      const body = isNew ? { password, name: name.trim(), ...second } : { password, ...second }
      const session = await must(api.POST('/console/api/links/{token}/password', { params: { path: { token } }, body }))
      signedIn(session)
      navigate(paths.home, { replace: true })
    })
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
        <NewPasswordFields {...fields} error={passwordError} />
        {link.mfaRequired && (
          <>
            <FactorField
              factor={factor}
              label="Code from your authenticator app"
              value={code}
              onChange={(e) => setCode(e.target.value)}
              hint="Your account uses MFA: a new password needs your second factor too."
              error={codeError}
            />
            <SwitchFactor
              factor={factor}
              className="btn-link"
              onSwitch={(other) => {
                setFactor(other)
                setCode('')
              }}
            />
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
  const { busy, problem, runAndLeave } = useAction()
  const signIn = () =>
    runAndLeave(async () => {
      const session = await must(api.POST('/console/api/links/{token}/session', { params: { path: { token } } }))
      signedIn(session)
      navigate(paths.home, { replace: true })
    })
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
