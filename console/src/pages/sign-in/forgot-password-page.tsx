import { type FormEvent, useState } from 'react'
import { api, must } from '../../api/client'
import { useAction } from '../../components/action'
import { AuthLayout } from '../../components/auth-layout'
import { Field } from '../../components/field'
import { FormError, PageTitle } from '../../components/page'
import { Link, paths, useLocation } from '../../router'

/** Asks for a link to choose a password. The answer is the same whether or not the email is known. */
export function ForgotPasswordPage() {
  const { query } = useLocation()
  const [email, setEmail] = useState(query.get('email') ?? '')
  const { busy, problem, run } = useAction()
  const [sentTo, setSentTo] = useState<string>()

  const submit = (event: FormEvent) => {
    event.preventDefault()
    return run(async () => {
      await must(api.POST('/console/api/password-resets', { body: { email } }))
      setSentTo(email)
    })
  }

  return (
    <AuthLayout
      footer={
        <p>
          <Link to={paths.signIn}>Back to sign in</Link>
        </p>
      }
    >
      <PageTitle title="Forgot your password?">Forgot your password?</PageTitle>
      {sentTo ? (
        <div className="notice notice-success" role="status">
          <p className="notice-title">Check your email</p>
          <p>
            If <strong>{sentTo}</strong> has an account or a workspace membership here, a link to choose a password is on its way. It works
            once. No message? Look in your spam folder, or ask your Gatehouse administrator for the link.
          </p>
        </div>
      ) : (
        <>
          <p className="auth-lead">Enter your email and we will send you a link to choose a new password.</p>
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
            <div className="form-row">
              <button type="submit" className="btn btn-primary btn-block" disabled={busy}>
                {busy ? 'Sending…' : 'Send me a link'}
              </button>
            </div>
          </form>
        </>
      )}
    </AuthLayout>
  )
}
