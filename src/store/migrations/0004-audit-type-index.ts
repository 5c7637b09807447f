import type { Kysely, Migration } from 'kysely'

/** `listAuditEvents?resourceType=…` seeks by type within the workspace instead of filtering a time range. */
export const auditTypeIndexMigration: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createIndex('audit_events_type')
      .on('audit_events')
      .columns(['workspace_id', 'resource_type', 'timestamp', 'id'])
      .execute()
  },
}
