import { Loading, ProblemNotice } from '../../components/page'
import { paths, Redirect } from '../../router'
import { useSignedIn } from '../../session'
import { useWorkspace } from '../../workspace'

/** /console/workspaces/:id: owners land on Users, everyone else on My access. */
export function WorkspaceHome() {
  const session = useSignedIn()
  const workspace = useWorkspace()
  if (!workspace || workspace.state.status === 'loading') return <Loading />
  if (workspace.state.status === 'failed') return <ProblemNotice problem={workspace.state.problem} />
  const mayListUsers = workspace.state.value.owner || session.account.instanceAdmin
  return <Redirect to={mayListUsers ? paths.users(workspace.id) : paths.access(workspace.id)} />
}
