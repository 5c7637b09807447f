import { Command } from 'commander'
import { runAction } from '../../directory/actions/run.js'
import type { ActionInputs, ActionName, ActionResult } from '../../directory/actions/types.js'
import type { DirectoryContext } from '../../directory/context.js'
import { emailKey } from '../../email.js'
import { NotFoundError } from '../../errors.js'
import type { ConnectionRow } from '../../store/queries/connections.js'
import type { DirUserRow } from '../../store/queries/dir-users.js'
import { allowRemoteHostOption, databaseUrlOption, dbOption, jsonOption, type StoreFlags, UsageError } from '../program.js'
import { findConnection, withDirectory } from '../store.js'
import { jsonLine, oneLine, screenText } from '../terminal.js'

/*
 * `gatehouse invite`, `gatehouse groups add|remove`, `gatehouse offboard`: the directory actions, run in this
 * process on the database file (as `gatehouse sync` does). Each prints the calls it made (or, with
 * --dry-run, would make) and their outcome per workspace, and exits 1 when any of them failed.
 */

/** Some remote calls failed: the lines above say which; the command exits 1. */
class ActionFailedError extends Error {}

interface Common extends StoreFlags {
  dryRun?: boolean
  json?: boolean
}

const collect = (value: string, previous: string[] = []) => [...previous, value]

/** The options every action command takes after its own: a dry run, JSON output, and where the directory is. */
function withActionOptions(command: Command): Command {
  return command
    .option('--dry-run', 'print the calls it would make, and make none')
    .addOption(jsonOption())
    .addOption(dbOption())
    .addOption(allowRemoteHostOption())
    .addOption(databaseUrlOption())
}

export function inviteCommand(): Command {
  return withActionOptions(
    new Command('invite')
      .description('invite an email to a connected workspace, with roles and groups')
      .argument('<email>', 'who to invite')
      .requiredOption('--connection <connection>', 'connection id, name or remote workspace slug')
      .option('--role <role>', 'Segment role id (or directory role id), granted on the workspace; repeatable', collect)
      .option('--group <group>', 'group name, directory id or remote id; repeatable', collect),
  ).action(async (email: string, o: Common & { connection: string; role?: string[]; group?: string[] }) => {
    await withDirectory(o, async (ctx) => {
      const connection = await ctx.store.read((q) => findConnection(q, o.connection))
      const groupIds = await resolveGroups(ctx, connection, o.group ?? [])
      const input: ActionInputs['invite'] = {
        connection_id: connection.id,
        email,
        ...(o.role ? { role_ids: o.role } : {}),
        ...(groupIds.length > 0 ? { group_ids: groupIds } : {}),
      }
      await perform(ctx, 'invite', input, email, o)
    })
  })
}

export function groupsCommand(): Command {
  const cmd = new Command('groups').description('add directory users (members or invites) to groups, or remove them')
  withActionOptions(
    cmd
      .command('add')
      .description('add a user or an invited user to groups')
      .argument('<user>', 'directory user id, or an email (with --connection if it has accounts in several)')
      .argument('<groups...>', 'group names, directory ids or remote ids')
      .option('--connection <connection>', 'connection id, name or remote workspace slug'),
  ).action(async (ref: string, groups: string[], o: Common & { connection?: string }) => {
    await withDirectory(o, async (ctx) => {
      const user = await findUser(ctx, ref, o.connection)
      const connection = await ctx.store.read((q) => findConnection(q, user.connection_id))
      const input = { user_id: user.id, group_ids: await resolveGroups(ctx, connection, groups) }
      await perform(ctx, 'add_to_groups', input, user.email, o)
    })
  })
  withActionOptions(
    cmd
      .command('remove')
      .description('remove a user or an invited user from groups; --all removes a synced member from every group')
      .argument('<user>', 'directory user id, or an email (with --connection if it has accounts in several)')
      .argument('[groups...]', 'group names, directory ids or remote ids')
      .option('--all', 'every group the directory has synced for this member (not for invites)')
      .option('--connection <connection>', 'connection id, name or remote workspace slug'),
  ).action(async (ref: string, groups: string[], o: Common & { connection?: string; all?: boolean }) => {
    if (o.all && groups.length > 0) throw new UsageError('name groups or pass --all, not both')
    if (!o.all && groups.length === 0) throw new UsageError('name at least one group, or pass --all')
    await withDirectory(o, async (ctx) => {
      const user = await findUser(ctx, ref, o.connection)
      if (o.all) return perform(ctx, 'remove_from_all_groups', { user_id: user.id }, user.email, o)
      const connection = await ctx.store.read((q) => findConnection(q, user.connection_id))
      const input = { user_id: user.id, group_ids: await resolveGroups(ctx, connection, groups) }
      return perform(ctx, 'remove_from_groups', input, user.email, o)
    })
  })
  return cmd
}

