import { type ReactNode, useEffect, useId, useRef, useState } from 'react'
import { api, asProblem, must } from '../api/client'
import { Link, navigate, paths, useLocation } from '../router'
import { useSession, useSignedIn } from '../session'
import { useWorkspace } from '../workspace'
import { Brand } from './brand'
import { Avatar } from './page'

/** Signed-in pages: the navigation on the left, the workspace switcher and the person on top. */
export function Shell({ children }: { children: ReactNode }) {
  return (
    <>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <div className="shell">
        <div className="sidebar">
          <Link to={paths.home} className="sidebar-brand" aria-label="Gatehouse home">
            <Brand inverse />
          </Link>
          <SideNav />
        </div>
        <div className="frame">
          <header className="topbar">
            <WorkspaceSwitcher />
            <PersonMenu />
          </header>
          <main id="main" className="content" tabIndex={-1}>
            {children}
          </main>
        </div>
      </div>
    </>
  )
}

function SideNav() {
  const session = useSignedIn()
  const workspace = useWorkspace()
  const { path } = useLocation()
  const access = workspace?.state.status === 'ready' ? workspace.state.value : undefined
  const mayListUsers = access !== undefined && (access.owner || session.account.instanceAdmin)
  return (
    <nav className="sidenav" aria-label="Main">
      {workspace && (
        <div className="sidenav-section">
          <p className="sidenav-heading" id="nav-access">
            Access Management
          </p>
          <ul aria-labelledby="nav-access">
            {mayListUsers && (
              <li>
                <Link to={paths.users(workspace.id)}>Users</Link>
              </li>
            )}
            {mayListUsers && (
              <li>
                <Link to={paths.invites(workspace.id)}>Invites</Link>
              </li>
            )}
            {mayListUsers && (
              <li>
                <Link to={paths.groups(workspace.id)} aria-current={path.startsWith(paths.groups(workspace.id)) ? 'page' : undefined}>
                  User Groups
                </Link>
              </li>
            )}
            {mayListUsers && (
              <li>
                <Link to={paths.roles(workspace.id)}>Roles</Link>
              </li>
            )}
            {mayListUsers && (
              <li>
                <Link to={paths.labels(workspace.id)}>Labels</Link>
              </li>
            )}
            <li>
              <Link to={paths.access(workspace.id)}>My access</Link>
            </li>
          </ul>
        </div>
      )}
      {workspace && mayListUsers && (
        <div className="sidenav-section">
          <p className="sidenav-heading" id="nav-settings">
            Settings
          </p>
          <ul aria-labelledby="nav-settings">
            <li>
              <Link to={paths.settings(workspace.id)}>General</Link>
            </li>
            <li>
              <Link to={paths.settingsAuthentication(workspace.id)}>Authentication</Link>
            </li>
            <li>
              <Link to={paths.tokens(workspace.id)}>Tokens</Link>
            </li>
            <li>
              <Link to={paths.audit(workspace.id)}>Audit Trail</Link>
            </li>
          </ul>
        </div>
      )}
      {session.account.instanceAdmin && (
        <div className="sidenav-section">
          <p className="sidenav-heading" id="nav-instance">
            Instance
          </p>
          <ul aria-labelledby="nav-instance">
            <li>
              <Link to={paths.instanceOutbox}>Outbox</Link>
            </li>
            <li>
              <Link to={paths.instanceAccounts}>Accounts</Link>
            </li>
          </ul>
        </div>
      )}
      <div className="sidenav-section">
        <p className="sidenav-heading" id="nav-you">
          You
        </p>
        <ul aria-labelledby="nav-you">
          {session.workspaces.length > 1 && (
            <li>
              <Link to={paths.workspaces} aria-current={path === paths.workspaces ? 'page' : undefined}>
                All workspaces
              </Link>
            </li>
          )}
          <li>
            <Link to={paths.account}>My account</Link>
          </li>
        </ul>
      </div>
    </nav>
  )
}

/** The current workspace, and a list of the others to go to (a disclosure: a button and links). */
function WorkspaceSwitcher() {
  const session = useSignedIn()
  const workspace = useWorkspace()
  const [open, setOpen] = useState(false)
  const listId = useId()
  const root = useRef<HTMLDivElement>(null)
  const button = useRef<HTMLButtonElement>(null)
  const current = session.workspaces.find((w) => w.id === workspace?.id)
  const access = workspace?.state.status === 'ready' ? workspace.state.value : undefined
  const name = current?.name ?? access?.workspace.name ?? (workspace ? 'Workspace' : 'No workspace chosen')

  useEffect(() => {
    if (!open) return
    const onPointer = (event: PointerEvent) => {
      if (!root.current?.contains(event.target as Node)) setOpen(false)
    }
    const onKey = (event: KeyboardEvent) => {
      if (event.key === 'Escape') {
        setOpen(false)
        button.current?.focus()
      }
    }
    document.addEventListener('pointerdown', onPointer)
    document.addEventListener('keydown', onKey)
    return () => {
      document.removeEventListener('pointerdown', onPointer)
      document.removeEventListener('keydown', onKey)
    }
  }, [open])

  if (session.workspaces.length <= 1)
    return (
      <div className="switcher">
        <span className="switcher-label">Workspace</span>
        <span className="switcher-name">{name}</span>
      </div>
    )
  return (
    <div className="switcher" ref={root}>
      <button
        ref={button}
        type="button"
        className="switcher-button"
        aria-expanded={open}
        aria-controls={listId}
        onClick={() => setOpen((was) => !was)}
      >
        <span className="switcher-label">Workspace</span> <span className="switcher-name">{name}</span>
        <span className="caret" aria-hidden="true" />
      </button>
      <ul id={listId} className="switcher-list" hidden={!open}>
        {session.workspaces.map((w) => (
          <li key={w.id}>
            <Link to={paths.workspace(w.id)} aria-current={w.id === workspace?.id ? 'true' : undefined} onClick={() => setOpen(false)}>
              <span className="switcher-item-name">{w.name}</span> <span className="switcher-item-slug">{w.slug}</span>
            </Link>
          </li>
        ))}
      </ul>
    </div>
  )
}

function PersonMenu() {
  const session = useSignedIn()
  const { signedOut } = useSession()
  const [busy, setBusy] = useState(false)
  const [failure, setFailure] = useState<string>()
  const signOut = async () => {
    setBusy(true)
    setFailure(undefined)
    try {
      await must(api.DELETE('/console/api/session'))
      signedOut('You have signed out.')
      navigate(paths.signIn)
    } catch (error) {
      setBusy(false)
      // Already signed out (401): the session ends and the sign-in page shows. Anything else is worth saying.
      const problem = asProblem(error)
      if (problem.status !== 401) setFailure(`Not signed out: ${problem.message}`)
    }
  }
  const { account } = session
  return (
    <div className="person">
      <Link to={paths.account} className="person-link">
        <Avatar name={account.name} email={account.email} />
        <span className="person-text">
          <span className="person-name">{account.name || account.email}</span>
          {account.name && <span className="person-email">{account.email}</span>}
        </span>
      </Link>
      <button type="button" className="btn btn-quiet" onClick={signOut} disabled={busy}>
        Sign out
      </button>
      {failure && (
        <p className="person-error" role="alert">
          {failure}
        </p>
      )}
    </div>
  )
}
