import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expect } from 'vitest'
import type { LogStream } from '../../src/app.js'
import { resolveServeConfig } from '../../src/config.js'
import { type RunningServer, startServer } from '../../src/server.js'
import { migrateStore } from '../../src/store/open.js'
import { createTestSchema, testStore } from '../helpers/postgres.js'
import type { Browser } from './support.js'

/** A server started as `startGatehouse` does, with what that helper does not offer: the demo, a console folder. */
export interface ConsoleServer {
  server: RunningServer
  url: string
  /** What the server printed (the demo's token and sign-in link). */
  printed: string[]
  stop(): Promise<void>
}

export async function startConsoleServer(options: { demo?: boolean; consoleDir?: string; logStream?: LogStream }): Promise<ConsoleServer> {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-console-'))
  const pgSchema = testStore() === 'postgres' ? await createTestSchema() : undefined
  const config = resolveServeConfig(
    {
      host: '127.0.0.1',
      port: '0',
      db: join(dir, 'gatehouse.db'),
      ...(pgSchema ? { databaseUrl: pgSchema.url } : {}),
      rateLimit: 'off',
      logLevel: options.logStream ? 'trace' : 'silent',
      demo: options.demo ?? false,
      syncScheduler: false,
      allowRemoteHost: ['127.0.0.1'],
    },
    {},
  )
  if (options.logStream) config.logStream = options.logStream
  if (pgSchema) await migrateStore({ postgresUrl: pgSchema.url })
  const printed: string[] = []
  const server = await startServer(config, (line) => printed.push(line), options.consoleDir ? { consoleDir: options.consoleDir } : {})
  return {
    server,
    url: server.url,
    printed,
    async stop() {
      await server.stop()
      await pgSchema?.drop()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

/** Signs the browser in with a sign-in link's token, as the console's link page does. */
export async function signInWithLink(browser: Browser, token: string) {
  const res = await browser.post(`/console/api/links/${token}/session`)
  expect(res.status, res.text).toBe(200)
  return res
}
