import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { migrateStore, openStore } from '../../src/store/open.js'
import { createTestSchema, TEST_DATABASE_URL } from '../helpers/postgres.js'

const BIN = fileURLToPath(new URL('../../bin/gatehouse.js', import.meta.url))

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

/** `u` for an unlogged table, `p` for a logged one: rate_limits of the schema first on the client's search path. */
async function rateLimitsPersistence(client: pg.Client): Promise<string> {
  return (await client.query(`select relpersistence from pg_class where oid = 'rate_limits'::regclass`)).rows[0].relpersistence
}

describe('the shared rate-limit windows on PostgreSQL', () => {
  it('live in an unlogged table: every request updates its window, and a WAL flush each capped a workspace at ~2,000 requests/s', async () => {
    const schema = await createTestSchema()
    const client = new pg.Client({ connectionString: schema.url })
    try {
      await migrateStore({ postgresUrl: schema.url })
      await client.connect()
      expect(await rateLimitsPersistence(client)).toBe('u')
    } finally {
      await client.end()
      await schema.drop()
    }
  })
})

describe('gatehouse migrate on a busy database', () => {
  it('waits out a lock held past the statement timeout replicas use (10 s) instead of failing the migration', async () => {
    const schema = await createTestSchema()
    const locker = new pg.Client({ connectionString: schema.url })
    try {
      // A database of the release before 0008: 0007 applied, rate_limits still logged.
      await migrateStore({ postgresUrl: schema.url }, { upTo: '0008-unlogged-rate-limits' })
      await locker.connect()
      await locker.query(`delete from kysely_migration where name = '0008-unlogged-rate-limits'`)
      await locker.query('alter table rate_limits set logged')
      // A session (a replica's, say) holds the table the pending migration alters.
      await locker.query('begin')
      await locker.query('lock table rate_limits in access exclusive mode')
      const migrate = spawn(process.execPath, [BIN, 'migrate', '--database-url', schema.url], { stdio: ['ignore', 'pipe', 'pipe'] })
      let out = ''
      migrate.stdout.on('data', (chunk: Buffer) => (out += chunk))
      migrate.stderr.on('data', (chunk: Buffer) => (out += chunk))
      const exited = new Promise<number | null>((resolve) => migrate.once('exit', resolve))
      await new Promise((resolve) => setTimeout(resolve, 11_000))
      expect(migrate.exitCode, out).toBeNull() // still waiting, not cut off
      await locker.query('rollback')
      expect(await exited, out).toBe(0)
      expect(out).toMatch(/^Applied: 0008-unlogged-rate-limits\b/)
      expect(await rateLimitsPersistence(locker)).toBe('u')
    } finally {
      await locker.end()
      await schema.drop()
    }
  }, 40_000)
})
