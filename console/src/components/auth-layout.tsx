import type { ReactNode } from 'react'
import { Brand } from './brand'

/** Pages shown signed out: a card in the middle of the page. */
export function AuthLayout({ children, footer }: { children: ReactNode; footer?: ReactNode }) {
  return (
    <div className="auth-page">
      <header className="auth-header">
        <Brand />
      </header>
      <main id="main" className="auth-main">
        <div className="auth-card">{children}</div>
        {footer && <div className="auth-footer">{footer}</div>}
      </main>
    </div>
  )
}
