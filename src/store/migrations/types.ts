import { type RawBuilder, sql } from 'kysely'
import type { Dialect } from './index.js'

/**
 * Keys (ids, foreign keys, seek timestamps) compare bytewise on both engines: SQLite's default BINARY
 * collation, and "C" on PostgreSQL whatever the database's locale, so keyset order is creation order.
 */
export function keyType(dialect: Dialect): 'text' | RawBuilder<unknown> {
  return dialect === 'postgres' ? sql`text collate "C"` : 'text'
}
