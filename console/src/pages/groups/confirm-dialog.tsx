import { type ReactNode, useEffect, useId, useRef, useState } from 'react'
import { type ApiProblem, asProblem } from '../../api/client'
import { FormError } from '../../components/page'
import type { Grant } from '../../components/permissions-editor'

/**
 * A modal question before something that cannot be undone (deleting a group, removing a person). The focus starts
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
  const ref = useRef<HTMLDialogElement>(null)
  const cancel = useRef<HTMLButtonElement>(null)
  const titleId = useId()
  const [busy, setBusy] = useState(false)
  const [problem, setProblem] = useState<ApiProblem>()
  useEffect(() => {
    const dialog = ref.current
    if (dialog && !dialog.open) dialog.showModal()
    cancel.current?.focus()
    return () => dialog?.close()
  }, [])
  const go = async () => {
    setBusy(true)
    setProblem(undefined)
    try {
      await onConfirm()
    } catch (error) {
      setProblem(asProblem(error))
      setBusy(false)
    }
  }
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
      {problem && <FormError problem={problem} />}
      <div className="dialog-buttons">
        <button ref={cancel} type="button" className="btn" onClick={onClose} disabled={busy}>
          Cancel
        </button>
        <button type="button" className="btn btn-danger" onClick={go} disabled={busy}>
          {confirm}
        </button>
      </div>
    </dialog>
  )
}

/** A permission as the server lists it, as the permissions editor edits it. */
export function toGrant(p: {
  roleId: string
  resources: { id: string; type: string; labels?: { key: string; value: string }[] }[]
}): Grant {
  return {
    roleId: p.roleId,
    resources: p.resources.map((r) => ({
      id: r.id,
      type: r.type as Grant['resources'][number]['type'],
      ...(r.labels && r.labels.length > 0 ? { labels: r.labels.map(({ key, value }) => ({ key, value })) } : {}),
    })),
  }
}

/** Emails typed in a box, separated by commas, spaces or lines. */
export function emailsIn(text: string): string[] {
  return text
    .split(/[\s,;]+/)
    .map((e) => e.trim())
    .filter(Boolean)
}
