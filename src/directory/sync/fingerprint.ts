import { createHash } from 'node:crypto'
import type { DirUserStatus } from '../../store/tables.js'

/** JSON with object keys sorted at every depth (array order kept), so equal records always hash alike. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return v
    const sorted: Record<string, unknown> = {}
    for (const k of Object.keys(v).sort()) sorted[k] = (v as Record<string, unknown>)[k]
    return sorted
  })
}

/** The hash a sync compares to decide whether a row must be rewritten. */
export function fingerprint(record: unknown): string {
  return createHash('sha256').update(canonicalJson(record)).digest('base64url')
}

/** The fingerprint of a group row; like `userFingerprint`, shared with whatever else writes group rows. */
export function groupFingerprint(g: { remote_id: string; name: string; member_count: number; roles: string; remote_data: string }): string {
  return fingerprint([g.remote_id, g.name, g.member_count, g.roles, g.remote_data])
}

/**
 * The fingerprint of an account row: its normalised fields, with `roles` and `remote_data` as the
 * canonical JSON the row stores (so hashing never re-parses them). Anything that writes account rows
 * should store the same canonical JSON and this fingerprint, or the next sync rewrites the row.
 */
export function userFingerprint(u: {
  remote_id: string | null
  email: string
  name: string | null
  status: DirUserStatus
  roles: string
  remote_data: string
}): string {
  return fingerprint([u.remote_id, u.email, u.name, u.status, u.roles, u.remote_data])
}
