import { PageHeader } from '../../components/page'
import { Link, paths, Redirect } from '../../router'
import { useSignedIn } from '../../session'

/** After signing in: the person's workspaces. With exactly one, it opens at once (`alwaysList` keeps the list). */
export function WorkspacesPage({ alwaysList = false }: { alwaysList?: boolean }) {
  const { workspaces, account } = useSignedIn()
  const only = workspaces[0]
  if (!alwaysList && workspaces.length === 1 && only) return <Redirect to={paths.workspace(only.id)} />
  return (
    <>
      <PageHeader title="Workspaces" description={`The workspaces ${account.email} is a member of.`} />
      {workspaces.length === 0 ? (
        <div className="empty">
          <p className="empty-title">You are not a member of any workspace yet</p>
          <p>A workspace owner adds you; your workspaces show here once they have.</p>
        </div>
      ) : (
        <ul className="workspace-list">
          {workspaces.map((w) => (
            <li key={w.id}>
              <Link to={paths.workspace(w.id)} className="workspace-card">
                <span className="workspace-card-name">{w.name}</span> <span className="workspace-card-slug">{w.slug}</span>
              </Link>
            </li>
          ))}
        </ul>
      )}
    </>
  )
}
