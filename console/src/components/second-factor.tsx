import type { ComponentProps } from 'react'
import { Field } from './field'

/** The second factor asked for: a code from the authenticator app, or one of the saved recovery codes. */
export type Factor = 'totp' | 'recovery'

/** The factor as the API takes it. */
export function factorBody(factor: Factor, code: string): { totpCode: string } | { recoveryCode: string } {
  return factor === 'recovery' ? { recoveryCode: code } : { totpCode: code }
}

/** The code field for a factor; it is a new field (empty, its own autofill) when the factor changes. */
export function FactorField({
  factor,
  label,
  ...field
}: { factor: Factor; label?: string } & Omit<ComponentProps<typeof Field>, 'label' | 'name' | 'required'>) {
  return factor === 'totp' ? (
    <Field
      key="totp"
      label={label ?? 'Authentication code'}
      name="totpCode"
      inputMode="numeric"
      autoComplete="one-time-code"
      pattern="[0-9 ]{6,7}"
      maxLength={7}
      required
      {...field}
    />
  ) : (
    <Field key="recovery" label="Recovery code" name="recoveryCode" autoComplete="off" spellCheck={false} required {...field} />
  )
}

/** "Use a recovery code instead", or back to the app. */
export function SwitchFactor({ factor, onSwitch, className }: { factor: Factor; onSwitch: (factor: Factor) => void; className: string }) {
  return (
    <button type="button" className={className} onClick={() => onSwitch(factor === 'totp' ? 'recovery' : 'totp')}>
      {factor === 'totp' ? 'Use a recovery code instead' : 'Use the authenticator app instead'}
    </button>
  )
}
