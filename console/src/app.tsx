import { lazy, type ReactNode, Suspense, useRef } from 'react'
import { AuthLayout } from './components/auth-layout'
import { Loading, PageHeader, PageTitle, ProblemNotice } from './components/page'
import { Shell } from './components/shell'
import { ForgotPasswordPage } from './pages/sign-in/forgot-password-page'
import { nextPath, SignInPage } from './pages/sign-in/sign-in-page'
import { WorkspaceHome } from './pages/workspaces/workspace-home'
import { WorkspacesPage } from './pages/workspaces/workspaces-page'
import { Link, match, paths, Redirect, useLocation } from './router'
import { useSession, useSignedIn } from './session'
import { WorkspaceGate, WorkspaceProvider } from './workspace'

// Pages past sign-in load when first opened, so the sign-in page (and a mailed link) starts small.
const UsersPage = lazy(() => import('./pages/users/users-page').then((m) => ({ default: m.UsersPage })))
const GroupsPage = lazy(() => import('./pages/groups/groups-page').then((m) => ({ default: m.GroupsPage })))
const GroupPage = lazy(() => import('./pages/groups/group-page').then((m) => ({ default: m.GroupPage })))
const MyAccessPage = lazy(() => import('./pages/access/my-access-page').then((m) => ({ default: m.MyAccessPage })))
const AccountPage = lazy(() => import('./pages/account/account-page').then((m) => ({ default: m.AccountPage })))
const LinkPage = lazy(() => import('./pages/link/link-page').then((m) => ({ default: m.LinkPage })))
const InvitesPage = lazy(() => import('./pages/invites/invites-page').then((m) => ({ default: m.InvitesPage })))
const InvitationPage = lazy(() => import('./pages/invitation/invitation-page').then((m) => ({ default: m.InvitationPage })))
const RolesPage = lazy(() => import('./pages/roles/roles-page').then((m) => ({ default: m.RolesPage })))
const LabelsPage = lazy(() => import('./pages/labels/labels-page').then((m) => ({ default: m.LabelsPage })))
const TokensPage = lazy(() => import('./pages/tokens/tokens-page').then((m) => ({ default: m.TokensPage })))
const AuditPage = lazy(() => import('./pages/audit/audit-page').then((m) => ({ default: m.AuditPage })))
const SettingsPage = lazy(() => import('./pages/settings/settings-page').then((m) => ({ default: m.SettingsPage })))
const AuthenticationPage = lazy(() => import('./pages/settings/authentication-page').then((m) => ({ default: m.AuthenticationPage })))
const OutboxPage = lazy(() => import('./pages/admin/outbox-page').then((m) => ({ default: m.OutboxPage })))
const AccountsPage = lazy(() => import('./pages/admin/accounts-page').then((m) => ({ default: m.AccountsPage })))

export function App() {
  const { state, reload } = useSession()
  const { path, query } = useLocation()

  if (state.status === 'loading')
    return (
      <main id="main" className="splash">
        <Loading label="Loading Gatehouse…" />
      </main>
    )
  if (state.status === 'unreachable')
    return (
      <AuthLayout>
        <PageTitle title="Gatehouse is not answering">Gatehouse is not answering</PageTitle>
        <ProblemNotice problem={state.problem} />
        <button type="button" className="btn btn-primary btn-block" onClick={reload}>
          Try again
        </button>
      </AuthLayout>
    )

  // Pages for anyone, signed in or not.
  const link = match('/console/link/:token', path)
  if (link?.token)
    return (
      <Suspense
        fallback={
          <AuthLayout>
            <Loading />
          </AuthLayout>
        }
      >
        <LinkPage key={link.token} token={link.token} />
      </Suspense>
    )
  const invitation = match('/console/invitation/:token', path)
  if (invitation?.token)
    return (
      <Suspense
        fallback={
          <AuthLayout>
            <Loading />
          </AuthLayout>
        }
      >
        <InvitationPage key={invitation.token} token={invitation.token} />
      </Suspense>
    )
  if (path === paths.forgotPassword) return <ForgotPasswordPage />
  if (path === paths.signIn) return state.status === 'signed-in' ? <Redirect to={nextPath(query)} /> : <SignInPage notice={state.notice} />
  if (state.status === 'signed-out') {
    const back = path === paths.home ? '' : `?next=${encodeURIComponent(path + (query.size > 0 ? `?${query}` : ''))}`
    return <Redirect to={`${paths.signIn}${back}`} />
  }
  return <SignedIn path={path} />
}

