import { Command } from 'commander'
import { ConfigError, databaseUrl, dbPath, storeConfig } from '../../config.js'
import { migrateStore } from '../../store/open.js'
import { dbOption, jsonOption, UsageError } from '../program.js'
import { output } from '../store.js'

export function migrateCommand(): Command {
  return new Command('migrate')
    .description('apply pending schema migrations (PostgreSQL replicas refuse to start until this has run)')
    .addOption(dbOption())
    .option('--database-url <url>', 'PostgreSQL: postgres://user@host:5432/db (env DATABASE_URL)')
    .addOption(jsonOption())
    .action(async (o: { db?: string; databaseUrl?: string; json?: boolean }) => {
      let url: string | undefined
      try {
        url = databaseUrl(o.databaseUrl)
      } catch (error) {
        if (error instanceof ConfigError) throw new UsageError(error.message)
        throw error
      }
      const applied = await migrateStore(storeConfig({ db: dbPath(o.db), databaseUrl: url }))
      output(o.json, { applied }, applied.length === 0 ? 'The schema is up to date.' : `Applied: ${applied.join(', ')}`)
    })
}
