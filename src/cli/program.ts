import { Command, CommanderError, Option } from 'commander'
import { ConfigError } from '../config.js'
import { ApiError } from '../errors.js'
import { VERSION } from '../version.js'
import { groupsCommand, inviteCommand, offboardCommand } from './commands/actions.js'
import { adminCommand } from './commands/admin.js'
import { connectCommand, connectionsCommand } from './commands/connect.js'
import { apiKeyCommand, personCommand, usersCommand } from './commands/directory.js'
import { exportCommand } from './commands/export.js'
import { migrateCommand } from './commands/migrate.js'
import { outboxCommand } from './commands/outbox.js'
import { serveCommand } from './commands/serve.js'
import { syncCommand } from './commands/sync.js'
import { tokenCommand } from './commands/token.js'
import { userCommand } from './commands/user.js'
import { workspaceCommand } from './commands/workspace.js'
import { oneLine } from './terminal.js'

/** Exit codes: 0 ok, 1 the operation failed, 2 bad arguments. */
export const EXIT_USAGE = 2

export function buildProgram(): Command {
  const program = new Command('gatehouse')
    .description('Segment Public API–compatible workspace access management')
    .version(VERSION)
    .showSuggestionAfterError()
  program.addCommand(serveCommand())
  program.addCommand(migrateCommand())
  program.addCommand(workspaceCommand())
  program.addCommand(tokenCommand())
  program.addCommand(userCommand())
  program.addCommand(connectCommand())
  program.addCommand(connectionsCommand())
  program.addCommand(syncCommand())
  program.addCommand(usersCommand())
  program.addCommand(personCommand())
  program.addCommand(apiKeyCommand())
  program.addCommand(inviteCommand())
  program.addCommand(groupsCommand())
  program.addCommand(offboardCommand())
  program.addCommand(outboxCommand())
  program.addCommand(adminCommand())
  program.addCommand(exportCommand())
  // Every command and sub-command: usage errors exit 2 with one line; no help dump after them. The line may
  // quote an argument: escaped like any other text (terminal.ts).
  const configure = (cmd: Command) => {
    cmd.exitOverride().configureOutput({ outputError: (str, write) => write(`${oneLine(str.split('\n')[0] ?? '')}\n`) })
    cmd.commands.forEach(configure)
  }
  configure(program)
  return program
}

export async function run(argv: string[]): Promise<number> {
  const program = buildProgram()
  try {
    await program.parseAsync(argv, { from: 'user' })
    return 0
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.code === 'commander.help') return 0
      return EXIT_USAGE
    }
    if (error instanceof UsageError) {
      writeError(error.message)
      return EXIT_USAGE
    }
    if (error instanceof ApiError) {
      writeError(error.message)
      return 1
    }
    writeError(error instanceof Error ? error.message : String(error))
    return 1
  }
}

/**
 * One line on stderr. A message may quote remote text (a remote's error, a synced name) or an argument, so
 * every control character in it is escaped, newlines included: an error is one line (terminal.ts).
 */
function writeError(message: string): void {
  process.stderr.write(`error: ${oneLine(message)}\n`)
}

/** A bad argument the parser could not catch by itself (a malformed email, say): exit 2. */
export class UsageError extends Error {}

/** A configuration mistake is a usage error (exit 2, one line). */
export function usage<T>(resolve: () => T): T {
  try {
    return resolve()
  } catch (error) {
    if (error instanceof ConfigError) throw new UsageError(error.message)
    throw error
  }
}

export const dbOption = () => new Option('--db <path>', 'SQLite file (env GATEHOUSE_DB)')
export const databaseUrlOption = () =>
  new Option('--database-url <url>', 'PostgreSQL instead of SQLite: postgres://user@host:5432/db (env DATABASE_URL)')

/** Where a command finds the store: --database-url (or DATABASE_URL) for PostgreSQL, else the --db SQLite file. */
export interface StoreFlags {
  db?: string
  databaseUrl?: string
}
export const jsonOption = () => new Option('--json', 'print one JSON object instead of text')

/** Repeatable: hosts the directory may reach besides Segment's (the CLI commands that call remotes, and serve). */
export const allowRemoteHostOption = () =>
  new Option(
    '--allow-remote-host <host>',
    "a host remotes may be on besides Segment's: host, host:port or *.domain; repeatable (env GATEHOUSE_ALLOW_REMOTE_HOSTS, comma-separated)",
  ).argParser((value: string, previous: string[] | undefined) => [...(previous ?? []), value])
