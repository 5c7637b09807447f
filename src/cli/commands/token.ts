import { Command, Option } from 'commander'
import { NotFoundError } from '../../errors.js'
import { createToken, revokeToken } from '../../iam/operations/workspaces.js'
import type { TokenRole } from '../../store/tables.js'
import { databaseUrlOption, dbOption, jsonOption, type StoreFlags, UsageError } from '../program.js'
import { findWorkspaceByRef, output, withStore } from '../store.js'
import { oneLine } from '../terminal.js'

export function tokenCommand(): Command {
  const cmd = new Command('token').description('create and revoke Public API tokens')
  cmd
    .command('create')
    .description('create a Public API token (the secret is printed once)')
    .requiredOption('--workspace <slug|id>', 'workspace')
    .option('--description <text>', 'what the token is for', 'Created with the gatehouse CLI')
    .addOption(new Option('--role <role>', 'OWNER may do everything; MEMBER may read').choices(['OWNER', 'MEMBER']).default('OWNER'))
    .addOption(dbOption())
    .addOption(databaseUrlOption())
    .addOption(jsonOption())
    .action(async (o: StoreFlags & { workspace: string; description: string; role: TokenRole; json?: boolean }) => {
      if (o.description.length === 0 || o.description.length > 255) throw new UsageError('--description: must be 1 to 255 characters')
      const { token, secret } = await withStore(o, (store) =>
        store.write(async (q) => createToken(q, (await findWorkspaceByRef(q, o.workspace)).id, o.description, o.role)),
      )
      output(
        o.json,
        { token: { id: token.id, description: token.description, role: token.role }, secret },
        `Token ${token.id} (${token.role}), shown once:\n${secret}`,
      )
    })
  cmd
    .command('revoke')
    .description('revoke a token by id')
    .requiredOption('--workspace <slug|id>', 'workspace')
    .requiredOption('--token <id>', 'token id')
    .addOption(dbOption())
    .addOption(databaseUrlOption())
    .addOption(jsonOption())
    .action(async (o: StoreFlags & { workspace: string; token: string; json?: boolean }) => {
      await withStore(o, (store) =>
        store.write(async (q) => {
          const workspace = await findWorkspaceByRef(q, o.workspace)
          if (!(await revokeToken(q, workspace.id, o.token))) throw new NotFoundError(`Active token ${o.token}`)
        }),
      )
      output(o.json, { status: 'SUCCESS', token: { id: o.token } }, `Revoked token ${oneLine(o.token)}.`)
    })
  return cmd
}
