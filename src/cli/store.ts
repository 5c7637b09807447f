import { databaseUrl, dbPath, resolveServeConfig, storeConfig } from '../config.js'
import type { DirectoryContext } from '../directory/context.js'
import { NotFoundError } from '../errors.js'
import type { ConnectionRow } from '../store/queries/connections.js'
import type { Queries } from '../store/queries/index.js'
import type { Store } from '../store/store.js'
import { type StoreFlags, UsageError, usage } from './program.js'
import { jsonLine, printLine } from './terminal.js'

/**
 * Opens the store as `serve` would, runs, closes: PostgreSQL when --database-url or DATABASE_URL names one
 * (its schema must be current: `gatehouse migrate`), else the SQLite file (safe while a server runs on it:
 * WAL and a busy timeout).
 */
export async function withStore<T>(where: StoreFlags, work: (store: Store) => Promise<T>): Promise<T> {
  const url = usage(() => databaseUrl(where.databaseUrl))
  // Loaded when a command runs, not when the CLI starts: `--help` and bad arguments answer at once.
  const { openStore } = await import('../store/open.js')
  const store = await openStore(storeConfig({ db: dbPath(where.db), databaseUrl: url }), url ? 'require-current' : 'auto')
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

/**
 * `--json`: exactly one JSON object on stdout; otherwise readable lines, through the terminal backstop (each
 * value in them should already have gone through `oneLine`: see terminal.ts).
 */
export function output(json: boolean | undefined, value: unknown, text: string): void {
  if (json) process.stdout.write(`${jsonLine(value)}\n`)
  else printLine(text)
}

/**
 * Opens the store and the directory (key from GATEHOUSE_SECRET_KEY or the key file beside the database,
 * directory settings and the remote-host allow-list from flags and GATEHOUSE_* like `serve`), runs, closes.
 */
export async function withDirectory<T>(
  where: StoreFlags & { allowRemoteHost?: string[] },
  work: (ctx: DirectoryContext) => Promise<T>,
): Promise<T> {
  const { db, databaseUrl, allowRemoteHost } = where
  const config = usage(() =>
    resolveServeConfig({
      ...(db === undefined ? {} : { db }),
      ...(databaseUrl === undefined ? {} : { databaseUrl }),
      ...(allowRemoteHost === undefined ? {} : { allowRemoteHost }),
    }),
  )
  const { openDirectory } = await import('../server.js')
  return withStore(where, async (store) => {
    const ctx = await openDirectory(store, config)
    try {
      return await work(ctx)
    } finally {
      await ctx.outbound.close()
    }
  })
}

/** A connection by id, name or remote workspace slug; a name two connections share must be given as an id. */
export async function findConnection(q: Queries, ref: string): Promise<ConnectionRow> {
  const all = await q.connections.all()
  const byId = all.find((c) => c.id === ref)
  if (byId) return byId
  const matches = all.filter((c) => c.name === ref || c.remote_workspace_slug === ref)
  if (matches.length > 1) throw new UsageError(`${ref} names ${matches.length} connections; use the connection id`)
  const [match] = matches
  if (!match) throw new NotFoundError(`Connection ${ref}`)
  return match
}
