import { type FormEvent, useState } from 'react'
import { type Answer, type ApiProblem, api, must } from '../../api/client'
import { useAction } from '../../components/action'
import { AuthLayout } from '../../components/auth-layout'
import { Field } from '../../components/field'
import { useLoaded } from '../../components/loaded'
import { NewPasswordFields, useNewPassword } from '../../components/new-password'
import { FormError, Loading, PageTitle } from '../../components/page'
import { Link, navigate, paths } from '../../router'
import { useSession } from '../../session'

type Invitation = Answer<'/console/api/invitations/{token}', 'get'>['invitation']

/** A mailed invitation, `/console/invitation/<token>`: join the workspace (new person or signed in), or ask for a new link. */
export function InvitationPage({ token }: { token: string }) {
  const state = useLoaded(
    async () => (await must(api.GET('/console/api/invitations/{token}', { params: { path: { token } } }))).invitation,
    [token],
  )

  if (state.status === 'loading')
    return (
      <AuthLayout>
        <PageTitle title="Opening your invitation">Opening your invitation</PageTitle>
        <Loading label="Checking the invitation…" />
      </AuthLayout>
    )
  if (state.status === 'failed') return <Unusable title="This invitation link does not work" problem={state.problem} />
  const invitation = state.value
  if (invitation.status === 'expired') return <Expired token={token} invitation={invitation} />
  if (invitation.status === 'used')
    return (
      <Unusable title="This invitation was already accepted">
        Each invitation link works once. If you joined <strong>{invitation.workspace.name}</strong>, sign in as {invitation.email}.
      </Unusable>
    )
  if (invitation.status === 'revoked')
    return (
      <Unusable title="This invitation was withdrawn">
        <strong>{invitation.workspace.name}</strong> no longer invites {invitation.email}. Ask its owners if you think this is a mistake.
      </Unusable>
    )
  return invitation.account === 'new' ? (
    <JoinAsNewPerson token={token} invitation={invitation} />
  ) : (
    <JoinWithAccount token={token} invitation={invitation} />
  )
}

function Unusable({ title, problem, children }: { title: string; problem?: ApiProblem; children?: React.ReactNode }) {
  return (
    <AuthLayout
      footer={
        <p>
          <Link to={paths.signIn}>Go to sign in</Link>
        </p>
      }
    >
      <PageTitle title={title}>{title}</PageTitle>
      {problem && problem.status !== 404 ? (
        <FormError problem={problem} />
      ) : (
        <p className="auth-lead">{children ?? 'It may have been copied incompletely. Open the link from the email again.'}</p>
      )}
    </AuthLayout>
  )
}

function Expired({ token, invitation }: { token: string; invitation: Invitation }) {
  const [sent, setSent] = useState(false)
  const { busy, problem, run } = useAction()
  const renew = () =>
    run(async () => {
      await must(api.POST('/console/api/invitations/{token}/renewal', { params: { path: { token } } }))
      setSent(true)
    })
  return (
    <AuthLayout>
      <PageTitle title="This invitation link has expired">This invitation link has expired</PageTitle>
      <p className="auth-lead">
        Invitation links work for 7 days. You are still invited to <strong>{invitation.workspace.name}</strong> as {invitation.email}: ask
        for a new link and use it soon after it arrives.
      </p>
      {problem && <FormError problem={problem} />}
      {sent ? (
        <p className="notice notice-success" role="status">
          If the invitation is still open, a new link is on its way to {invitation.email}.
        </p>
      ) : (
        <button type="button" className="btn btn-primary btn-block" onClick={renew} disabled={busy}>
          {busy ? 'Sending…' : 'Email me a new link'}
        </button>
      )}
    </AuthLayout>
  )
}

function Lead({ invitation }: { invitation: Invitation }) {
  return (
    <p className="auth-lead">
      You are invited to join <strong>{invitation.workspace.name}</strong> as <strong>{invitation.email}</strong>.
    </p>
  )
}

