import { Command, Option } from 'commander'
import { createApiKey } from '../../directory/api-keys.js'
import { getPerson, listUsers, type UserQuery } from '../../directory/read.js'
import type { UnifiedUser } from '../../directory/schemas/unified.js'
import { NotFoundError } from '../../errors.js'
import { pages } from '../../store/queries/page.js'
import type { DirUserStatus } from '../../store/tables.js'
import { databaseUrlOption, dbOption, jsonOption, type StoreFlags, UsageError } from '../program.js'
import { findConnection, output, withStore } from '../store.js'
import { oneLine, printLine } from '../terminal.js'
import { isEmail } from '../validate.js'

/*
 * The directory from the command line, straight on the SQLite file (safe beside a running server): the
 * unified users table, one person across workspaces, and directory API keys. `connect.ts` holds connections.
 */

/**
 * Columns padded to their widest cell, two spaces apart. Every cell is escaped for the terminal first (names
 * come from remote workspaces): a newline in one cannot start a row, and widths count what is shown.
 */
export function table(header: string[], rows: string[][]): string {
  const cells = [header, ...rows].map((r) => r.map(oneLine))
  const widths = header.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)))
  return cells
    .map((r) =>
      r
        .map((cell, i) => cell.padEnd(widths[i] ?? 0))
        .join('  ')
        .trimEnd(),
    )
    .join('\n')
}

const rolesText = (user: Pick<UnifiedUser, 'roles'>) =>
  user.roles.map((r) => (r.via === 'group' ? `${r.name} (via ${r.group?.name ?? 'a group'})` : r.name)).join(', ') || '-'
const groupsText = (user: Pick<UnifiedUser, 'groups'>) => user.groups.map((g) => g.name).join(', ') || '-'

const STATUSES: DirUserStatus[] = ['active', 'invited', 'deleted']

export function usersCommand(): Command {
  return new Command('users')
    .description('list the unified directory: every account in every connected workspace')
    .option('--email <email>', 'one email, in any case')
    .addOption(new Option('--status <status>', 'only this status').choices(STATUSES))
    .option('--connection <connection>', 'only this connection (id, name or workspace slug)')
    .option('--role <role>', 'holding this role, directly or through a group (role id or name)')
    .option('--search <text>', 'name or email containing this text')
    .addOption(dbOption())
    .addOption(databaseUrlOption())
    .addOption(jsonOption())
    .action(
      async (
        o: StoreFlags & {
          email?: string
          status?: DirUserStatus
          connection?: string
          role?: string
          search?: string
          json?: boolean
        },
      ) => {
        if (o.email !== undefined && !isEmail(o.email)) throw new UsageError(`--email: ${o.email} is not an email address`)
        const users = await withStore(o, (store) =>
          store.read(async (q) => {
            const query: UserQuery = {
              ...(o.email === undefined ? {} : { email: o.email }),
              ...(o.status === undefined ? {} : { status: o.status }),
              ...(o.role === undefined ? {} : { role: o.role }),
              ...(o.search === undefined ? {} : { q: o.search }),
              ...(o.connection === undefined ? {} : { connection_id: (await findConnection(q, o.connection)).id }),
            }
            const all: UnifiedUser[] = []
            for await (const page of pages(
              (seek) => listUsers(q, query, seek),
              (row) => [row.id],
            ))
              all.push(...page.result)
            return all
          }),
        )
        const rows = [...users]
          .sort((a, b) => a.email.toLowerCase().localeCompare(b.email.toLowerCase()) || a.workspace.slug.localeCompare(b.workspace.slug))
          .map((u) => [u.email, u.name ?? '-', u.status, u.workspace.slug, rolesText(u), groupsText(u)])
        output(
          o.json,
          { users },
          users.length === 0 ? 'No users.' : table(['EMAIL', 'NAME', 'STATUS', 'WORKSPACE', 'ROLES', 'GROUPS'], rows),
        )
      },
    )
}

export function personCommand(): Command {
  return new Command('person')
    .description("one person's access across every connected workspace")
    .argument('<email>', 'the email, in any case')
    .addOption(new Option('--status <status>', 'accounts of this status (default: active and invited)').choices(STATUSES))
    .addOption(dbOption())
    .addOption(databaseUrlOption())
    .addOption(jsonOption())
    .action(async (email: string, o: StoreFlags & { status?: DirUserStatus; json?: boolean }) => {
      if (!isEmail(email)) throw new UsageError(`${email} is not an email address`)
      const person = await withStore(o, (store) => store.read((q) => getPerson(q, email, o.status)))
      const title = `${oneLine(person.email)}${person.name ? ` (${oneLine(person.name)})` : ''}`
      const text =
        person.accounts.length === 0
          ? `${title}: no ${o.status ?? 'live'} account in any connected workspace${o.status ? '' : ' (--status deleted shows former ones)'}.`
          : `${title}: ${person.accounts.length} account${person.accounts.length === 1 ? '' : 's'}\n${table(
              ['WORKSPACE', 'EMAIL', 'STATUS', 'ROLES', 'GROUPS'],
              person.accounts.map((a) => [a.workspace.slug, a.email, a.status, rolesText(a), groupsText(a)]),
            )}`
      output(o.json, { person }, text)
    })
}

export function apiKeyCommand(): Command {
  const cmd = new Command('apikey').description('directory API keys (Authorization: Bearer for /directory)')
  cmd
    .command('create')
    .description('create a directory API key; its secret is printed once and stored only as a hash')
    .option('--description <text>', 'what the key is for', 'created with the CLI')
    .addOption(dbOption())
    .addOption(databaseUrlOption())
    .addOption(jsonOption())
    .action(async (o: StoreFlags & { description: string; json?: boolean }) => {
      if (o.description.trim() === '' || o.description.length > 255) throw new UsageError('--description must be 1 to 255 characters')
      const { key, secret } = await withStore(o, (store) => store.write((q) => createApiKey(q, o.description)))
      output(
        o.json,
        { apiKey: key, secret },
        `Created directory API key ${key.id} (${oneLine(key.description)}).\nSecret (shown once): ${secret}`,
      )
    })
  cmd
    .command('list')
    .description('list directory API keys (never their secrets)')
    .addOption(dbOption())
    .addOption(databaseUrlOption())
    .addOption(jsonOption())
    .action(async (o: StoreFlags & { json?: boolean }) => {
      const keys = await withStore(o, (store) => store.read((q) => q.apiKeys.list()))
      output(
        o.json,
        { apiKeys: keys },
        keys.length === 0
          ? 'No directory API keys.'
          : table(
              ['ID', 'DESCRIPTION', 'CREATED', 'REVOKED'],
              keys.map((k) => [k.id, k.description, k.created_at, k.revoked_at ?? '-']),
            ),
      )
    })
  cmd
    .command('revoke')
    .description('revoke a directory API key at once')
    .argument('<id>', 'key id')
    .addOption(dbOption())
    .addOption(databaseUrlOption())
    .action(async (id: string, o: StoreFlags) => {
      const revoked = await withStore(o, (store) => store.write((q) => q.apiKeys.revoke(id, new Date().toISOString())))
      if (!revoked) throw new NotFoundError(`Directory API key ${id}`)
      printLine(`Revoked directory API key ${oneLine(id)}.`)
    })
  return cmd
}
