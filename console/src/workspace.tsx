import { createContext, lazy, type ReactNode, Suspense, useCallback, useContext, useState } from 'react'
import { type Answer, api, must } from './api/client'
import { type Loaded, useLoaded } from './components/loaded'

export type WorkspaceAccess = Answer<'/console/api/workspaces/{workspaceId}/access', 'get'>

interface WorkspaceContextValue {
  id: string
  state: Loaded<WorkspaceAccess>
  /** Asks for the access again (after the person set up or passed MFA for it). */
  reload: () => void
}

const WorkspaceContext = createContext<WorkspaceContextValue | null>(null)

/** The answers of a workspace with Require MFA on that this session may not enter yet. */
const MFA_REFUSALS = new Set(['mfa-enrollment-required', 'mfa-verification-required'])
const MfaGate = lazy(() => import('./components/mfa-gate').then((m) => ({ default: m.MfaGate })))

/** What the signed-in person may do in one workspace (GET …/access), for the pages and the navigation inside it. */
export function WorkspaceProvider({ id, children }: { id: string; children: ReactNode }) {
  const [attempt, setAttempt] = useState(0)
  const reload = useCallback(() => setAttempt((n) => n + 1), [])
  // Another workspace's answer is never shown for this one: a new id is loading from its first render.
  const state = useLoaded(
    () => must(api.GET('/console/api/workspaces/{workspaceId}/access', { params: { path: { workspaceId: id } } })),
    [id, attempt],
  )
  const value = { id, state, reload }
  return <WorkspaceContext.Provider value={value}>{children}</WorkspaceContext.Provider>
}

export function useWorkspace(): WorkspaceContextValue | null {
  return useContext(WorkspaceContext)
}

/**
 * A workspace page, or, when the workspace requires MFA that this session has not met, the panel that sets it
 * up or asks for a code instead (then the access is asked again). Other workspaces stay open meanwhile.
 */
export function WorkspaceGate({ children }: { children: ReactNode }) {
  const workspace = useWorkspace()
  if (workspace?.state.status !== 'failed' || !MFA_REFUSALS.has(workspace.state.problem.type)) return children
  return (
    <Suspense fallback={null}>
      <MfaGate
        workspaceId={workspace.id}
        kind={workspace.state.problem.type === 'mfa-enrollment-required' ? 'enrol' : 'verify'}
        onPassed={workspace.reload}
      />
    </Suspense>
  )
}
