import { Loading, PageHeader, ProblemNotice } from '../../components/page'
import { type Role, useRoles, wholeWorkspaceWords } from '../../components/permissions-editor'
import { TableWrap } from '../../components/table-wrap'

const TYPE_NAMES: Record<Role['resourceTypes'][number], string> = {
  WORKSPACE: 'Workspace',
  SOURCE: 'Sources',
  FUNCTION: 'Functions',
  SPACE: 'Spaces',
  WAREHOUSE: 'Warehouses',
}

/** Access Management → Roles: Segment's built-in roles, what each grants, on what, and on which plan. */
export function RolesPage({ workspaceId }: { workspaceId: string }) {
  const roles = useRoles(workspaceId)
  return (
    <>
      <PageHeader
        eyebrow="Access Management"
        title="Roles"
        description="The built-in roles you can grant to people and user groups. They are fixed: every workspace has the same ones."
      />
      {roles.status === 'loading' && <Loading label="Loading roles…" />}
      {roles.status === 'failed' && <ProblemNotice problem={roles.problem} />}
      {roles.status === 'ready' && (
        <TableWrap label="Roles">
          <table className="table roles-table" aria-label="Roles">
            <thead>
              <tr>
                <th scope="col">Role</th>
                <th scope="col">What it grants</th>
                <th scope="col">Granted on</th>
                <th scope="col">Plan</th>
              </tr>
            </thead>
            <tbody>
              {roles.value.roles.map((role) => (
                <tr key={role.id}>
                  <th scope="row" className="nowrap">
                    {role.name}
                  </th>
                  <td>{role.description}</td>
                  <td>
                    <ul className="plain-list">
                      <li>{wholeWorkspaceWords(role)}</li>
                      {role.resourceTypes
                        .filter((t) => t !== 'WORKSPACE')
                        .map((t) => (
                          <li key={t}>Listed {TYPE_NAMES[t].toLowerCase()}</li>
                        ))}
                      {role.labelScoped && <li>Narrowed by labels</li>}
                    </ul>
                  </td>
                  <td className="nowrap">
                    {role.businessOnly ? (
                      <span className={`badge ${role.available ? 'badge-live' : 'badge-warning'}`}>
                        {role.available ? 'Business' : `Business only — not on ${roles.value.plan}`}
                      </span>
                    ) : (
                      <span className="badge badge-live">Every plan</span>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableWrap>
      )}
    </>
  )
}
