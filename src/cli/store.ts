import { dbPath } from '../config.js'
import { NotFoundError } from '../errors.js'
import { openStore } from '../store/open.js'
import type { Queries } from '../store/queries/index.js'
import type { Store } from '../store/store.js'

/** Opens the SQLite file (safe while a server runs on it: WAL and a busy timeout), runs, closes. */
export async function withStore<T>(db: string | undefined, work: (store: Store) => Promise<T>): Promise<T> {
  const store = await openStore({ sqliteFile: dbPath(db) })
  try {
    return await work(store)
  } finally {
    await store.close()
  }
}

export async function findWorkspaceByRef(q: Queries, ref: string) {
  const workspace = await q.workspaces.findBySlugOrId(ref)
  if (!workspace) throw new NotFoundError(`Workspace ${ref}`)
  return workspace
}

/** `--json`: exactly one JSON object on stdout; otherwise readable lines. */
export function output(json: boolean | undefined, value: unknown, text: string): void {
  process.stdout.write(json ? `${JSON.stringify(value)}\n` : `${text}\n`)
}
