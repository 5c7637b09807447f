import { type AnchorHTMLAttributes, type MouseEvent, useEffect, useMemo, useSyncExternalStore } from 'react'

/** Client-side routes, all under /console/ (the server answers index.html for any of them). */
export const paths = {
  home: '/console/',
  signIn: '/console/sign-in',
  forgotPassword: '/console/forgot-password',
  workspaces: '/console/workspaces',
  workspace: (id: string) => `/console/workspaces/${encodeURIComponent(id)}`,
  users: (id: string) => `/console/workspaces/${encodeURIComponent(id)}/users`,
  groups: (id: string) => `/console/workspaces/${encodeURIComponent(id)}/groups`,
  group: (id: string, groupId: string) => `/console/workspaces/${encodeURIComponent(id)}/groups/${encodeURIComponent(groupId)}`,
  access: (id: string) => `/console/workspaces/${encodeURIComponent(id)}/access`,
  invites: (id: string) => `/console/workspaces/${encodeURIComponent(id)}/invites`,
  roles: (id: string) => `/console/workspaces/${encodeURIComponent(id)}/roles`,
  labels: (id: string) => `/console/workspaces/${encodeURIComponent(id)}/labels`,
  invitation: (token: string) => `/console/invitation/${encodeURIComponent(token)}`,
  tokens: (id: string) => `/console/workspaces/${encodeURIComponent(id)}/tokens`,
  audit: (id: string) => `/console/workspaces/${encodeURIComponent(id)}/audit`,
  settings: (id: string) => `/console/workspaces/${encodeURIComponent(id)}/settings`,
  settingsAuthentication: (id: string) => `/console/workspaces/${encodeURIComponent(id)}/settings/authentication`,
  account: '/console/account',
  instanceOutbox: '/console/instance/outbox',
  instanceAccounts: '/console/instance/accounts',
}

const NAVIGATED = 'gatehouse:navigate'
/** Set by a navigation: the next page heading to mount takes the focus, so screen readers hear the new page. */
let focusPending = false

export function navigate(to: string, { replace = false }: { replace?: boolean } = {}): void {
  if (to === location.pathname + location.search) return
  if (replace) history.replaceState(null, '', to)
  else history.pushState(null, '', to)
  focusPending = true
  window.scrollTo(0, 0)
  window.dispatchEvent(new Event(NAVIGATED))
}

/** Whether a page heading should take the focus now (once per navigation). */
export function takeFocus(): boolean {
  const pending = focusPending
  focusPending = false
  return pending
}

function subscribe(onChange: () => void): () => void {
  const onPop = () => {
    focusPending = true
    onChange()
  }
  window.addEventListener('popstate', onPop)
  window.addEventListener(NAVIGATED, onChange)
  return () => {
    window.removeEventListener('popstate', onPop)
    window.removeEventListener(NAVIGATED, onChange)
  }
}

const here = () => location.pathname + location.search

/** The current path (without a trailing slash, except for the console's root) and query. */
export function useLocation(): { path: string; query: URLSearchParams } {
  const href = useSyncExternalStore(subscribe, here)
  return useMemo(() => {
    const url = new URL(href, location.origin)
    const path = url.pathname.length > 1 && url.pathname.endsWith('/') ? url.pathname.slice(0, -1) : url.pathname
    return { path: path === '/console' ? paths.home : path, query: url.searchParams }
  }, [href])
}

/** `pattern` like /console/workspaces/:workspaceId/users against a path: the parameters, or null. */
export function match(pattern: string, path: string): Record<string, string> | null {
  const want = pattern.split('/')
  const got = path.split('/')
  if (want.length !== got.length) return null
  const params: Record<string, string> = {}
  for (const [i, part] of want.entries()) {
    const value = got[i] ?? ''
    if (part.startsWith(':')) {
      if (value === '') return null
      try {
        params[part.slice(1)] = decodeURIComponent(value)
      } catch {
        return null
      }
    } else if (part !== value) return null
  }
  return params
}

/** Goes somewhere else as soon as it renders (replacing the history entry). */
export function Redirect({ to }: { to: string }) {
  useEffect(() => navigate(to, { replace: true }), [to])
  return null
}

type LinkProps = AnchorHTMLAttributes<HTMLAnchorElement> & { to: string }

/** An ordinary link that the console follows without reloading; a modified click still opens a new tab. */
export function Link({ to, onClick, ...rest }: LinkProps) {
  const { path } = useLocation()
  const follow = (event: MouseEvent<HTMLAnchorElement>) => {
    onClick?.(event)
    if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return
    event.preventDefault()
    navigate(to)
  }
  return <a href={to} aria-current={rest['aria-current'] ?? (to === path ? 'page' : undefined)} {...rest} onClick={follow} />
}
