import { type ReactNode, useEffect, useId, useRef } from 'react'
import { useAction } from './action'
import { FormError } from './page'

/** A modal dialog (the browser's own: the focus stays inside, Escape closes it), open while it is mounted. */
export function Dialog({
  title,
  onClose,
  focusKey,
  children,
}: {
  title: string
  onClose: () => void
  /** When it changes (a new step), the focus goes to the control marked data-autofocus, or else the first one. */
  focusKey?: string
  children: ReactNode
}) {
  const ref = useRef<HTMLDialogElement>(null)
  const titleId = useId()
  useEffect(() => {
    const dialog = ref.current
    if (dialog && !dialog.open) dialog.showModal()
    return () => dialog?.close()
  }, [])
  // biome-ignore lint/correctness/useExhaustiveDependencies: focusKey is the trigger, not an input
  useEffect(() => {
    const dialog = ref.current
    const first =
      dialog?.querySelector<HTMLElement>('[data-autofocus]') ?? dialog?.querySelector<HTMLElement>('input, select, textarea, button')
    first?.focus()
  }, [focusKey])
  return (
    <dialog
      ref={ref}
      className="dialog"
      aria-labelledby={titleId}
      onCancel={(event) => {
        event.preventDefault()
        onClose()
      }}
    >
      <h2 id={titleId} className="dialog-title">
        {title}
      </h2>
      {children}
    </dialog>
  )
}

/**
 * A modal question before something that cannot be undone (deleting a group, revoking a token). The focus starts
 * on Cancel; Escape cancels; the server's refusal shows inside it.
 */
export function ConfirmDialog({
  title,
  confirm,
  onConfirm,
  onClose,
  children,
}: {
  title: string
  /** The label of the button that does it ("Delete group"). */
  confirm: string
  onConfirm: () => Promise<void>
  onClose: () => void
  children: ReactNode
}) {
  const { busy, problem, runAndLeave } = useAction()
  return (
    <Dialog title={title} onClose={onClose}>
      {children}
      {problem && <FormError problem={problem} />}
      <div className="dialog-buttons">
        <button type="button" className="btn" onClick={onClose} disabled={busy} data-autofocus>
          Cancel
        </button>
        <button type="button" className="btn btn-danger" onClick={() => runAndLeave(onConfirm)} disabled={busy}>
          {confirm}
        </button>
      </div>
    </Dialog>
  )
}

/**
 * A table row's question in place of its buttons ("Revoke? Yes, revoke / Cancel"); the focus goes to the yes.
 * `question` names the row for screen readers ("Revoke the invite for a@example.com?").
 */
export function ConfirmInline({
  question,
  ask,
  yes,
  yesLabel,
  cancelLabel,
  busy,
  onYes,
  onCancel,
}: {
  question: string
  /** The short question shown ("Revoke?"). */
  ask: string
  /** The button's text ("Yes, revoke") and its full name. */
  yes: string
  yesLabel: string
  /** The full name of Cancel ("Keep the invite for …"). */
  cancelLabel: string
  busy: boolean
  onYes: () => void
  onCancel: () => void
}) {
  const yesButton = useRef<HTMLButtonElement>(null)
  useEffect(() => yesButton.current?.focus(), [])
  return (
    <fieldset className="confirm">
      <legend className="visually-hidden">{question}</legend>
      <span className="confirm-question">{ask}</span>
      <button ref={yesButton} type="button" className="btn btn-danger btn-small" disabled={busy} onClick={onYes} aria-label={yesLabel}>
        {yes}
      </button>
      <button type="button" className="btn btn-small" onClick={onCancel} aria-label={cancelLabel}>
        Cancel
      </button>
    </fieldset>
  )
}
