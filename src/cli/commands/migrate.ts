import { Command } from 'commander'
import { databaseUrl, dbPath, storeConfig } from '../../config.js'
import { databaseUrlOption, dbOption, jsonOption, type StoreFlags, usage } from '../program.js'
import { output } from '../store.js'

export function migrateCommand(): Command {
  return new Command('migrate')
    .description('apply pending schema migrations (PostgreSQL replicas refuse to start until this has run)')
    .addOption(dbOption())
    .addOption(databaseUrlOption())
    .addOption(jsonOption())
    .action(async (o: StoreFlags & { json?: boolean }) => {
      const url = usage(() => databaseUrl(o.databaseUrl))
      const { migrateStore } = await import('../../store/open.js')
      const applied = await migrateStore(storeConfig({ db: dbPath(o.db), databaseUrl: url }))
      output(o.json, { applied }, applied.length === 0 ? 'The schema is up to date.' : `Applied: ${applied.join(', ')}`)
    })
}
