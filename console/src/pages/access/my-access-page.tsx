import { Loading, PageHeader, ProblemNotice } from '../../components/page'
import { permissionKey, scopeOf } from '../../format'
import { useWorkspace } from '../../workspace'

/** What the signed-in person may do in this workspace: their roles (with what each covers) and groups. Read-only. */
export function MyAccessPage() {
  const workspace = useWorkspace()
  const state = workspace?.state ?? { status: 'loading' as const }
  const name = state.status === 'ready' ? state.value.workspace.name : 'this workspace'
  return (
    <>
      <PageHeader
        eyebrow="Access Management"
        title="My access"
        description={`Your roles and user groups in ${name}. Only a workspace owner can change them.`}
      />
      {state.status === 'loading' && <Loading />}
      {state.status === 'failed' && <ProblemNotice problem={state.problem} />}
      {state.status === 'ready' && (
        <>
          <dl className="facts">
            <div>
              <dt>Workspace</dt>
              <dd>
                {state.value.workspace.name} <span className="muted">({state.value.workspace.slug})</span>
              </dd>
            </div>
            <div>
              <dt>Plan</dt>
              <dd className="capitalize">{state.value.workspace.plan}</dd>
            </div>
            <div>
              <dt>Owner</dt>
              <dd>{state.value.owner ? 'Yes, you are a Workspace Owner' : 'No'}</dd>
            </div>
          </dl>

          <section className="card" aria-labelledby="roles-heading">
            <h2 id="roles-heading" className="card-title">
              Roles granted to you
            </h2>
            {state.value.permissions.length === 0 ? (
              <p className="card-empty">You hold no roles in this workspace.</p>
            ) : (
              <table className="table">
                <thead>
                  <tr>
                    <th scope="col">Role</th>
                    <th scope="col">Applies to</th>
                  </tr>
                </thead>
                <tbody>
                  {state.value.permissions.map((p) => (
                    <tr key={permissionKey(p)}>
                      <td>
                        <span className="chip chip-role">{p.roleName}</span>
                      </td>
                      <td>
                        {scopeOf(p.resources)}
                        {p.resources.some((r) => r.type !== 'WORKSPACE') && (
                          <ul className="resource-list">
                            {p.resources.map((r) => (
                              <li key={`${r.type}-${r.id}`}>
                                <span className="muted">{r.type.toLowerCase()}</span> <code>{r.id}</code>
                              </li>
                            ))}
                          </ul>
                        )}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </section>

          <section className="card" aria-labelledby="groups-heading">
            <h2 id="groups-heading" className="card-title">
              User groups
            </h2>
            {state.value.groups.length === 0 ? (
              <p className="card-empty">You are not in any user group.</p>
            ) : (
              <>
                <p className="card-description card-description-tight">The roles of each of your groups apply to you too.</p>
                <ul className="chip-list chip-list-padded">
                  {state.value.groups.map((g) => (
                    <li key={g.id} className="chip">
                      {g.name}
                    </li>
                  ))}
                </ul>
                {state.value.groupPermissions.length === 0 ? (
                  <p className="card-empty">Your groups grant no roles.</p>
                ) : (
                  <table className="table" aria-label="Roles from your user groups">
                    <thead>
                      <tr>
                        <th scope="col">Role</th>
                        <th scope="col">Applies to</th>
                        <th scope="col">From the group</th>
                      </tr>
                    </thead>
                    <tbody>
                      {state.value.groupPermissions.map((p) => (
                        <tr key={`${p.group.id}-${permissionKey(p)}`}>
                          <td>
                            <span className="chip chip-role">{p.roleName}</span>
                          </td>
                          <td>{scopeOf(p.resources)}</td>
                          <td>{p.group.name}</td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                )}
              </>
            )}
          </section>
        </>
      )}
    </>
  )
}
