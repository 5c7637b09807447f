import { Command } from 'commander'
import { OPERATOR } from '../../iam/audit.js'
import { addMembers } from '../../iam/operations/members.js'
import { databaseUrlOption, dbOption, jsonOption, type StoreFlags, UsageError } from '../program.js'
import { findWorkspaceByRef, output, withStore } from '../store.js'
import { oneLine } from '../terminal.js'
import { isEmail } from '../validate.js'

export function userCommand(): Command {
  const cmd = new Command('user').description('manage workspace members')
  cmd
    .command('add')
    .description('make an email a member of a workspace at once (accepts a pending invite)')
    .requiredOption('--workspace <slug|id>', 'workspace')
    .requiredOption('--email <email>', 'email address')
    .option('--name <name>', 'display name', '')
    .addOption(dbOption())
    .addOption(databaseUrlOption())
    .addOption(jsonOption())
    .action(async (o: StoreFlags & { workspace: string; email: string; name: string; json?: boolean }) => {
      if (!isEmail(o.email)) throw new UsageError(`--email: ${o.email} is not an email address`)
      const [user] = await withStore(o, (store) =>
        store.write(async (q) =>
          addMembers(q, (await findWorkspaceByRef(q, o.workspace)).id, [{ email: o.email, name: o.name }], OPERATOR),
        ),
      )
      if (!user) throw new Error('no user was added')
      output(o.json, { user: { id: user.id, email: user.email, name: user.name } }, `User ${oneLine(user.email)} (${user.id}) is a member.`)
    })
  return cmd
}
