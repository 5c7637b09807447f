import { permissionKey, type Resource, scopeOf, scopeSuffix } from '../format'

/** A table cell's roles as chips, each with the short form of what it covers ("None" when there are none). */
export function RoleChips({ permissions }: { permissions: { roleId: string; roleName: string; resources: Resource[] }[] }) {
  if (permissions.length === 0) return <span className="muted">None</span>
  return (
    <ul className="chip-list">
      {permissions.map((p) => (
        <li key={permissionKey(p)} className="chip chip-role" title={scopeOf(p.resources)}>
          {p.roleName}
          {scopeSuffix(p.resources) && <span className="chip-scope"> · {scopeSuffix(p.resources)}</span>}
        </li>
      ))}
    </ul>
  )
}

/** A table cell's user groups as chips ("None" when there are none). */
export function GroupChips({ groups }: { groups: { id: string; name: string }[] }) {
  if (groups.length === 0) return <span className="muted">None</span>
  return (
    <ul className="chip-list">
      {groups.map((g) => (
        <li key={g.id} className="chip">
          {g.name}
        </li>
      ))}
    </ul>
  )
}
