import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Kysely, KyselyPlugin, PluginTransformQueryArgs, PluginTransformResultArgs, QueryResult, UnknownRow } from 'kysely'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { openPostgres } from '../../src/store/dialects/postgres.js'
import { openSqlite } from '../../src/store/dialects/sqlite.js'
import { allPages, type KeyColumns, type KeyValue, pages, type Rows, type Seek, seekPage } from '../../src/store/queries/page.js'
import type { DialectHandle } from '../../src/store/store.js'
import { createTestSchema, testStore } from '../helpers/postgres.js'

// The one keyset helper on the engine of the vitest project, over a real table of its own: one key column or
// two, either list order, either direction, ties on the first column, and walks that meet inserts and deletes.

interface Row {
  at: string
  id: string
  n: number
}

type Order = 'asc' | 'desc'

/** A table of the test's own, outside the store's Database type. */
type TestDb = Kysely<{ keyset_rows: Row }>

/** Records the SQL each query compiles to on the engine under test. */
class SqlRecorder implements KyselyPlugin {
  readonly statements: string[] = []
  constructor(private readonly db: TestDb) {}
  transformQuery({ node, queryId }: PluginTransformQueryArgs) {
    this.statements.push(this.db.getExecutor().compileQuery(node, queryId).sql)
    return node
  }
  async transformResult({ result }: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    return result
  }
}

