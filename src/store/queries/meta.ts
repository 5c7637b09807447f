import type { Kysely } from 'kysely'
import type { Database } from '../tables.js'

/** Small per-database settings (the cursor secret, the key check value). */
export function metaQueries(db: Kysely<Database>) {
  return {
    async get(key: string): Promise<string | undefined> {
      return (await db.selectFrom('meta').select('value').where('key', '=', key).executeTakeFirst())?.value
    },
    async set(key: string, value: string): Promise<void> {
      await db
        .insertInto('meta')
        .values({ key, value })
        .onConflict((oc) => oc.column('key').doUpdateSet({ value }))
        .execute()
    },
  }
}
