import { mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import Database from 'better-sqlite3'
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ApiError, ConflictError, NotFoundError, UnavailableError } from '../../src/errors.js'
import { classifyPostgresError, openPostgres } from '../../src/store/dialects/postgres.js'
import { classifySqliteError, openSqlite } from '../../src/store/dialects/sqlite.js'
import { migrateStore } from '../../src/store/open.js'
import { createStore, type DialectHandle, type Store } from '../../src/store/store.js'
import { createTestSchema, testStore } from '../helpers/postgres.js'

// What each dialect does its own way, so that nothing above it knows an engine. It names its engine's errors
// (classifyError), and the store turns the named ones into the catalog's 503 and 409 where reads and writes
// run: the errors here are the real ones the engine raises; only the unreachable codes no test can provoke
// cheaply are listed. And it keeps concurrent appenders to a feed committing in key order (orderAppends).

const CONFLICT_MESSAGE = 'A conflicting change was made at the same time; read the current state and retry'

/** The engine under test (the vitest project's), migrated, with a store over it. */
interface Engine {
  handle: DialectHandle
  store: Store
  /** The code the engine gives a duplicate on a unique index. */
  uniqueCode: string
  cleanup(): Promise<void>
}

async function openEngine(): Promise<Engine> {
  if (testStore() === 'postgres') {
    const schema = await createTestSchema()
    await migrateStore({ postgresUrl: schema.url })
    // Three connections: two transactions holding one each, and the look at pg_locks beside them.
    const handle = openPostgres({ url: schema.url, poolSize: 3 })
    const store = createStore(handle, 'test-secret', { closeGraceMs: 0 })
    const cleanup = async () => {
      await store.close()
      await schema.drop()
    }
    return { handle, store, uniqueCode: '23505', cleanup }
  }
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-dialect-'))
  const file = join(dir, 'store.db')
  await migrateStore({ sqliteFile: file })
  // A short busy timeout: the test that holds the write lock elsewhere need not wait the default 5 s.
  const handle = openSqlite({ file, busyTimeoutMs: 50 })
  const store = createStore(handle, 'test-secret', { closeGraceMs: 0 })
  return {
    handle,
    store,
    uniqueCode: 'SQLITE_CONSTRAINT_UNIQUE',
    cleanup: async () => {
      await store.close()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

let workspaces = 0
const workspace = (slug = `ws-${++workspaces}`) => ({
  id: `id-${slug}-${workspaces}`,
  slug,
  name: slug,
  plan: 'business' as const,
  created_at: new Date(0).toISOString(),
})

const rejectionOf = (promise: Promise<unknown>): Promise<unknown> =>
  promise.then(
    () => expect.unreachable('it should have failed'),
    (error: unknown) => error,
  )

describe(`the ${testStore()} dialect names its engine's errors, and the store answers them from the catalog`, () => {
  let engine: Engine

  beforeAll(async () => {
    engine = await openEngine()
  })
  afterAll(async () => {
    await engine?.cleanup()
  })

  it('classifies a real duplicate on a unique index, and on the primary key, as a conflict', async () => {
    const first = workspace()
    await engine.handle.db.insertInto('workspaces').values(first).execute()
    const sameSlug = await rejectionOf(
      engine.handle.db
        .insertInto('workspaces')
        .values({ ...first, id: 'another-id' })
        .execute(),
    )
    const sameId = await rejectionOf(
      engine.handle.db
        .insertInto('workspaces')
        .values({ ...first, slug: 'another-slug' })
        .execute(),
    )
    expect(sameSlug).toMatchObject({ code: engine.uniqueCode })
    expect(engine.handle.classifyError(sameSlug)).toBe('conflict')
    expect(engine.handle.classifyError(sameId)).toBe('conflict')
  })

  it("answers a write that loses a uniqueness race with the catalog's 409, keeping the engine's error as its cause", async () => {
    const first = workspace()
    await engine.store.write((q) => q.workspaces.insert(first))
    const lost = await rejectionOf(engine.store.write((q) => q.workspaces.insert({ ...first, id: 'racing-id' })))
    expect(lost).toBeInstanceOf(ConflictError)
    expect(lost).toMatchObject({ status: 409, type: 'conflict', message: CONFLICT_MESSAGE })
    expect((lost as Error).cause).toMatchObject({ code: engine.uniqueCode })
  })

  it('leaves other engine errors, and errors of the catalog, as they are', async () => {
    const missingName = await rejectionOf(
      engine.store.write((q) => q.workspaces.insert({ ...workspace(), name: null as unknown as string })),
    )
    expect(missingName).not.toBeInstanceOf(ApiError)
    expect(engine.handle.classifyError(missingName)).toBeUndefined()
    const notFound = new NotFoundError('Workspace nope')
    expect(
      await rejectionOf(
        engine.store.read(() => {
          throw notFound
        }),
      ),
    ).toBe(notFound)
  })

  it.runIf(testStore() === 'sqlite')('answers a write that waited out another connection holding the write lock with a 503', async () => {
    const file = (await sql<{ file: string }>`select file from pragma_database_list where name = 'main'`.execute(engine.handle.db)).rows[0]
      ?.file as string
    const other = new Database(file)
    try {
      other.exec('begin immediate')
      const busy = await rejectionOf(engine.store.write((q) => q.workspaces.insert(workspace())))
      expect(busy).toBeInstanceOf(UnavailableError)
      expect(busy).toMatchObject({ status: 503, type: 'unavailable', message: 'The store is unavailable; try again shortly' })
      expect((busy as Error).cause).toMatchObject({ code: 'SQLITE_BUSY' })
    } finally {
      other.close()
    }
  })

  it.runIf(testStore() === 'postgres')('classifies a statement cut off by statement_timeout as unavailable', async () => {
    const cutOff = await rejectionOf(
      engine.handle.db.connection().execute(async (conn) => {
        await sql`set statement_timeout = 50`.execute(conn)
        try {
          await sql`select pg_sleep(5)`.execute(conn)
        } finally {
          await sql`set statement_timeout = default`.execute(conn)
        }
      }),
    )
    expect(cutOff).toMatchObject({ code: '57014' })
    expect(engine.handle.classifyError(cutOff)).toBe('unavailable')
  })

  it.runIf(testStore() === 'postgres')('answers a read on a PostgreSQL nobody listens for with a 503', async () => {
    const port = await closedPort()
    const handle = openPostgres({ url: `postgres://postgres@127.0.0.1:${port}/test`, poolSize: 1 })
    const store = createStore(handle, 'test-secret', { closeGraceMs: 0 })
    try {
      const refused = await rejectionOf(store.read((q) => q.meta.get('secret')))
      expect(refused).toBeInstanceOf(UnavailableError)
      expect((refused as Error).cause).toMatchObject({ code: 'ECONNREFUSED' })
    } finally {
      await store.close()
    }
  })
})

describe.runIf(testStore() === 'postgres')('the PostgreSQL dialect orders appenders', () => {
  let engine: Engine

  beforeAll(async () => {
    engine = await openEngine()
  })
  afterAll(async () => {
    await engine?.cleanup()
  })

  /** Whether a transaction of this schema waits for a lock on its dir_events. */
  const appenderWaits = async () => {
    const { rows } = await sql<{ waiting: number }>`
      select count(*)::int as waiting from pg_locks l
      join pg_class c on c.oid = l.relation join pg_namespace n on n.oid = c.relnamespace
      where c.relname = 'dir_events' and n.nspname = current_schema() and not l.granted`.execute(engine.handle.db)
    return (rows[0]?.waiting ?? 0) > 0
  }

  it('holds a second appender to dir_events until the first commits', async () => {
    const events: string[] = []
    let commitFirst = () => {}
    const firstMayCommit = new Promise<void>((resolve) => {
      commitFirst = resolve
    })
    let firstOrdered = () => {}
    const firstHasOrdered = new Promise<void>((resolve) => {
      firstOrdered = resolve
    })
    const first = engine.handle.db.transaction().execute(async (trx) => {
      await engine.handle.orderAppends(trx, 'dir_events')
      firstOrdered()
      await firstMayCommit
    })
    await firstHasOrdered
    const second = engine.handle.db.transaction().execute(async (trx) => {
      await engine.handle.orderAppends(trx, 'dir_events')
      events.push('second may append')
    })
    try {
      const deadline = Date.now() + 15_000
      while (!(await appenderWaits())) {
        if (Date.now() > deadline) throw new Error(`the second appender never waited (${events.join(', ') || 'nothing happened'})`)
        await sleep(10)
      }
      events.push('first commits')
    } finally {
      commitFirst()
    }
    await Promise.all([first, second])
    expect(events).toEqual(['first commits', 'second may append'])
  })
})

describe.runIf(testStore() === 'sqlite')('the SQLite codes', () => {
  it.each(['SQLITE_BUSY', 'SQLITE_LOCKED'])('%s is unavailable', (code) => {
    expect(classifySqliteError(Object.assign(new Error('locked'), { code }))).toBe('unavailable')
  })
  it.each(['SQLITE_CONSTRAINT_NOTNULL', 'SQLITE_CONSTRAINT_FOREIGNKEY', 'SQLITE_ERROR', '23505', 'ECONNREFUSED'])(
    '%s is none of them',
    (code) => {
      expect(classifySqliteError(Object.assign(new Error('other'), { code }))).toBeUndefined()
    },
  )
  it('an error without a code, or no error object at all, is none of them', () => {
    expect(classifySqliteError(new Error('Connection terminated'))).toBeUndefined()
    expect(classifySqliteError(undefined)).toBeUndefined()
    expect(classifySqliteError('SQLITE_BUSY')).toBeUndefined()
  })
})

describe.runIf(testStore() === 'postgres')('the PostgreSQL codes', () => {
  it.each(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', '57P01', '57P02', '57P03', '53300', '08000', '08003', '08006', '57014'])(
    '%s is unavailable',
    (code) => {
      expect(classifyPostgresError(Object.assign(new Error('down'), { code }))).toBe('unavailable')
    },
  )
  it.each([
    'Connection terminated unexpectedly',
    'timeout exceeded when trying to connect',
    'Client has encountered a connection error and is not queryable',
    'connect ECONNREFUSED 127.0.0.1:5432',
  ])('"%s", without a code, is unavailable', (message) => {
    expect(classifyPostgresError(new Error(message))).toBe('unavailable')
  })
  it.each(['23503', '23502', '40001', '42P01', 'SQLITE_BUSY', 'SQLITE_CONSTRAINT_UNIQUE'])('%s is none of them', (code) => {
    expect(classifyPostgresError(Object.assign(new Error('other'), { code }))).toBeUndefined()
  })
  it('no error object at all is none of them', () => {
    expect(classifyPostgresError(undefined)).toBeUndefined()
    expect(classifyPostgresError(null)).toBeUndefined()
  })
})

/** A local port nothing listens on: one the system just handed out and took back. */
async function closedPort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise((resolve) => server.close(resolve))
  return port
}
