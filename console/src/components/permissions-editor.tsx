import { useId, useRef, useState } from 'react'
import { type Answer, api, must } from '../api/client'
import type { paths } from '../api/schema'
import { type Loaded, shownValue, useLoaded } from './loaded'

/** A role as GET …/roles describes it: what it grants, what a grant may name, and whether the plan allows it. */
export type Role = Answer<'/console/api/workspaces/{workspaceId}/roles', 'get'>['roles'][number]
export type ResourceType = Role['resourceTypes'][number]
/** One permission as the console's permission routes take it (a role on resources; WORKSPACE may carry labels). */
export type Grant =
  paths['/console/api/workspaces/{workspaceId}/groups/{userGroupId}/permissions']['put']['requestBody']['content']['application/json']['permissions'][number]
type Label = Answer<'/console/api/workspaces/{workspaceId}/labels', 'get'>['labels'][number]

const TYPE_WORDS: Record<ResourceType, string> = {
  WORKSPACE: 'workspace',
  SOURCE: 'sources',
  FUNCTION: 'functions',
  SPACE: 'spaces',
  WAREHOUSE: 'warehouses',
}

/** What "All current and future …" covers for a role: the kind of resource it is about. */
export function wholeWorkspaceWords(role: Role): string {
  const specific = role.resourceTypes.find((t) => t !== 'WORKSPACE')
  return specific ? `All current and future ${TYPE_WORDS[specific]}` : 'The whole workspace'
}

/** Why a role cannot be chosen here, or nothing. */
export function unavailableReason(role: Role, plan: string): string | undefined {
  return role.available ? undefined : `Business plan only (this workspace is on ${plan})`
}

/** A permission as the server lists it, as the permissions editor edits it. */
export function toGrant(p: {
  roleId: string
  resources: { id: string; type: string; labels?: { key: string; value: string }[] }[]
}): Grant {
  return {
    roleId: p.roleId,
    resources: p.resources.map((r) => ({
      id: r.id,
      type: r.type as Grant['resources'][number]['type'],
      ...(r.labels && r.labels.length > 0 ? { labels: r.labels.map(({ key, value }) => ({ key, value })) } : {}),
    })),
  }
}

/** The roles of a workspace and its plan (GET …/roles), for editors and the Roles page. */
export function useRoles(workspaceId: string): Loaded<{ roles: Role[]; plan: string }> {
  return useLoaded(() => must(api.GET('/console/api/workspaces/{workspaceId}/roles', { params: { path: { workspaceId } } })), [workspaceId])
}

/** The workspace's labels; without them (still loading, or refused) the editor still works: it offers none. */
function useLabels(workspaceId: string): Label[] {
  const labels = useLoaded(
    () => must(api.GET('/console/api/workspaces/{workspaceId}/labels', { params: { path: { workspaceId } } })),
    [workspaceId],
  )
  return shownValue(labels)?.labels ?? NO_LABELS
}
const NO_LABELS: Label[] = []

export interface PermissionsEditorProps {
  workspaceId: string
  /** The permissions being edited; each is one role on the whole workspace or on listed resources. */
  value: Grant[]
  onChange: (value: Grant[]) => void
  /** The fieldset's legend ("Roles", "Permissions of Analysts"). */
  legend?: string
  disabled?: boolean
}

/**
 * Chooses roles and their scope, as Segment's access editor does: a role (unavailable ones shown disabled,
 * with the plan's reason), then "All current and future …" or listed resources for roles that may name them,
 * and labels that narrow a whole-workspace grant for roles that allow it. A plain form: keyboard first.
 */
export function PermissionsEditor({ workspaceId, value, onChange, legend = 'Roles', disabled = false }: PermissionsEditorProps) {
  const roles = useRoles(workspaceId)
  const labels = useLabels(workspaceId)
  // Rows keep a key of their own, so removing one leaves the others' typing where it was.
  const keys = useRef<number[]>([])
  const nextKey = useRef(0)
  while (keys.current.length < value.length) keys.current.push(nextKey.current++)
  keys.current.length = value.length
  if (roles.status === 'loading')
    return (
      <p className="loading" role="status">
        <span className="spinner" aria-hidden="true" />
        Loading roles…
      </p>
    )
  if (roles.status === 'failed')
    return (
      <p className="notice notice-error" role="alert">
        {roles.problem.message}
      </p>
    )
  const { roles: all, plan } = roles.value
  const firstAvailable = all.find((r) => r.available && r.name !== 'Workspace Owner') ?? all[0]
  const update = (index: number, grant: Grant) => onChange(value.map((g, i) => (i === index ? grant : g)))
  return (
    <fieldset className="permissions-editor" disabled={disabled}>
      <legend>{legend}</legend>
      {value.length === 0 && <p className="muted">No roles yet.</p>}
      <ol className="grant-list">
        {value.map((grant, index) => (
          <li key={keys.current[index]} className="grant">
            <GrantEditor
              index={index}
              grant={grant}
              roles={all}
              plan={plan}
              labels={labels}
              workspaceId={workspaceId}
              onChange={(g) => update(index, g)}
              onRemove={() => {
                keys.current.splice(index, 1)
                onChange(value.filter((_, i) => i !== index))
              }}
            />
          </li>
        ))}
      </ol>
      {firstAvailable && (
        <button
          type="button"
          className="btn btn-small"
          onClick={() => onChange([...value, { roleId: firstAvailable.id, resources: [{ id: workspaceId, type: 'WORKSPACE' }] }])}
        >
          Add a role
        </button>
      )}
    </fieldset>
  )
}

