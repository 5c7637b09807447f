import type { FastifyInstance } from 'fastify'
import { type AccountsContext, createAccountsContext } from './accounts/context.js'
import { buildApp } from './app.js'
import { CredentialCipher, verifyKey } from './auth/credentials.js'
import { type ServeConfig, storeConfig } from './config.js'
import { seedDemoWorkspace } from './demo.js'
import { BudgetRegistry } from './directory/budget/remote-budget.js'
import { applyAllowList } from './directory/connections.js'
import type { DirectoryContext } from './directory/context.js'
import { SyncScheduler } from './directory/sync/scheduler.js'
import { Seeder } from './fixtures/seed.js'
import { createMailer, type Mailer, type MailOptions } from './mail/mailer.js'
import { Outbound } from './outbound/fetch.js'
import { RemoteHostPolicy } from './outbound/policy.js'
import { openStore } from './store/open.js'
import type { Store } from './store/store.js'
import { clockLimiters } from './wire/clock-limiter.js'
import { sharedLimiters } from './wire/limiter-stores.js'
import { RateLimits } from './wire/rate-limit.js'

export interface RunningServer {
  app: FastifyInstance
  store: Store
  /** What the directory runs on (the sync engine, tests). */
  directory: DirectoryContext
  /** Sign-in, sessions, links and invitation mail (the emulator's seed mails its invites through it). */
  accounts: AccountsContext
  /** Sends (or, without SMTP, announces) the outbox. */
  mailer: Mailer
  /** Seeds the store from a fixture (`--seed`, `startGatehouse({ seed })`); `/admin/reset` goes back to it. */
  seeder: Seeder
  url: string
  stop(): Promise<void>
}

/** What tests set that operators do not: the mail worker's timings, the built console's folder. */
export interface ServerInternals {
  mail?: Partial<MailOptions>
  consoleDir?: string
}

/** Opens the store, seeds the demo workspace on first start, and listens. */
export async function startServer(
  config: ServeConfig,
  print: (line: string) => void = console.log,
  internals: ServerInternals = {},
): Promise<RunningServer> {
  // PostgreSQL replicas never migrate on their own: `gatehouse migrate` does, once, before they start.
  const store = await openStore(storeConfig(config), config.databaseUrl ? 'require-current' : 'auto', config.clock)
  let directory: DirectoryContext
  try {
    directory = await openDirectory(store, config)
    await applyAllowList(directory)
  } catch (error) {
    await store.close()
    throw error
  }
  // Windows a test can move through: per process, on the server's clock. Production keeps rate-limiter-flexible.
  const limiters = config.clock.controllable
    ? { factory: clockLimiters(config.clock), close: async () => {} }
    : sharedLimiters(config.rateLimitStore, {
        ...(config.redisUrl ? { redisUrl: config.redisUrl } : {}),
        ...(store.pgPool ? { pgPool: store.pgPool } : {}),
      })
  const accounts = createAccountsContext({ store, cipher: directory.cipher, publicUrl: config.mail.publicUrl, limiters: limiters.factory })
  const seeder = new Seeder(store, accounts.invitations)
  const app = await buildApp({
    store,
    directory,
    accounts,
    seeder,
    rateLimits: new RateLimits(config.rateLimits, limiters.factory, config.clock),
    adminKey: config.adminKey,
    logLevel: config.logLevel,
    logStream: config.logStream,
    trustProxy: config.trustProxy,
    consoleDir: internals.consoleDir,
  })
  const mailer = createMailer(
    { store, cipher: directory.cipher, config: config.mail, log: app.log },
    { staleMs: config.directory.staleRunMs, ...internals.mail },
  )
  accounts.mailQueued = () => mailer.poke()
  await app.listen({ host: config.host, port: config.port })
  const address = app.server.address()
  const port = typeof address === 'object' && address ? address.port : config.port
  const url = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`
  accounts.site.listeningOn(url) // links in mail point here unless --public-url says otherwise
  if (config.demo) await seedDemo(store, accounts, url, print)
  if (config.syncScheduler) directory.scheduler.start(app.log)
  mailer.start()
  print(
    `Gatehouse ready on ${url} (${config.databaseUrl ? 'PostgreSQL' : `SQLite ${config.db}`}, rate limits ${config.rateLimits.enabled ? `${config.rateLimits.perMinute}/min` : 'off'}, operator API ${config.adminKey ? 'on' : 'off'}${config.clock.controllable ? `, manual clock at ${config.clock.now().toISOString()}` : ''}, ${mailRoute(config.mail.smtpUrl)}${config.syncScheduler ? '' : ', sync scheduler off'}${config.allowRemoteHosts.length ? `, remotes also on ${config.allowRemoteHosts.join(' ')}` : ''})`,
  )
  let stopping: Promise<void> | undefined
  const stop = () => {
    stopping ??= (async () => {
      await app.close() // stops accepting, lets in-flight requests finish
      await directory.scheduler.stop() // runs in flight finish, or are recorded as failed
      await mailer.stop() // a send under way finishes, or is left for the next process to take over
      await limiters.close()
      await directory.outbound.close()
      await store.close()
    })()
    return stopping
  }
  return { app, store, directory, accounts, mailer, seeder, url, stop }
}

/** Where mail goes, for the ready line: the SMTP server's host, never the URL (it holds a password). */
function mailRoute(smtpUrl: string | undefined): string {
  if (!smtpUrl) return 'mail kept in the outbox'
  try {
    const url = new URL(smtpUrl)
    return `mail via ${url.protocol}//${url.host}`
  } catch {
    return 'mail via SMTP'
  }
}