async function openEngine(): Promise<{ handle: DialectHandle; cleanup(): Promise<void> }> {
  if (testStore() === 'postgres') {
    const schema = await createTestSchema()
    const handle = openPostgres({ url: schema.url, poolSize: 2 })
    return {
      handle,
      cleanup: async () => {
        await handle.destroy()
        await schema.drop()
      },
    }
  }
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-keyset-'))
  const handle = openSqlite({ file: join(dir, 'keyset.db') })
  return {
    handle,
    cleanup: async () => {
      await handle.destroy()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

const pad = (i: number, width: number) => String(i).padStart(width, '0')

/** 29 rows: `at` takes 6 values, so most rows tie on it with others, and id order is not `at` order. */
const SEED: Row[] = Array.from({ length: 29 }, (_, i) => ({ at: `t${pad((i * 7) % 6, 2)}`, id: `r${pad(i, 3)}`, n: i * 3 }))

const ONE: KeyColumns = 'id'
const TWO: KeyColumns = ['at', 'id']
const columnsOf = (columns: KeyColumns): readonly string[] => (typeof columns === 'string' ? [columns] : columns)
const keyOf =
  (columns: KeyColumns) =>
  (row: Row): KeyValue[] =>
    columnsOf(columns).map((c) => row[c as keyof Row])

/** The rows in list order, as JS compares them (lower-case letters and digits: every collation agrees). */
function listed(rows: readonly Row[], columns: KeyColumns, order: Order): Row[] {
  const cols = columnsOf(columns) as (keyof Row)[]
  const compare = (a: Row, b: Row) => {
    for (const c of cols) if (a[c] !== b[c]) return a[c] < b[c] ? -1 : 1
    return 0
  }
  return [...rows].sort((a, b) => (order === 'asc' ? compare(a, b) : compare(b, a)))
}

const ids = (rows: readonly Row[]) => rows.map((r) => r.id)

describe('keyset pages (seekPage)', () => {
  let engine: Awaited<ReturnType<typeof openEngine>>
  let db: TestDb

  beforeAll(async () => {
    engine = await openEngine()
    db = engine.handle.db as unknown as TestDb
    await db.schema
      .createTable('keyset_rows')
      .addColumn('at', 'text', (c) => c.notNull())
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('n', 'integer', (c) => c.notNull().unique())
      .execute()
  })
  afterAll(() => engine.cleanup())

  beforeEach(async () => {
    await db.deleteFrom('keyset_rows').execute()
    await db.insertInto('keyset_rows').values(SEED).execute()
  })

  const read =
    (columns: KeyColumns, order: Order, from: TestDb = db) =>
    (seek: Seek): Promise<Rows<Row>> =>
      seekPage(from.selectFrom('keyset_rows').selectAll(), columns, seek, order)

  const current = () => db.selectFrom('keyset_rows').selectAll().execute()

  describe.each([
    { keys: 'one key column', columns: ONE },
    { keys: 'two key columns', columns: TWO },
  ])('$keys', ({ columns }) => {
    describe.each(['asc', 'desc'] as const)('%s', (order) => {
      const all = listed(SEED, columns, order)

      it('reads the page after a key, and the page before it, in list order', async () => {
        const at = all[10] as Row
        const after = await read(columns, order)({ direction: 'after', key: keyOf(columns)(at), limit: 5 })
        expect(ids(after.rows)).toEqual(ids(all.slice(11, 16)))
        expect(after.hasMore).toBe(true)
        const before = await read(columns, order)({ direction: 'before', key: keyOf(columns)(at), limit: 5 })
        expect(ids(before.rows)).toEqual(ids(all.slice(5, 10)))
        expect(before.hasMore).toBe(true)
      })

      it('says where the list ends in each direction', async () => {
        const first = await read(columns, order)({ direction: 'after', key: null, limit: 4 })
        expect(ids(first.rows)).toEqual(ids(all.slice(0, 4)))
        const lastRow = all.at(-1) as Row
        const tail = await read(columns, order)({ direction: 'after', key: keyOf(columns)(all.at(-4) as Row), limit: 3 })
        expect(ids(tail.rows)).toEqual(ids(all.slice(-3)))
        expect(tail.hasMore).toBe(false)
        const fromEnd = await read(columns, order)({ direction: 'before', key: null, limit: 4 })
        expect(ids(fromEnd.rows)).toEqual(ids(all.slice(-4)))
        expect(fromEnd.rows.at(-1)?.id).toBe(lastRow.id)
        const head = await read(columns, order)({ direction: 'before', key: keyOf(columns)(all[3] as Row), limit: 3 })
        expect(ids(head.rows)).toEqual(ids(all.slice(0, 3)))
        expect(head.hasMore).toBe(false)
        const past = await read(columns, order)({ direction: 'after', key: keyOf(columns)(lastRow), limit: 3 })
        expect(past).toEqual({ rows: [], hasMore: false })
      })

      it('walks forwards then backwards over every row once, in order', async () => {
        const forward: Row[][] = []
        for await (const page of pages(read(columns, order), keyOf(columns), 4)) forward.push(page.rows)
        expect(ids(forward.flat())).toEqual(ids(all))
        expect(forward.map((p) => p.length)).toEqual([4, 4, 4, 4, 4, 4, 4, 1])

        // Back from the last page, each page before the first row of the one after it.
        const backward: Row[][] = [forward.at(-1) as Row[]]
        for (;;) {
          const first = backward[0]?.[0] as Row
          const page = await read(columns, order)({ direction: 'before', key: keyOf(columns)(first), limit: 4 })
          backward.unshift(page.rows)
          if (!page.hasMore) break
        }
        expect(ids(backward.flat())).toEqual(ids(all))
      })

      it('never skips or repeats a surviving row when rows come and go between pages', async () => {
        const survivors = new Set(ids(SEED))
        const seen: Row[] = []
        let turn = 0
        for await (const page of pages(read(columns, order), keyOf(columns), 4)) {
          seen.push(...page.rows)
          turn++
          // Around the walk's position: new rows before and after it, and deletes of rows seen and not yet seen.
          // ('r006a' sorts between 'r006' and 'r007'.)
          const fresh = [0, 1].map((j) => ({
            at: `t${pad((turn + j * 3) % 6, 2)}`,
            id: `r${pad((turn * 5 + j * 11) % 29, 3)}${'ab'[j]}${turn}`,
            n: 1000 + turn * 2 + j,
          }))
          await db.insertInto('keyset_rows').values(fresh).execute()
          const present = listed(await current(), columns, order)
          const gone = [present[turn], present[present.length - 1 - turn]].filter((r): r is Row => r !== undefined)
          for (const r of gone) survivors.delete(r.id)
          await db
            .deleteFrom('keyset_rows')
            .where(
              'id',
              'in',
              gone.map((r) => r.id),
            )
            .execute()
        }
        const seenIds = ids(seen)
        expect(new Set(seenIds).size).toBe(seenIds.length)
        for (const id of survivors) expect(seenIds).toContain(id)
        // Every row seen is in list order: the walk only moved forwards.
        expect(ids(listed(seen, columns, order))).toEqual(seenIds)
      })
    })
  })

  it('breaks ties on the first column by the second', async () => {
    const all = listed(SEED, TWO, 'desc')
    // The first row of a run of rows sharing `at`: after it come the others of the run, lower ids first.
    const at = all.findIndex((r, i) => i > 0 && r.at !== all[i - 1]?.at)
    const tied = all.filter((r) => r.at === all[at]?.at)
    expect(tied.length).toBeGreaterThan(3)
    const page = await read(TWO, 'desc')({ direction: 'after', key: keyOf(TWO)(all[at] as Row), limit: tied.length - 1 })
    expect(ids(page.rows)).toEqual(ids(tied.slice(1)))
    expect(page.rows.every((r) => r.at === all[at]?.at)).toBe(true)
  })

  it('seeks an integer column by number, in numeric order', async () => {
    const page = await read('n', 'asc')({ direction: 'after', key: [9], limit: 3 })
    expect(page.rows.map((r) => Number(r.n))).toEqual([12, 15, 18])
  })

  it('collects a whole list with allPages', async () => {
    const everything = await allPages(read(TWO, 'desc'), keyOf(TWO), 5)
    expect(ids(everything)).toEqual(ids(listed(SEED, TWO, 'desc')))
  })

  it('compares one column plainly and several as one row value (an index range bound on PostgreSQL)', async () => {
    const recorder = new SqlRecorder(db)
    const spied = db.withPlugin(recorder)
    await read(ONE, 'asc', spied)({ direction: 'after', key: ['r010'], limit: 2 })
    await read(TWO, 'desc', spied)({ direction: 'after', key: ['t03', 'r010'], limit: 2 })
    const [one, two] = recorder.statements
    expect(one).toMatch(/where "id" > (\?|\$1) order by "id" asc limit/)
    expect(two).toMatch(/where \("at", "id"\) < \((\?|\$1), (\?|\$2)\) order by "at" desc, "id" desc limit/)
  })

  it('refuses a key that does not fit the key columns', async () => {
    await expect(read(TWO, 'asc')({ direction: 'after', key: ['t01'], limit: 2 })).rejects.toThrow(/1 values cannot seek 2 key columns/)
  })
})
