import { writeFileSync } from 'node:fs'
import { Command, Option } from 'commander'
import { NotFoundError } from '../../errors.js'
import { databaseUrlOption, dbOption, type StoreFlags } from '../program.js'
import { withStore } from '../store.js'
import { oneLine } from '../terminal.js'

const SECRETS_NOTE =
  'Token secrets are not in it: the store keeps only their hashes. Give each token a "secret" (sgp_ and 64 letters or digits) to hard-code one, or seeding makes a random one.'

export function exportCommand(): Command {
  return new Command('export')
    .description('write workspaces as a fixture file, for `gatehouse serve --seed` and startGatehouse({ seed })')
    .addOption(
      new Option('--workspace <id|slug>', 'a workspace to export; repeatable')
        .argParser((value: string, previous: string[] | undefined) => [...(previous ?? []), value])
        .makeOptionMandatory(),
    )
    .option('--out <file>', 'write the fixture to this file (default: stdout)')
    .addOption(dbOption())
    .addOption(databaseUrlOption())
    .action(async (o: StoreFlags & { workspace: string[]; out?: string }) => {
      const { exportWorkspace } = await import('../../fixtures/export.js')
      const workspaces = await withStore(o, (store) =>
        store.read(async (q) => {
          const found = []
          for (const ref of o.workspace) {
            const workspace = await exportWorkspace(q, ref)
            if (!workspace) throw new NotFoundError(`Workspace ${ref}`)
            found.push(workspace)
          }
          return found
        }),
      )
      const json = `${JSON.stringify({ workspaces }, null, 2)}\n`
      if (o.out === undefined) process.stdout.write(json)
      else writeFileSync(o.out, json)
      const users = workspaces.reduce((n, w) => n + w.users.length, 0)
      const where = o.out === undefined ? '' : ` to ${oneLine(o.out)}`
      // On stderr: stdout may be the fixture itself.
      process.stderr.write(
        `Exported ${workspaces.map((w) => oneLine(w.slug)).join(', ')} (${users} user${users === 1 ? '' : 's'})${where}. ${SECRETS_NOTE}\n`,
      )
    })
}