function GrantEditor({
  index,
  grant,
  roles,
  plan,
  labels,
  workspaceId,
  onChange,
  onRemove,
}: {
  index: number
  grant: Grant
  roles: Role[]
  plan: string
  labels: Label[]
  workspaceId: string
  onChange: (grant: Grant) => void
  onRemove: () => void
}) {
  const id = useId()
  const role = roles.find((r) => r.id === grant.roleId)
  const specificType = role?.resourceTypes.find((t) => t !== 'WORKSPACE')
  const whole = grant.resources.some((r) => r.type === 'WORKSPACE')
  const chosenLabels = grant.resources.find((r) => r.type === 'WORKSPACE')?.labels ?? []
  const listed = grant.resources
    .filter((r) => r.type !== 'WORKSPACE')
    .map((r) => r.id)
    .join(', ')
  const [typedIds, setTypedIds] = useState(listed)
  const n = index + 1

  const chooseRole = (roleId: string) => onChange({ roleId, resources: [{ id: workspaceId, type: 'WORKSPACE' }] })
  const chooseWhole = () => onChange({ ...grant, resources: [{ id: workspaceId, type: 'WORKSPACE' }] })
  const setIds = (text: string) => {
    setTypedIds(text)
    if (!specificType) return
    const ids = text
      .split(/[\s,]+/)
      .map((s) => s.trim())
      .filter(Boolean)
    onChange({ ...grant, resources: ids.map((rid) => ({ id: rid, type: specificType })) })
  }
  const toggleLabel = (label: Label, on: boolean) => {
    const rest = chosenLabels.filter((l) => !(l.key === label.key && l.value === label.value))
    const next = on ? [...rest, { key: label.key, value: label.value }] : rest
    onChange({ ...grant, resources: [{ id: workspaceId, type: 'WORKSPACE', ...(next.length > 0 ? { labels: next } : {}) }] })
  }

  return (
    <div className="grant-body">
      <div className="field">
        <label htmlFor={`${id}-role`}>Role {n}</label>
        <select id={`${id}-role`} value={grant.roleId} onChange={(e) => chooseRole(e.target.value)} aria-describedby={`${id}-about`}>
          {roles.map((r) => (
            <option key={r.id} value={r.id} disabled={!r.available}>
              {r.name}
              {r.available ? '' : ` — ${unavailableReason(r, plan)}`}
            </option>
          ))}
        </select>
        <p className="field-hint" id={`${id}-about`}>
          {role?.description ?? 'Unknown role'}
        </p>
      </div>
      {role && specificType && (
        <fieldset className="grant-scope">
          <legend>Scope of role {n}</legend>
          <label className="choice">
            <input type="radio" name={`${id}-scope`} checked={whole} onChange={chooseWhole} />
            {wholeWorkspaceWords(role)}
          </label>
          <label className="choice">
            <input type="radio" name={`${id}-scope`} checked={!whole} onChange={() => setIds(typedIds)} />
            Only these {TYPE_WORDS[specificType]}
          </label>
          {!whole && (
            <div className="field">
              <label htmlFor={`${id}-ids`}>Ids of the {TYPE_WORDS[specificType]}</label>
              <input
                id={`${id}-ids`}
                value={typedIds}
                onChange={(e) => setIds(e.target.value)}
                placeholder="Separated by commas"
                autoComplete="off"
              />
            </div>
          )}
        </fieldset>
      )}
      {role?.labelScoped && whole && labels.length > 0 && (
        <fieldset className="grant-labels">
          <legend>Only resources with these labels (optional)</legend>
          <ul className="choice-list">
            {labels.map((label) => {
              const on = chosenLabels.some((l) => l.key === label.key && l.value === label.value)
              return (
                <li key={`${label.key}:${label.value}`}>
                  <label className="choice">
                    <input type="checkbox" checked={on} onChange={(e) => toggleLabel(label, e.target.checked)} />
                    {label.key}:{label.value}
                  </label>
                </li>
              )
            })}
          </ul>
        </fieldset>
      )}
      <button type="button" className="btn btn-quiet btn-small" onClick={onRemove}>
        Remove role {n}
      </button>
    </div>
  )
}

/** An invite's permission from a grant: the Public API's invite shape carries labels at the top. */
export function toInvitePermission(grant: Grant) {
  const whole = grant.resources.find((r) => r.type === 'WORKSPACE')
  if (whole) return { roleId: grant.roleId, ...(whole.labels && whole.labels.length > 0 ? { labels: whole.labels } : {}) }
  return { roleId: grant.roleId, resources: grant.resources.map(({ id, type }) => ({ id, type })) }
}
