import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { migrateStore, openStore } from '../../src/store/open.js'
import { createTestSchema, TEST_DATABASE_URL } from '../helpers/postgres.js'

// Replicas check their schema on start (`require-current`), and `gatehouse migrate` brings it up to date,
// while other schemas of the same database come and go (other test files' cleanups, a staging schema
// dropped). Neither may trip over a schema that is not theirs: Kysely's own introspection, which lists every
// schema's tables, fails with `schema "gh_test_…" does not exist` when one is dropped while it runs.

describe('the schema check of a PostgreSQL store beside other schemas', () => {
  let schema: Awaited<ReturnType<typeof createTestSchema>>
  let churning = true
  let churn: Promise<void>

  beforeAll(async () => {
    schema = await createTestSchema()
    // Another schema with a table (and a serial column) created and dropped on a loop, beside ours.
    churn = (async () => {
      const client = new pg.Client({ connectionString: TEST_DATABASE_URL })
      await client.connect()
      try {
        for (let i = 0; churning; i++) {
          const other = `${schema.schema}_other${i}`
          await client.query(`create schema ${other}; create table ${other}.t (id serial primary key, a text)`)
          await client.query(`drop schema ${other} cascade`)
        }
      } finally {
        await client.end()
      }
    })()
  })
  afterAll(async () => {
    churning = false
    await churn
    await schema?.drop()
  })

  it('migrates, then opens as current every time, while another schema is dropped again and again', async () => {
    await migrateStore({ postgresUrl: schema.url })
    const failures: string[] = []
    for (let i = 0; i < 60; i++) {
      try {
        const store = await openStore({ postgresUrl: schema.url }, 'require-current')
        await store.close()
      } catch (error) {
        failures.push((error as Error).message)
      }
    }
    expect(failures).toEqual([])
  })

  it('refuses a search path whose schema does not exist instead of taking another schema for it', async () => {
    const url = `${TEST_DATABASE_URL}${TEST_DATABASE_URL.includes('?') ? '&' : '?'}options=${encodeURIComponent(`-c search_path=${schema.schema}_missing`)}`
    await expect(openStore({ postgresUrl: url }, 'require-current')).rejects.toThrow(/No schema on the search path exists/)
  })
})

describe('the shared rate-limit windows on PostgreSQL', () => {
  it('live in an unlogged table: every request updates its window, and a WAL flush each capped a workspace at ~2,000 requests/s', async () => {
    const schema = await createTestSchema()
    const client = new pg.Client({ connectionString: schema.url })
    try {
      await migrateStore({ postgresUrl: schema.url })
      await client.connect()
      const { rows } = await client.query(
        `select c.relpersistence from pg_class c join pg_namespace n on n.oid = c.relnamespace where n.nspname = $1 and c.relname = 'rate_limits'`,
        [schema.schema],
      )
      expect(rows).toEqual([{ relpersistence: 'u' }])
    } finally {
      await client.end()
      await schema.drop()
    }
  })
})
