import { Command } from 'commander'
import { createConnection } from '../../directory/connections.js'
import { presentConnection } from '../../directory/present.js'
import { allowRemoteHostOption, databaseUrlOption, dbOption, jsonOption, type StoreFlags, UsageError } from '../program.js'
import { output, withDirectory, withStore } from '../store.js'
import { oneLine } from '../terminal.js'
import { table } from './directory.js'

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of process.stdin) chunks.push(Buffer.from(chunk))
  return Buffer.concat(chunks).toString('utf8')
}

export function connectCommand(): Command {
  return new Command('connect')
    .description('connect a remote workspace to the directory: checks its Public API token with the remote, stores it sealed')
    .requiredOption('--token <token>', "the workspace's Public API token, or - to read it from stdin (kept out of shell history and ps)")
    .option('--base-url <url>', 'the remote API: https://api.segmentapis.com (default), https://eu1.api.segmentapis.com, or a Gatehouse')
    .option('--name <name>', "a name for the connection (default: the workspace's slug)")
    .addOption(dbOption())
    .addOption(allowRemoteHostOption())
    .addOption(databaseUrlOption())
    .addOption(jsonOption())
    .action(async (o: StoreFlags & { token: string; baseUrl?: string; name?: string; json?: boolean }) => {
      const token = o.token === '-' ? (await readStdin()).trim() : o.token
      if (token === '') throw new UsageError('--token is empty')
      if (o.name !== undefined && (o.name.trim() === '' || o.name.length > 255)) throw new UsageError('--name must be 1 to 255 characters')
      const row = await withDirectory(o, (ctx) => createConnection(ctx, { token, baseUrl: o.baseUrl, name: o.name }))
      const c = presentConnection(row)
      output(
        o.json,
        { connection: c },
        [
          `Connected ${oneLine(c.name)} (${c.id}): workspace ${oneLine(c.workspace.slug)} "${oneLine(c.workspace.name)}" (${oneLine(c.workspace.id)}) at ${oneLine(c.base_url)}.`,
          'The token is stored sealed and is never shown again.',
          `A running server syncs it on its next pass; to sync now: gatehouse sync ${c.id}`,
        ].join('\n'),
      )
    })
}

export function connectionsCommand(): Command {
  return new Command('connections')
    .description('list the connected workspaces and their sync state')
    .addOption(dbOption())
    .addOption(databaseUrlOption())
    .addOption(jsonOption())
    .action(async (o: StoreFlags & { json?: boolean }) => {
      const connections = (await withStore(o, (store) => store.read((q) => q.connections.all()))).map(presentConnection)
      const rows = connections.map((c) => [c.id, c.name, c.workspace.slug, c.status, c.last_complete_sync_at ?? 'never', c.base_url])
      const details = connections
        .filter((c) => c.status !== 'active' && c.status_detail)
        .map((c) => `${oneLine(c.name)}: ${oneLine(c.status_detail ?? '')}`)
      output(
        o.json,
        { connections },
        connections.length === 0
          ? 'No connections. Add one with: gatehouse connect --token - (then the Public API token on stdin)'
          : [table(['ID', 'NAME', 'WORKSPACE', 'STATUS', 'LAST COMPLETE SYNC', 'BASE URL'], rows), ...details].join('\n'),
      )
    })
}
