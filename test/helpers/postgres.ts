import { randomBytes } from 'node:crypto'
import pg from 'pg'

/** The PostgreSQL the test machines run (trust auth), overridable for other setups. */
export const TEST_DATABASE_URL = process.env.GATEHOUSE_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test'

/** Which store this test process runs against: `GATEHOUSE_TEST_STORE=postgres` (set by the vitest project) or SQLite. */
export const testStore = (): 'sqlite' | 'postgres' => (process.env.GATEHOUSE_TEST_STORE === 'postgres' ? 'postgres' : 'sqlite')

/** A fresh schema with a random name; its URL puts it first on the search path. Drop it when done. */
export async function createTestSchema(): Promise<{ url: string; schema: string; drop(): Promise<void> }> {
  const schema = `gh_test_${randomBytes(6).toString('hex')}`
  const client = new pg.Client({ connectionString: TEST_DATABASE_URL })
  await client.connect()
  try {
    await client.query(`create schema ${schema}`)
  } finally {
    await client.end()
  }
  const url = `${TEST_DATABASE_URL}${TEST_DATABASE_URL.includes('?') ? '&' : '?'}options=${encodeURIComponent(`-c search_path=${schema}`)}`
  return {
    url,
    schema,
    async drop() {
      const c = new pg.Client({ connectionString: TEST_DATABASE_URL })
      await c.connect()
      try {
        await c.query(`drop schema if exists ${schema} cascade`)
      } finally {
        await c.end()
      }
    },
  }
}