/** Loads the credential key, checks it against the store, and builds what the directory runs on, with its (idle) sync scheduler. */
export async function openDirectory(
  store: Store,
  config: Pick<ServeConfig, 'secretKey' | 'keyFile' | 'directory' | 'allowRemoteHosts' | 'remoteBodyLimitBytes'>,
): Promise<DirectoryContext> {
  const sealed = await store.read((q) => q.meta.get('key_check'))
  // A missing key file is created only for a store that was never sealed: else it is an error, not a new key.
  const cipher = CredentialCipher.load({ secretKey: config.secretKey, keyFile: config.keyFile, create: sealed === undefined })
  await verifyKey(cipher, {
    read: async () => sealed,
    write: (value) => store.write((q) => q.meta.set('key_check', value)),
  })
  const outbound = new Outbound(new RemoteHostPolicy(config.allowRemoteHosts), config.remoteBodyLimitBytes)
  // The scheduler runs its syncs on the context that carries it, so it builds that context.
  return new SyncScheduler({ store, cipher, budgets: new BudgetRegistry(), outbound, config: config.directory }).ctx
}

/** On a first start, the demo workspace; prints its token and a sign-in link once (never logged; the store keeps their hashes). */
async function seedDemo(store: Store, accounts: AccountsContext, url: string, print: (line: string) => void): Promise<void> {
  const { site } = accounts
  // The demo's pending invites are mailed too (the mailer starts right after this).
  const created = await store.write((q) => seedDemoWorkspace(q, q.clock.now(), accounts.invitations))
  if (!created) return
  print(
    [
      `Created the demo workspace "${created.workspace.name}" (${created.workspace.id}).`,
      'Its Public API token (shown once, stored only as a hash):',
      '',
      `  ${created.token}`,
      '',
      'Try it:',
      `  curl -s -H "Authorization: Bearer ${created.token}" ${url}/users`,
      '',
      'Or with the official SDK (npm install @segment/public-api-sdk-typescript):',
      "  const { configureApis, unwrap } = require('@segment/public-api-sdk-typescript')",
      `  const api = configureApis('${created.token}')`,
      `  api.iamUsers.basePath = '${url}'`,
      '  unwrap(api.iamUsers.listUsers({ count: 10 })).then((d) => console.log(d.users))',
      '',
      `Sign in to the console (once, within 24 hours): ${site.linkUrl(created.signInSecret)}`,
      '',
    ].join('\n'),
  )
}
