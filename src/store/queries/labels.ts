import type { Kysely } from 'kysely'
import type { Database, LabelTable } from '../tables.js'

export type LabelRow = LabelTable

export function labelQueries(db: Kysely<Database>) {
  return {
    list(workspaceId: string): Promise<LabelRow[]> {
      return db
        .selectFrom('labels')
        .selectAll()
        .where('workspace_id', '=', workspaceId)
        .orderBy('created_at')
        .orderBy('key')
        .orderBy('value')
        .execute()
    },
    find(workspaceId: string, key: string, value: string): Promise<LabelRow | undefined> {
      return db
        .selectFrom('labels')
        .selectAll()
        .where('workspace_id', '=', workspaceId)
        .where('key', '=', key)
        .where('value', '=', value)
        .executeTakeFirst()
    },
    async insertMany(rows: LabelRow[]): Promise<void> {
      await db.insertInto('labels').values(rows).execute()
    },
    async delete(workspaceId: string, key: string, value: string): Promise<void> {
      await db.deleteFrom('labels').where('workspace_id', '=', workspaceId).where('key', '=', key).where('value', '=', value).execute()
    },
  }
}
