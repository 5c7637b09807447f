import Database from 'better-sqlite3'
import pg from 'pg'
import { TEST_DATABASE_URL } from '../helpers/postgres.js'

/**
 * Reads a Gatehouse store from outside the server, after the server process is gone: the engine's own
 * integrity checks, and invariants that hold between tables whatever operation was cut short.
 */
export interface StoreProbe {
  /** Problems the engine's own checks found (empty when clean), and a note when a check could not run. */
  engineCheck(): Promise<{ problems: string[]; note?: string }>
  /** Every invariant that does not hold, with how many rows break it. */
  brokenInvariants(): Promise<string[]>
}

/**
 * Each query counts the rows that break one invariant (dialect-neutral SQL). Counts live in columns moved
 * by deltas, and permissions point at their subject without a foreign key: a half-applied change shows here.
 */
const INVARIANTS: { name: string; sql: string }[] = [
  {
    name: 'workspaces.user_count equals its users',
    sql: 'select count(*) as n from workspaces w where w.user_count <> (select count(*) from users u where u.workspace_id = w.id)',
  },
  {
    name: 'workspaces.invite_count equals its invites',
    sql: 'select count(*) as n from workspaces w where w.invite_count <> (select count(*) from invites i where i.workspace_id = w.id)',
  },
  {
    name: 'workspaces.group_count equals its groups',
    sql: 'select count(*) as n from workspaces w where w.group_count <> (select count(*) from user_groups g where g.workspace_id = w.id)',
  },
  {
    name: 'user_groups.member_count equals its members',
    sql: 'select count(*) as n from user_groups g where g.member_count <> (select count(*) from group_members m where m.group_id = g.id)',
  },
  {
    name: 'user_groups.invite_count equals its invites',
    sql: 'select count(*) as n from user_groups g where g.invite_count <> (select count(*) from group_invites m where m.group_id = g.id)',
  },
  {
    name: 'every permission has its subject',
    sql: `select count(*) as n from permissions p where
            (p.subject_type = 'user' and not exists (select 1 from users u where u.id = p.subject_id)) or
            (p.subject_type = 'invite' and not exists (select 1 from invites i where i.id = p.subject_id)) or
            (p.subject_type = 'group' and not exists (select 1 from user_groups g where g.id = p.subject_id))`,
  },
  {
    name: 'a deleted directory account has no memberships',
    sql: "select count(*) as n from dir_memberships m join dir_users u on u.id = m.user_id where u.status = 'deleted'",
  },
  {
    name: 'at most one running sync per connection',
    sql: "select count(*) as n from (select connection_id from dir_sync_runs where state = 'running' group by connection_id having count(*) > 1) r",
  },
]

async function collect(count: (sql: string) => Promise<number>): Promise<string[]> {
  const broken: string[] = []
  for (const { name, sql } of INVARIANTS) {
    const n = await count(sql)
    if (n !== 0) broken.push(`${name}: ${n} row(s) break it`)
  }
  return broken
}

/** Opens the SQLite file for each check and closes it after, so the next server finds the file as it was left. */
export function sqliteProbe(file: string): StoreProbe {
  const withDb = async <T>(work: (db: Database.Database) => T | Promise<T>): Promise<T> => {
    const db = new Database(file)
    try {
      return await work(db)
    } finally {
      db.close()
    }
  }
  return {
    engineCheck() {
      return withDb((db) => {
        const integrity = (db.pragma('integrity_check') as { integrity_check: string }[]).map((r) => r.integrity_check)
        const foreignKeys = db.pragma('foreign_key_check') as { table: string; parent: string }[]
        return {
          problems: [
            ...(integrity.length === 1 && integrity[0] === 'ok' ? [] : integrity.map((line) => `integrity_check: ${line}`)),
            ...foreignKeys.map((fk) => `foreign_key_check: a row of ${fk.table} points at a missing ${fk.parent}`),
          ],
        }
      })
    },
    brokenInvariants() {
      return withDb((db) => collect(async (sql) => Number((db.prepare(sql).get() as { n: number }).n)))
    },
  }
}

/**
 * PostgreSQL keeps its own files consistent across a client's death; what can still be checked from
 * outside is that it answers, and its B-tree indexes with amcheck (`bt_index_check`, heap included) when
 * the extension can be installed.
 */
export function postgresProbe(schema: string): StoreProbe {
  const withClient = async <T>(work: (client: pg.Client) => Promise<T>): Promise<T> => {
    const client = new pg.Client({ connectionString: TEST_DATABASE_URL, options: `-c search_path=${schema}` })
    await client.connect()
    try {
      return await work(client)
    } finally {
      await client.end()
    }
  }
  return {
    engineCheck: () =>
      withClient(async (client) => {
        const problems: string[] = []
        const one = await client.query('select 1 as one')
        if (one.rows[0]?.one !== 1) problems.push('select 1 did not answer 1')
        try {
          await client.query('create extension if not exists amcheck with schema public')
        } catch (error) {
          return { problems, note: `amcheck not run: the extension cannot be installed here (${(error as Error).message})` }
        }
        const indexes = await client.query<{ name: string; oid: number }>(
          `select c.relname as name, c.oid as oid from pg_index i
             join pg_class c on c.oid = i.indexrelid
             join pg_namespace n on n.oid = c.relnamespace
             join pg_am a on a.oid = c.relam
           where n.nspname = $1 and a.amname = 'btree'`,
          [schema],
        )
        for (const index of indexes.rows) {
          try {
            await client.query('select public.bt_index_check($1::regclass, true)', [index.oid])
          } catch (error) {
            problems.push(`bt_index_check(${index.name}): ${(error as Error).message}`)
          }
        }
        if (indexes.rows.length === 0) problems.push(`no B-tree index found in schema ${schema}`)
        return { problems }
      }),
    brokenInvariants: () => withClient((client) => collect(async (sql) => Number((await client.query(sql)).rows[0]?.n))),
  }
}
