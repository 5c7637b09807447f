import { Command, Option } from 'commander'
import { DEFAULT_MAIL_FROM, resolveServeConfig, type ServeFlags } from '../../config.js'
import type { Fixture } from '../../fixtures/schema.js'
import type { RunningServer } from '../../server.js'
import { allowRemoteHostOption, UsageError, usage } from '../program.js'

export function serveCommand(): Command {
  return new Command('serve')
    .description('run the Gatehouse server')
    .option('--host <host>', 'address to listen on (env GATEHOUSE_HOST)', undefined)
    .option('--port <port>', 'port to listen on, 0 for any free port (env GATEHOUSE_PORT; default 4100)')
    .option('--db <path>', 'SQLite file (env GATEHOUSE_DB; default ./gatehouse.db)')
    .option('--database-url <url>', 'PostgreSQL instead of SQLite: postgres://user@host:5432/db (env DATABASE_URL)')
    .option('--db-pool-size <n>', 'PostgreSQL connections per replica (env GATEHOUSE_DB_POOL_SIZE; default 10)')
    .option(
      '--db-statement-timeout <seconds>',
      'PostgreSQL cuts off any statement running longer; its request gets a 503 (env GATEHOUSE_DB_STATEMENT_TIMEOUT; default 10)',
    )
    .option('--admin-key <key>', 'enables the operator API under /admin (env GATEHOUSE_ADMIN_KEY)')
    .option('--rate-limit <n|off>', 'requests per minute per workspace, or off (env GATEHOUSE_RATE_LIMIT; default 600)')
    .addOption(
      new Option('--rate-limit-store <store>', 'where rate-limit windows live; redis/postgres share them across replicas').choices([
        'memory',
        'redis',
        'postgres',
      ]),
    )
    .option('--redis-url <url>', 'Redis for shared rate limits: redis://127.0.0.1:6379 (env REDIS_URL)')
    .option('--write-rate-limit <n>', 'requests per minute per workspace on each RL60 write endpoint (default 60)')
    .addOption(
      new Option('--log-level <level>', 'log level (env GATEHOUSE_LOG_LEVEL)').choices([
        'fatal',
        'error',
        'warn',
        'info',
        'debug',
        'trace',
        'silent',
      ]),
    )
    .option('--no-demo', 'do not create the demo workspace on first start')
    .option(
      '--seed <fixtures.json>',
      'seed an empty store with these workspaces, users, groups and tokens; POST /admin/reset returns to them (env GATEHOUSE_SEED; no demo)',
    )
    .option('--secret-key-file <path>', 'key that seals remote tokens (env GATEHOUSE_SECRET_KEY_FILE; default gatehouse.key beside the DB)')
    .option('--sync-interval <seconds>', 'how often the directory syncs each connection (env GATEHOUSE_SYNC_INTERVAL; default 3600)')
    .option(
      '--sync-stale-after <seconds>',
      'a running sync or idempotent action silent this long was abandoned by its process; another replica (or a retry) takes it over (env GATEHOUSE_SYNC_STALE_AFTER; default 120)',
    )
    .option('--no-sync-scheduler', 'do not sync connections on their interval in this process (env GATEHOUSE_SYNC_SCHEDULER=off)')
    .addOption(allowRemoteHostOption())
    .option(
      '--remote-body-limit <megabytes>',
      'the most of one remote answer read (a list page, a proxied answer); beyond it, 502 (env GATEHOUSE_REMOTE_BODY_LIMIT; default 10)',
    )
    .option(
      '--smtp-url <url>',
      'send mail through this SMTP server: smtp://user:pass@host:587 (env GATEHOUSE_SMTP_URL; unset: mail waits in the outbox)',
    )
    .option('--mail-from <address>', `the From of every message (env GATEHOUSE_MAIL_FROM; default "${DEFAULT_MAIL_FROM}")`)
    .option(
      '--public-url <url>',
      'the address people reach this server at, for links in mail (env GATEHOUSE_PUBLIC_URL; default: where it listens)',
    )
    .option(
      '--trust-proxy <hops|addresses>',
      'proxies in front that may name the client (X-Forwarded-For): a number of hops, or addresses/CIDRs, comma-separated (env GATEHOUSE_TRUST_PROXY; default none)',
    )
    .option(
      '--clock <system|manual[=ISO]>',
      'tests only: manual stands the clock still (now, or at ISO) until POST /admin/clock sets or advances it (env GATEHOUSE_CLOCK; default system)',
    )
    .option('--drift-threshold <ratio>', "share of a connection's users a sync may delete before holding them for approval (default 0.2)")
    .action(async (flags: ServeFlags, command: Command) => {
      // Commander defaults every `--no-x` option to true, which would hide GATEHOUSE_DEMO=false and
      // GATEHOUSE_SYNC_SCHEDULER=off: only a flag actually given may override the environment.
      for (const key of ['demo', 'syncScheduler'] as const) if (command.getOptionValueSource(key) === 'default') delete flags[key]
      const config = usage(() => resolveServeConfig(flags))
      const fixture = config.seedFile ? await readSeed(config.seedFile) : undefined
      const { startServer } = await import('../../server.js') // the HTTP server loads only to serve
      const server = await startServer(config)
      if (fixture) await seedOrStop(server, fixture, config.seedFile as string)
      const shutdown = (signal: string) => {
        server.app.log.info({ signal }, 'stopping: finishing in-flight requests')
        server.stop().then(
          () => process.exit(0),
          (error) => {
            server.app.log.error({ err: error }, 'error while stopping')
            process.exit(1)
          },
        )
      }
      process.once('SIGTERM', () => shutdown('SIGTERM'))
      process.once('SIGINT', () => shutdown('SIGINT'))
    })
}

/** The fixture file, validated before the server starts: a bad one is a usage error naming the path. */
async function readSeed(file: string): Promise<Fixture> {
  const { FixtureError, readFixtureFile } = await import('../../fixtures/schema.js')
  try {
    return readFixtureFile(file)
  } catch (error) {
    if (error instanceof FixtureError) throw new UsageError(`--seed ${error.message}`)
    throw error
  }
}

/** Seeds the store (or keeps it, seeded from this fixture before); a store it cannot seed stops the server. */
async function seedOrStop(server: RunningServer, fixture: Fixture, file: string): Promise<void> {
  try {
    const outcome = await server.seeder.seed(fixture)
    server.mailer.poke()
    const count = `${fixture.workspaces.length} workspace${fixture.workspaces.length === 1 ? '' : 's'}`
    console.log(outcome === 'seeded' ? `Seeded ${count} from ${file}.` : `Kept the ${count} seeded from ${file} before.`)
  } catch (error) {
    await server.stop()
    throw new UsageError(`--seed ${file}: ${(error as Error).message}`)
  }
}
