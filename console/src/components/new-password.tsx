import { useState } from 'react'
import { Field } from './field'

const RULES = 'At least 12 characters; not a common password, and not your email address. A few unrelated words work well.'

/** A new password typed twice. `matches()` before sending: when the two differ, the confirmation says so. */
export function useNewPassword() {
  const [password, setPassword] = useState('')
  const [confirm, setConfirm] = useState('')
  const [mismatch, setMismatch] = useState(false)
  return {
    password,
    matches: () => {
      setMismatch(password !== confirm)
      return password === confirm
    },
    fields: { password, confirm, mismatch, onPassword: setPassword, onConfirm: setConfirm },
  }
}

/** The new password (with the rules as its hint and the server's complaint) and its confirmation. */
export function NewPasswordFields({
  label = 'New password',
  error,
  password,
  confirm,
  mismatch,
  onPassword,
  onConfirm,
}: ReturnType<typeof useNewPassword>['fields'] & { label?: string; error: string | undefined }) {
  return (
    <>
      <Field
        label={label}
        type="password"
        name="new-password"
        autoComplete="new-password"
        required
        value={password}
        onChange={(e) => onPassword(e.target.value)}
        hint={RULES}
        error={error}
      />
      <Field
        label="Confirm the password"
        type="password"
        name="confirm-password"
        autoComplete="new-password"
        required
        value={confirm}
        onChange={(e) => onConfirm(e.target.value)}
        error={mismatch ? 'The two passwords are not the same' : undefined}
      />
    </>
  )
}
