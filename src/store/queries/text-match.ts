import { type Expression, type SqlBool, sql } from 'kysely'

/** A LIKE pattern for "contains, any case": `%`, `_` and the escape character itself match literally. */
export function containsPattern(text: string): string {
  return `%${text.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`
}

/** Case-insensitive LIKE with `\` as the escape character, the same on SQLite and PostgreSQL. */
export function likeCi(column: Expression<unknown>, pattern: string): Expression<SqlBool> {
  return sql<SqlBool>`lower(${column}) like ${pattern} escape '\\'`
}
