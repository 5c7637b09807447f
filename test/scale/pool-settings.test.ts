import { randomBytes } from 'node:crypto'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ConfigError, resolveServeConfig } from '../../src/config.js'
import { migrateStore, openStore } from '../../src/store/open.js'
import { ADMIN_KEY, HttpClient } from '../helpers/gatehouse.js'
import { createTestSchema, TEST_DATABASE_URL } from '../helpers/postgres.js'
import { type ServerProcess, spawnServer } from '../helpers/process.js'

// The pool size and statement timeout an operator sets are the ones PostgreSQL sees: a replica never holds
// more connections than --db-pool-size, and a statement stuck past --db-statement-timeout (here: waiting
// for a lock someone else holds) is cut off and answered with a 503 envelope, not left hanging.

describe('PostgreSQL pool size and statement timeout', () => {
  let schema: Awaited<ReturnType<typeof createTestSchema>>
  let server: ServerProcess
  let api: HttpClient
  let observer: pg.Client
  const appName = `gh_pool_${randomBytes(4).toString('hex')}`

  beforeAll(async () => {
    schema = await createTestSchema()
    await migrateStore({ postgresUrl: schema.url })
    server = await spawnServer(
      [
        '--database-url',
        `${schema.url}&application_name=${appName}`,
        '--admin-key',
        ADMIN_KEY,
        '--db-pool-size',
        '2',
        '--db-statement-timeout',
        '1',
      ],
      { GATEHOUSE_SECRET_KEY: randomBytes(32).toString('hex') },
    )
    const slug = `pool-${randomBytes(4).toString('hex')}`
    const res = await new HttpClient(server.url, ADMIN_KEY).post('/admin/workspaces', {
      name: slug,
      slug,
      ownerEmail: `owner@${slug}.example`,
    })
    expect(res.status).toBe(201)
    api = new HttpClient(server.url, res.body.data.token)
    observer = new pg.Client({ connectionString: schema.url })
    await observer.connect()
  })
  afterAll(async () => {
    await observer?.end()
    await server?.stop()
    await schema?.drop()
  })

  const connections = async () =>
    Number((await observer.query('select count(*) as n from pg_stat_activity where application_name = $1', [appName])).rows[0].n)

  it('serves 60 concurrent requests on at most --db-pool-size connections', async () => {
    let most = 0
    let sampling = true
    const sampler = (async () => {
      while (sampling) {
        most = Math.max(most, await connections())
        await new Promise((r) => setTimeout(r, 5))
      }
    })()
    const statuses = await Promise.all(Array.from({ length: 60 }, () => api.get('/users').then((r) => r.status)))
    sampling = false
    await sampler
    expect(statuses.every((s) => s === 200)).toBe(true)
    expect(most).toBeGreaterThan(0)
    expect(most).toBeLessThanOrEqual(2)
  })

  it('cuts off a statement stuck past --db-statement-timeout with a 503 envelope, and serves again once it clears', async () => {
    const locker = new pg.Client({ connectionString: schema.url })
    await locker.connect()
    try {
      await locker.query('begin')
      await locker.query('lock table users in access exclusive mode')
      const started = Date.now()
      const res = await api.get('/users')
      const waited = Date.now() - started
      expect(res.status).toBe(503)
      expect(res.body.errors[0]).toMatchObject({ type: 'unavailable', status: 503 })
      expect(waited).toBeGreaterThanOrEqual(900)
      expect(waited).toBeLessThan(5_000)
      await locker.query('rollback')
    } finally {
      await locker.end()
    }
    expect((await api.get('/users')).status).toBe(200)
  })

  it('names its sessions gatehouse in pg_stat_activity unless the URL names them', async () => {
    const store = await openStore({ postgresUrl: schema.url }, 'require-current')
    try {
      const { rows } = await (store.pgPool as pg.Pool).query('show application_name')
      expect(rows[0].application_name).toBe('gatehouse')
    } finally {
      await store.close()
    }
  })

  it('refuses a pool size or timeout out of range with a clear message', () => {
    const url = TEST_DATABASE_URL
    expect(() => resolveServeConfig({ databaseUrl: url, dbPoolSize: '0' }, {})).toThrow(ConfigError)
    expect(() => resolveServeConfig({ databaseUrl: url, dbStatementTimeout: 'soon' }, {})).toThrow(
      /--db-statement-timeout must be a whole number/,
    )
    const config = resolveServeConfig({ databaseUrl: url }, { GATEHOUSE_DB_POOL_SIZE: '25', GATEHOUSE_DB_STATEMENT_TIMEOUT: '30' })
    expect([config.dbPoolSize, config.dbStatementTimeoutMs]).toEqual([25, 30_000])
  })
})
