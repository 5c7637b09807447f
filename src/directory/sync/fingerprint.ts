import { createHash } from 'node:crypto'

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
