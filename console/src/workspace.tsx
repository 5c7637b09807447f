import { createContext, type ReactNode, useContext, useEffect, useState } from 'react'
import { type Answer, type ApiProblem, api, asProblem, must } from './api/client'

export type WorkspaceAccess = Answer<'/console/api/workspaces/{workspaceId}/access', 'get'>

type WorkspaceState = { status: 'loading' } | { status: 'failed'; problem: ApiProblem } | { status: 'ready'; access: WorkspaceAccess }

const WorkspaceContext = createContext<{ id: string; state: WorkspaceState } | null>(null)

/** What the signed-in person may do in one workspace (GET …/access), for the pages and the navigation inside it. */
export function WorkspaceProvider({ id, children }: { id: string; children: ReactNode }) {
  const [state, setState] = useState<{ id: string; state: WorkspaceState }>({ id, state: { status: 'loading' } })
  useEffect(() => {
    let current = true
    setState({ id, state: { status: 'loading' } })
    must(api.GET('/console/api/workspaces/{workspaceId}/access', { params: { path: { workspaceId: id } } })).then(
      (access) => current && setState({ id, state: { status: 'ready', access } }),
      (error: unknown) => current && setState({ id, state: { status: 'failed', problem: asProblem(error) } }),
    )
    return () => {
      current = false
    }
  }, [id])
  // While another workspace's answer is on screen, this one is loading.
  const value = state.id === id ? state : { id, state: { status: 'loading' as const } }
  return <WorkspaceContext.Provider value={value}>{children}</WorkspaceContext.Provider>
}

export function useWorkspace(): { id: string; state: WorkspaceState } | null {
  return useContext(WorkspaceContext)
}
