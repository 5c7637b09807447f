import { createContext, type ReactNode, useCallback, useContext, useEffect, useMemo, useState } from 'react'
import { type ApiProblem, api, asProblem, must, type Session, setCsrfToken, whenSessionEnds } from './api/client'

export type SessionState =
  | { status: 'loading' }
  | { status: 'unreachable'; problem: ApiProblem }
  | { status: 'signed-out'; notice?: string }
  | { status: 'signed-in'; session: Session }

interface SessionContextValue {
  state: SessionState
  /** A session answer arrived (sign-in, a link): the console is now signed in as it says. */
  signedIn(session: Session): void
  /** The session is over; `notice` is shown on the sign-in page. */
  signedOut(notice?: string): void
  /** Asks the server again who is signed in. */
  reload(): void
}

const SessionContext = createContext<SessionContextValue | null>(null)

export function SessionProvider({ children }: { children: ReactNode }) {
  const [state, setState] = useState<SessionState>({ status: 'loading' })

  const signedIn = useCallback((session: Session) => {
    setCsrfToken(session.csrfToken)
    setState({ status: 'signed-in', session })
  }, [])
  const signedOut = useCallback((notice?: string) => {
    setCsrfToken(undefined)
    setState(notice === undefined ? { status: 'signed-out' } : { status: 'signed-out', notice })
  }, [])

  const reload = useCallback(() => {
    setState({ status: 'loading' })
    must(api.GET('/console/api/session')).then(signedIn, (error: unknown) => {
      const problem = asProblem(error)
      if (problem.status === 401) signedOut()
      else setState({ status: 'unreachable', problem })
    })
  }, [signedIn, signedOut])

  useEffect(reload, [reload])

  // Any signed-in request answered 401 ends the session here too (revoked elsewhere, expired, idle).
  useEffect(() => {
    whenSessionEnds(() => {
      setCsrfToken(undefined)
      setState((current) =>
        current.status === 'signed-in' ? { status: 'signed-out', notice: 'Your session has ended. Sign in again to continue.' } : current,
      )
    })
    return () => whenSessionEnds(undefined)
  }, [])

  const value = useMemo(() => ({ state, signedIn, signedOut, reload }), [state, signedIn, signedOut, reload])
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>
}

export function useSession(): SessionContextValue {
  const value = useContext(SessionContext)
  if (!value) throw new Error('useSession outside SessionProvider')
  return value
}

/** The signed-in session; only for pages shown signed in. */
export function useSignedIn(): Session {
  const { state } = useSession()
  if (state.status !== 'signed-in') throw new Error('useSignedIn on a page shown signed out')
  return state.session
}
