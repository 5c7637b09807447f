import { type ReactNode, useEffect, useRef } from 'react'
import type { ApiProblem } from '../api/client'
import { takeFocus } from '../router'

/** The page's one <h1>; it names the tab too, and takes the focus after a navigation. */
export function PageTitle({ children, title }: { children: ReactNode; title: string }) {
  const heading = useRef<HTMLHeadingElement>(null)
  useEffect(() => {
    document.title = `${title} · Gatehouse`
  }, [title])
  useEffect(() => {
    if (takeFocus()) heading.current?.focus()
  }, [])
  return (
    <h1 ref={heading} tabIndex={-1} className="page-title">
      {children}
    </h1>
  )
}

export function PageHeader({
  title,
  eyebrow,
  description,
  actions,
}: {
  title: string
  eyebrow?: string
  description?: ReactNode
  actions?: ReactNode
}) {
  return (
    <div className="page-header">
      <div>
        {eyebrow && <p className="eyebrow">{eyebrow}</p>}
        <PageTitle title={title}>{title}</PageTitle>
        {description && <p className="page-description">{description}</p>}
      </div>
      {actions && <div className="page-actions">{actions}</div>}
    </div>
  )
}

/** Why a form was refused, in the server's own words. */
export function FormError({ problem }: { problem: ApiProblem }) {
  return (
    <p className="notice notice-error" role="alert">
      {problem.message}
    </p>
  )
}

/** What a change did, in words ("Settings saved."); nothing before the first. */
export function SuccessNotice({ message }: { message: string | undefined }) {
  return message ? (
    <p className="notice notice-success" role="status">
      {message}
    </p>
  ) : null
}

/** A problem the server (or the network) reported, in its own words. */
export function ProblemNotice({ problem, children }: { problem: ApiProblem; children?: ReactNode }) {
  const title =
    problem.status === 403
      ? 'Not allowed'
      : problem.status === 404
        ? 'Not found'
        : problem.status === 0
          ? 'Gatehouse is not answering'
          : 'Something went wrong'
  return (
    <div className="notice notice-error" role="alert">
      <p className="notice-title">{title}</p>
      <p>{problem.message}</p>
      {children}
    </div>
  )
}

export function Loading({ label = 'Loading…' }: { label?: string }) {
  return (
    <p className="loading" role="status">
      <span className="spinner" aria-hidden="true" />
      {label}
    </p>
  )
}

/** Initials in a circle; the colour comes from the text, so a person keeps theirs. */
export function Avatar({ name, email }: { name: string; email: string }) {
  const source = name.trim() || email
  const initials =
    source
      .split(/[\s@._-]+/)
      .filter(Boolean)
      .slice(0, 2)
      .map((part) => part[0]?.toUpperCase())
      .join('') || '?'
  let hash = 0
  for (const char of email) hash = (hash * 31 + char.charCodeAt(0)) >>> 0
  return (
    <span className={`avatar avatar-${hash % 6}`} aria-hidden="true">
      {initials}
    </span>
  )
}