export function offboardCommand(): Command {
  return withActionOptions(
    new Command('offboard')
      .description('delete a person from every connected workspace: members by id, pending invites by email')
      .argument('<email>', 'the person'),
  ).action(async (email: string, o: Common) => {
    await withDirectory(o, (ctx) => perform(ctx, 'offboard', { email }, email, o))
  })
}

/** A directory user by id, or the live account of an email (in the one connection that has it, or the one named). */
async function findUser(ctx: DirectoryContext, ref: string, connectionRef: string | undefined): Promise<DirUserRow> {
  const byId = await ctx.store.read((q) => q.dirActions.findUser(ref))
  if (byId) return byId
  if (!ref.includes('@')) throw new NotFoundError(`Directory user ${ref}`)
  const connection = connectionRef === undefined ? undefined : await ctx.store.read((q) => findConnection(q, connectionRef))
  const accounts = (await ctx.store.read((q) => q.dirActions.accountsByEmail(emailKey(ref)))).filter(
    (u) => u.status !== 'deleted' && (connection === undefined || u.connection_id === connection.id),
  )
  if (accounts.length > 1) throw new UsageError(`${ref} has accounts in ${accounts.length} connections; name one with --connection`)
  const [account] = accounts
  if (!account) throw new NotFoundError(`A live directory account for ${ref}${connection ? ` in connection ${connection.name}` : ''}`)
  return account
}

/** Group names (as synced), directory ids and remote ids, all resolved to directory ids within the connection. */
async function resolveGroups(ctx: DirectoryContext, connection: ConnectionRow, refs: readonly string[]): Promise<string[]> {
  if (refs.length === 0) return []
  const groups = (await ctx.store.read((q) => q.dirGroups.ofConnection(connection.id))).filter((g) => g.deleted_at === null)
  return refs.map((ref) => {
    const group = groups.find((g) => g.id === ref || g.remote_id === ref) ?? groups.find((g) => g.name === ref)
    if (!group) throw new NotFoundError(`Group ${ref} in connection ${connection.name}`)
    return group.id
  })
}

async function perform<A extends ActionName>(
  ctx: DirectoryContext,
  action: A,
  input: ActionInputs[A],
  subject: string,
  o: Common,
): Promise<void> {
  const result = await runAction(ctx, action, input, { dryRun: o.dryRun === true })
  if (o.json) process.stdout.write(`${jsonLine(result)}\n`)
  else process.stdout.write(screenText(describeResult(result, subject)))
  if (result.status === 'partial' || result.status === 'failed') {
    const { failed, not_attempted, calls } = result.summary
    const parts = result.connections.filter((c) => c.status === 'failed' || c.status === 'partial').length
    throw new ActionFailedError(
      `${action} ${subject}: ${parts} workspace${parts === 1 ? '' : 's'} failed (${failed} of ${calls} calls failed, ${not_attempted} not sent)`,
    )
  }
}

const MARK: Record<string, string> = {
  planned: '~',
  succeeded: 'ok',
  already_done: 'ok',
  failed: 'x',
  not_attempted: '-',
  partial: '!',
  noop: '=',
}

/**
 * The plan or the outcome, one block per workspace: a readable line per call, with the query decoded. Each
 * line is escaped whole for the terminal (names, emails, ids and error messages come from the remotes), so a
 * newline in a value cannot start a line of its own.
 */
export function describeResult(result: ActionResult, subject: string): string {
  const lines: string[] = []
  const verb = result.action.replaceAll('_', ' ')
  const s = result.summary
  if (result.dry_run) lines.push(`${verb} ${subject}: dry run, nothing was sent; ${s.calls} call${s.calls === 1 ? '' : 's'} planned`)
  else
    lines.push(
      `${verb} ${subject}: ${result.status} (${s.succeeded + s.already_done} of ${s.calls} call${s.calls === 1 ? '' : 's'} done, ${s.failed} failed, ${s.not_attempted} not sent)`,
    )
  for (const note of result.notes) lines.push(`  ${note}`)
  for (const part of result.connections) {
    const name = part.connection_name === part.workspace.slug ? part.connection_name : `${part.connection_name} (${part.workspace.slug})`
    lines.push(`${MARK[part.status] ?? '?'} ${name}: ${part.status}${part.error ? `: ${part.error.message}` : ''}`)
    for (const call of result.calls.filter((c) => c.connection_id === part.connection_id)) {
      const query = call.query
        ? `?${Object.entries(call.query)
            .flatMap(([k, values]) => values.map((v, i) => `${k}[${i}]=${v}`))
            .join('&')}`
        : ''
      const body = call.body === null ? '' : ` ${JSON.stringify(call.body)}`
      const outcome = result.dry_run ? '' : ` -> ${call.status ?? '-'} ${call.outcome}${call.error ? `: ${call.error.message}` : ''}`
      lines.push(`    ${MARK[call.outcome] ?? '?'} ${call.method} ${call.path}${query}${body}  (${call.description})${outcome}`)
    }
    for (const noop of part.noops) lines.push(`    = ${noop}`)
  }
  return `${lines.map((line) => oneLine(line)).join('\n')}\n`
}
