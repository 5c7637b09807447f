import { type FormEvent, useState } from 'react'
import { api, must } from '../../api/client'
import { useAction } from '../../components/action'
import { Field } from '../../components/field'
import { NewPasswordFields, useNewPassword } from '../../components/new-password'
import { FormError, SuccessNotice } from '../../components/page'
import { plural } from '../../format'

/** My account → Password: the current one (a session left open is not enough), then the new one twice. */
export function PasswordSection() {
  const [current, setCurrent] = useState('')
  const [saved, setSaved] = useState<string>()
  const next = useNewPassword()
  const action = useAction()
  const fieldOf = (name: string) => (action.problem?.field === name ? action.problem.message : undefined)

  const change = (event: FormEvent) => {
    event.preventDefault()
    setSaved(undefined)
    if (!next.matches()) return
    void action.run(async () => {
      const { endedSessions } = await must(
        api.PUT('/console/api/account/password', { body: { currentPassword: current, newPassword: next.password } }),
      )
      setCurrent('')
      next.fields.onPassword('')
      next.fields.onConfirm('')
      setSaved(
        `Password changed. ${endedSessions === 0 ? 'You were signed in nowhere else.' : `${plural(endedSessions, 'other session')} ended.`}`,
      )
    })
  }

  return (
    <section className="card" aria-labelledby="password-heading">
      <h2 id="password-heading" className="card-title">
        Password
      </h2>
      <p className="card-description">Changing it signs you out everywhere else and ends every unused link mailed to you.</p>
      {action.problem && !fieldOf('currentPassword') && !fieldOf('newPassword') && <FormError problem={action.problem} />}
      <SuccessNotice message={saved} />
      <form className="form card-body" onSubmit={change}>
        <input type="email" name="email" autoComplete="username" hidden readOnly />
        <Field
          label="Current password"
          type="password"
          name="current-password"
          autoComplete="current-password"
          required
          value={current}
          onChange={(e) => setCurrent(e.target.value)}
          error={fieldOf('currentPassword')}
        />
        <NewPasswordFields {...next.fields} error={fieldOf('newPassword')} />
        <div className="form-row">
          <button type="submit" className="btn btn-primary" disabled={action.busy}>
            {action.busy ? 'Changing…' : 'Change password'}
          </button>
        </div>
      </form>
    </section>
  )
}
