import { isoNow } from '../clock.js'
import { newId } from '../ids.js'
import type { Queries } from '../store/queries/index.js'

/** Who made a change: a Public API token, or the operator (admin API / CLI). */
export interface Actor {
  id: string
  email?: string
}

export const OPERATOR: Actor = { id: 'gatehouse-operator' }

export interface AuditEntry {
  type: string
  resourceId: string
  resourceType: 'user' | 'invite' | 'user_group' | 'policy' | 'label' | 'workspace' | 'token'
  resourceName: string
}

/** Records audit events inside the caller's transaction, so the trail always matches the data. */
export async function recordAudit(q: Queries, workspaceId: string, actor: Actor, entries: AuditEntry[], at: string): Promise<void> {
  await q.audit.insertMany(
    entries.map((e) => ({
      id: newId(),
      workspace_id: workspaceId,
      timestamp: at,
      type: e.type,
      actor: actor.id,
      actor_email: actor.email ?? null,
      resource_id: e.resourceId,
      resource_type: e.resourceType,
      resource_name: e.resourceName,
    })),
  )
}

/** The server's time now, as audit and created_at columns hold it. */
export function now(q: Pick<Queries, 'clock'>): string {
  return isoNow(q.clock)
}