function SignedIn({ path }: { path: string }) {
  const session = useSignedIn()
  // Pages outside a workspace (My account) keep showing the workspace last opened, or the only one.
  const lastWorkspace = useRef<string | undefined>(undefined)
  const group = match('/console/workspaces/:workspaceId/groups/:groupId', path)
  const authSettings = match('/console/workspaces/:workspaceId/settings/authentication', path)
  const inWorkspace =
    match('/console/workspaces/:workspaceId/:section', path) ??
    match('/console/workspaces/:workspaceId', path) ??
    (group ? { workspaceId: group.workspaceId as string, section: 'group' } : null) ??
    (authSettings ? { workspaceId: authSettings.workspaceId as string, section: 'settings/authentication' } : null)
  if (inWorkspace?.workspaceId) lastWorkspace.current = inWorkspace.workspaceId
  const workspaceId =
    inWorkspace?.workspaceId ??
    (session.workspaces.some((w) => w.id === lastWorkspace.current) ? lastWorkspace.current : undefined) ??
    (session.workspaces.length === 1 ? session.workspaces[0]?.id : undefined)

  let page: ReactNode
  if (path === paths.home) page = <WorkspacesPage />
  else if (path === paths.workspaces) page = <WorkspacesPage alwaysList />
  else if (path === paths.account) page = <AccountPage />
  else if (path === paths.instanceOutbox) page = <OutboxPage />
  else if (path === paths.instanceAccounts) page = <AccountsPage />
  else if (inWorkspace?.workspaceId && inWorkspace.section === 'settings/authentication')
    page = <AuthenticationPage key={inWorkspace.workspaceId} workspaceId={inWorkspace.workspaceId} />
  else if (inWorkspace?.workspaceId && inWorkspace.section === undefined) page = <WorkspaceHome />
  else if (inWorkspace?.workspaceId && inWorkspace.section === 'users')
    page = <UsersPage key={inWorkspace.workspaceId} workspaceId={inWorkspace.workspaceId} />
  else if (inWorkspace?.section === 'access') page = <MyAccessPage />
  else if (inWorkspace?.workspaceId && inWorkspace.section === 'groups')
    page = <GroupsPage key={inWorkspace.workspaceId} workspaceId={inWorkspace.workspaceId} />
  else if (group?.workspaceId && group.groupId)
    page = <GroupPage key={group.groupId} workspaceId={group.workspaceId} groupId={group.groupId} />
  else if (inWorkspace?.workspaceId && inWorkspace.section === 'invites')
    page = <InvitesPage key={inWorkspace.workspaceId} workspaceId={inWorkspace.workspaceId} />
  else if (inWorkspace?.workspaceId && inWorkspace.section === 'roles')
    page = <RolesPage key={inWorkspace.workspaceId} workspaceId={inWorkspace.workspaceId} />
  else if (inWorkspace?.workspaceId && inWorkspace.section === 'labels')
    page = <LabelsPage key={inWorkspace.workspaceId} workspaceId={inWorkspace.workspaceId} />
  else if (inWorkspace?.workspaceId && inWorkspace.section === 'tokens')
    page = <TokensPage key={inWorkspace.workspaceId} workspaceId={inWorkspace.workspaceId} />
  else if (inWorkspace?.workspaceId && inWorkspace.section === 'audit')
    page = <AuditPage key={inWorkspace.workspaceId} workspaceId={inWorkspace.workspaceId} />
  else if (inWorkspace?.workspaceId && inWorkspace.section === 'settings')
    page = <SettingsPage key={inWorkspace.workspaceId} workspaceId={inWorkspace.workspaceId} />
  else page = <NotFound />

  const content = (
    <Shell>
      <Suspense fallback={<Loading />}>{inWorkspace?.workspaceId ? <WorkspaceGate>{page}</WorkspaceGate> : page}</Suspense>
    </Shell>
  )
  return workspaceId ? <WorkspaceProvider id={workspaceId}>{content}</WorkspaceProvider> : content
}

function NotFound() {
  return (
    <>
      <PageHeader title="Page not found" description="There is no page at this address." />
      <p>
        <Link to={paths.home}>Go to your workspaces</Link>
      </p>
    </>
  )
}
