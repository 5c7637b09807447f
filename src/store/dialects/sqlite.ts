import { chmodSync, closeSync, constants, fchmodSync, openSync, statSync } from 'node:fs'
import Database from 'better-sqlite3'
import { Kysely, Migrator, type SqliteDatabase, SqliteDialect, type SqliteStatement, sql } from 'kysely'
import { migrationProvider } from '../migrations/index.js'
import type { DialectHandle, StoreFailure } from '../store.js'
import type { Database as Tables } from '../tables.js'
import { sqliteSnapshots } from './sqlite-snapshots.js'

export interface SqliteOptions {
  file: string
  /** How long a writer waits for another process's lock before failing (ms). */
  busyTimeoutMs?: number
}

export function openSqlite({ file, busyTimeoutMs = 5000 }: SqliteOptions): DialectHandle {
  ownerOnly(file)
  const sqlite = new Database(file)
  // WAL lets readers run beside a writer (a CLI writing while the server serves); NORMAL is durable in WAL
  // mode except for the last commits on power loss, never corrupt.
  sqlite.pragma('journal_mode = WAL')
  sqlite.pragma('synchronous = NORMAL')
  sqlite.pragma(`busy_timeout = ${busyTimeoutMs}`)
  sqlite.pragma('foreign_keys = ON')
  const db = new Kysely<Tables>({ dialect: new SqliteDialect({ database: withStatementCache(sqlite) }) })
  return {
    db,
    // BEGIN IMMEDIATE takes the write lock up front: a deferred transaction that upgrades later can
    // fail with SQLITE_BUSY at once when another process writes, whatever the busy timeout.
    transaction: (work) =>
      db.connection().execute(async (conn) => {
        await sql`begin immediate`.execute(conn)
        try {
          const result = await work(conn)
          await sql`commit`.execute(conn)
          return result
        } catch (error) {
          await sql`rollback`.execute(conn)
          throw error
        }
      }),
    ping: async () => {
      sqlite.prepare('select 1').get()
    },
    // One writer at a time: transactions commit in the order they took their identity values already.
    orderAppends: async () => {},
    snapshots: sqliteSnapshots,
    migrator: async () => new Migrator({ db, provider: migrationProvider('sqlite') }),
    classifyError: classifySqliteError,
    destroy: () => db.destroy(),
  }
}

/** Another process held the file's lock past the busy timeout (BUSY), or a table lock was in the way (LOCKED). */
const UNAVAILABLE_CODES = new Set(['SQLITE_BUSY', 'SQLITE_LOCKED'])
/** A row another write inserted first, under a unique index or the primary key. */
const CONFLICT_CODES = new Set(['SQLITE_CONSTRAINT_UNIQUE', 'SQLITE_CONSTRAINT_PRIMARYKEY'])

/** better-sqlite3 reports SQLite's (extended) result code as the error's `code`. */
export function classifySqliteError(error: unknown): StoreFailure | undefined {
  const code = (error as { code?: unknown } | null | undefined)?.code
  if (typeof code !== 'string') return undefined
  if (UNAVAILABLE_CODES.has(code)) return 'unavailable'
  if (CONFLICT_CODES.has(code)) return 'conflict'
  return undefined
}

/**
 * Kysely prepares every query afresh, and preparing costs better-sqlite3 ~20–40 µs, a large share of a
 * page request. Prepared statements are reusable (the driver runs one query at a time on this
 * connection), so keep the most recent ones by SQL text. SQLite re-prepares them itself after a schema change.
 */
function withStatementCache(database: Database.Database, size = 500): SqliteDatabase {
  const cache = new Map<string, SqliteStatement>()
  return {
    close: () => database.close(),
    prepare(text) {
      let statement = cache.get(text)
      if (statement) {
        cache.delete(text) // most recently used goes last; the first key is the one to evict
      } else {
        statement = database.prepare(text) as unknown as SqliteStatement
        if (cache.size >= size) cache.delete(cache.keys().next().value as string)
      }
      cache.set(text, statement)
      return statement
    },
  }
}

/**
 * The file holds the audit trail, the sealed remote tokens and the cursor secret: readable by its owner only,
 * like the key file. SQLite gives the -wal and -shm files it creates the main file's permissions, so creating
 * the main file 0600 before SQLite opens it (the server and every CLI command open it here) covers all three.
 *
 * An existing file (and a -wal or -shm left beside it) that this user owns loses any group and other
 * permissions: earlier versions created it 0644 under the usual umask, and an upgrade should not leave the
 * secrets readable by every local user. Permissions are only ever taken away, never added, and a file
 * another user owns is left alone (root running the CLI does not change the server user's file). Best effort:
 * when the file cannot be created here (a missing directory, say), SQLite reports it in its own words.
 */
function ownerOnly(file: string): void {
  // In-memory and temporary databases have no file; permission bits mean little on Windows.
  if (file === '' || file === ':memory:' || process.platform === 'win32') return
  try {
    const fd = openSync(file, constants.O_RDWR | constants.O_CREAT | constants.O_EXCL, 0o600)
    try {
      fchmodSync(fd, 0o600) // exactly 0600, whatever the umask
    } finally {
      closeSync(fd)
    }
  } catch {
    // It exists (tightened below), or SQLite will say why it cannot be opened.
  }
  for (const path of [file, `${file}-wal`, `${file}-shm`]) tighten(path)
}

function tighten(path: string): void {
  try {
    const { mode, uid } = statSync(path)
    if ((mode & 0o077) !== 0 && uid === process.getuid?.()) chmodSync(path, mode & 0o700)
  } catch {
    // Absent, or not ours to change.
  }
}
