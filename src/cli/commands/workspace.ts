import { Command, Option } from 'commander'
import { emailKey } from '../../email.js'
import { createWorkspace, SLUG_PATTERN } from '../../iam/operations/workspaces.js'
import { allPages } from '../../store/queries/page.js'
import type { Plan } from '../../store/tables.js'
import { databaseUrlOption, dbOption, jsonOption, type StoreFlags, UsageError } from '../program.js'
import { output, withStore } from '../store.js'
import { oneLine } from '../terminal.js'
import { isEmail } from '../validate.js'

export function workspaceCommand(): Command {
  const cmd = new Command('workspace').description('create and list workspaces')
  cmd
    .command('create')
    .description('create a workspace with its owner and an OWNER token (printed once)')
    .requiredOption('--name <name>', 'display name')
    .requiredOption('--slug <slug>', 'unique slug: lower-case letters, digits, hyphens')
    .requiredOption('--owner-email <email>', 'email of the Workspace Owner')
    .option('--owner-name <name>', 'name of the Workspace Owner')
    .addOption(new Option('--plan <plan>', 'plan').choices(['business', 'team', 'free']).default('business'))
    .addOption(dbOption())
    .addOption(databaseUrlOption())
    .addOption(jsonOption())
    .action(
      async (
        o: StoreFlags & {
          name: string
          slug: string
          ownerEmail: string
          ownerName?: string
          plan: Plan
          json?: boolean
        },
      ) => {
        if (!isEmail(o.ownerEmail)) throw new UsageError(`--owner-email: ${o.ownerEmail} is not an email address`)
        // The operator API's limits, checked before the store opens: a bad argument exits 2 and names the flag.
        if (o.name.length === 0 || o.name.length > 255) throw new UsageError('--name: must be 1 to 255 characters')
        if (!SLUG_PATTERN.test(o.slug))
          throw new UsageError(`--slug: ${o.slug} is not a slug (lower-case letters, digits and inner hyphens, 1-100 characters)`)
        const created = await withStore(o, (store) =>
          store.write((q) =>
            createWorkspace(q, {
              name: o.name,
              slug: o.slug,
              ownerEmail: o.ownerEmail,
              plan: o.plan,
              ...(o.ownerName ? { ownerName: o.ownerName } : {}),
            }),
          ),
        )
        output(
          o.json,
          {
            workspace: { id: created.workspace.id, slug: created.workspace.slug, name: created.workspace.name },
            token: created.token,
            owner: created.owner,
          },
          `Created workspace ${oneLine(created.workspace.slug)} (${created.workspace.id}), owner ${oneLine(emailKey(created.owner.email))}.\nPublic API token (shown once): ${created.token}`,
        )
      },
    )
  cmd
    .command('list')
    .description('list every workspace')
    .addOption(dbOption())
    .addOption(databaseUrlOption())
    .addOption(jsonOption())
    .action(async (o: StoreFlags & { json?: boolean }) => {
      const all = await withStore(o, (store) =>
        allPages(
          (seek) => store.read((q) => q.workspaces.list(seek)),
          (w) => [w.id],
        ),
      )
      const workspaces = all.map(({ id, slug, name, plan }) => ({ id, slug, name, plan }))
      output(
        o.json,
        { workspaces },
        workspaces.length === 0
          ? 'No workspaces.'
          : workspaces.map((w) => [w.slug, w.id, w.plan, w.name].map((field) => oneLine(field)).join('\t')).join('\n'),
      )
    })
  return cmd
}
