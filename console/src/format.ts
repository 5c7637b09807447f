/** Presentation helpers: dates, devices, and what a permission applies to. */

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' })

export function formatDate(iso: string): string {
  const date = new Date(iso)
  return Number.isNaN(date.getTime()) ? iso : dateTime.format(date)
}

/** "Chrome on Linux" from a User-Agent header; the header itself when it is nothing known. */
export function deviceOf(userAgent: string | null): string {
  if (!userAgent) return 'Unknown device'
  const browser = /Edg\//.test(userAgent)
    ? 'Edge'
    : /OPR\//.test(userAgent)
      ? 'Opera'
      : /Firefox\//.test(userAgent)
        ? 'Firefox'
        : /Chrom(e|ium)\//.test(userAgent)
          ? 'Chrome'
          : /Safari\//.test(userAgent)
            ? 'Safari'
            : (userAgent.split(/[\s/]/)[0] ?? userAgent)
  const os = /Windows/.test(userAgent)
    ? 'Windows'
    : /iPhone|iPad/.test(userAgent)
      ? 'iOS'
      : /Mac OS X|Macintosh/.test(userAgent)
        ? 'macOS'
        : /Android/.test(userAgent)
          ? 'Android'
          : /CrOS/.test(userAgent)
            ? 'ChromeOS'
            : /Linux/.test(userAgent)
              ? 'Linux'
              : undefined
  return os ? `${browser} on ${os}` : browser
}

/** The short form for a role's chip: nothing for the whole workspace, else its labels or resource counts. */
export function scopeSuffix(resources: Resource[]): string {
  const labels = resources.flatMap((r) => r.labels ?? []).map((l) => `${l.key}:${l.value}`)
  if (resources.length === 0 || resources.some((r) => r.type === 'WORKSPACE')) return labels.join(', ')
  return scopeOf(resources)
}

export interface Resource {
  id: string
  type: string
  labels?: { key: string; value: string }[]
}

const TYPE_NAMES: Record<string, [string, string]> = {
  SOURCE: ['source', 'sources'],
  FUNCTION: ['function', 'functions'],
  SPACE: ['space', 'spaces'],
  WAREHOUSE: ['warehouse', 'warehouses'],
}

/** What a grant covers, in words: the whole workspace, some labels, or a count of resources per type. */
export function scopeOf(resources: Resource[]): string {
  const labels = resources.flatMap((r) => r.labels ?? []).map((l) => `${l.key}:${l.value}`)
  if (resources.length === 0 || resources.some((r) => r.type === 'WORKSPACE'))
    return labels.length > 0 ? `Resources labelled ${labels.join(' and ')}` : 'All current and future resources'
  const counts = new Map<string, number>()
  for (const r of resources) counts.set(r.type, (counts.get(r.type) ?? 0) + 1)
  return [...counts]
    .map(([type, n]) => {
      const [one, many] = TYPE_NAMES[type] ?? [type.toLowerCase(), `${type.toLowerCase()}s`]
      return `${n} ${n === 1 ? one : many}`
    })
    .join(', ')
}

/** A permission's key: its role and resources (a role appears once per set of resources). */
export function permissionKey(p: { roleId: string; resources: { id: string; type: string }[] }): string {
  return `${p.roleId}:${p.resources.map((r) => `${r.type}/${r.id}`).join(',')}`
}

/** Emails typed in a box, separated by commas, semicolons, spaces or lines: the addresses, in order, without blanks. */
export function emailsIn(text: string): string[] {
  return text
    .split(/[\s,;]+/)
    .map((e) => e.trim())
    .filter(Boolean)
}

/** "1 user", "3 users". */
export function plural(count: number, one: string, many = `${one}s`): string {
  return `${count} ${count === 1 ? one : many}`
}