function useAccept(token: string) {
  const { signedIn } = useSession()
  return async (body: { name?: string; password?: string }) => {
    const accepted = await must(api.POST('/console/api/invitations/{token}/accept', { params: { path: { token } }, body }))
    signedIn(accepted.session)
    navigate(paths.access(accepted.workspace.id), { replace: true })
  }
}

function JoinAsNewPerson({ token, invitation }: { token: string; invitation: Invitation }) {
  const accept = useAccept(token)
  const [name, setName] = useState('')
  const { password, matches, fields } = useNewPassword()
  const { busy, problem, setProblem, runAndLeave } = useAction()

  const submit = (event: FormEvent) => {
    event.preventDefault()
    setProblem(undefined)
    if (!matches()) return
    return runAndLeave(() => accept({ name: name.trim(), password }))
  }
  const nameError = problem?.field === 'name' ? problem.message : undefined
  const passwordError = problem?.field === 'password' ? problem.message : undefined
  const title = `Join ${invitation.workspace.name}`
  return (
    <AuthLayout>
      <PageTitle title={title}>{title}</PageTitle>
      <Lead invitation={invitation} />
      <p>Tell us your name and choose a password to accept.</p>
      {problem && !nameError && !passwordError && <FormError problem={problem} />}
      <form className="form" onSubmit={submit}>
        <input type="email" name="email" autoComplete="username" value={invitation.email} readOnly hidden />
        <Field
          label="Your name"
          name="name"
          autoComplete="name"
          required
          maxLength={255}
          value={name}
          onChange={(e) => setName(e.target.value)}
          error={nameError}
        />
        <NewPasswordFields label="Password" {...fields} error={passwordError} />
        <div className="form-row">
          <button type="submit" className="btn btn-primary btn-block" disabled={busy}>
            {busy ? 'Joining…' : 'Accept and join'}
          </button>
        </div>
      </form>
    </AuthLayout>
  )
}

function JoinWithAccount({ token, invitation }: { token: string; invitation: Invitation }) {
  const { state, signedIn, signedOut } = useSession()
  const accept = useAccept(token)
  const [password, setPassword] = useState('')
  const { busy, problem, run, runAndLeave } = useAction()
  const me = state.status === 'signed-in' ? state.session.account.email : undefined
  const isInvited = me !== undefined && me.toLowerCase() === invitation.email.toLowerCase()

  const signInThenAccept = (event: FormEvent) => {
    event.preventDefault()
    return runAndLeave(async () => {
      const session = await must(api.POST('/console/api/session', { body: { email: invitation.email, password } }))
      signedIn(session)
      await accept({})
    })
  }
  const signOut = () =>
    run(async () => {
      await must(api.DELETE('/console/api/session'))
      signedOut()
    })

  const title = `Join ${invitation.workspace.name}`
  return (
    <AuthLayout>
      <PageTitle title={title}>{title}</PageTitle>
      <Lead invitation={invitation} />
      {problem && <FormError problem={problem} />}
      {isInvited ? (
        <button type="button" className="btn btn-primary btn-block" onClick={() => runAndLeave(() => accept({}))} disabled={busy}>
          {busy ? 'Joining…' : 'Accept and join'}
        </button>
      ) : me !== undefined ? (
        <>
          <p className="notice notice-info">
            You are signed in as {me}. This invitation is for {invitation.email}: sign out, then sign in as {invitation.email}.
          </p>
          <button type="button" className="btn btn-block" onClick={signOut} disabled={busy}>
            Sign out
          </button>
        </>
      ) : (
        <form className="form" onSubmit={signInThenAccept}>
          <p>You already have a Gatehouse account: sign in to accept.</p>
          <Field label="Email" type="email" name="email" autoComplete="username" value={invitation.email} readOnly />
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
              {busy ? 'Joining…' : 'Sign in and accept'}
            </button>
          </div>
          <p>
            <Link to={`${paths.forgotPassword}?email=${encodeURIComponent(invitation.email)}`}>Forgot your password?</Link>
          </p>
        </form>
      )}
    </AuthLayout>
  )
}
