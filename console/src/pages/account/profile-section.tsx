import { type FormEvent, useState } from 'react'
import { api, must } from '../../api/client'
import { useAction } from '../../components/action'
import { Field } from '../../components/field'
import { FormError, SuccessNotice } from '../../components/page'
import { useSession, useSignedIn } from '../../session'

/** My account → Profile: the name every workspace of this server shows, and the email (fixed: it is the account). */
export function ProfileSection() {
  const { account } = useSignedIn()
  const { signedIn } = useSession()
  const [name, setName] = useState(account.name)
  const [saved, setSaved] = useState<string>()
  const action = useAction()
  const nameError = action.problem?.field === 'name' ? action.problem.message : undefined

  const save = (event: FormEvent) => {
    event.preventDefault()
    setSaved(undefined)
    void action.run(async () => {
      signedIn(await must(api.PATCH('/console/api/account', { body: { name } })))
      setSaved('Your name is saved; every workspace shows it.')
    })
  }

  return (
    <section className="card" aria-labelledby="profile-heading">
      <h2 id="profile-heading" className="card-title">
        Profile
      </h2>
      <dl className="facts facts-card">
        <div>
          <dt>Email</dt>
          <dd>{account.email}</dd>
        </div>
        {account.instanceAdmin && (
          <div>
            <dt>Role on this server</dt>
            <dd>Instance admin</dd>
          </div>
        )}
      </dl>
      {action.problem && !nameError && <FormError problem={action.problem} />}
      <SuccessNotice message={saved} />
      <form className="form card-body" onSubmit={save}>
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
        <div className="form-row">
          <button type="submit" className="btn btn-primary" disabled={action.busy || name.trim() === account.name}>
            {action.busy ? 'Saving…' : 'Save name'}
          </button>
        </div>
      </form>
    </section>
  )
}
