/**
 * Rows per IN list or multi-row INSERT: 14 columns × 500 rows stays far below SQLite's (32,766) and
 * PostgreSQL's (65,535) bound-parameter limits.
 */
export const CHUNK = 500

export function chunks<T>(items: readonly T[], size = CHUNK): T[][] {
  const out: T[][] = []
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size))
  return out
}

/** Runs `read` over the items a chunk at a time and concatenates the answers in order. */
export async function inChunks<T, R>(items: readonly T[], read: (chunk: T[]) => Promise<R[]>): Promise<R[]> {
  const out: R[] = []
  for (const chunk of chunks(items)) out.push(...(await read(chunk)))
  return out
}
