import type { Insertable, Kysely, Selectable } from 'kysely'
import type { Database, OutboxStatus, OutboxTable } from '../tables.js'
import { type Rows, type Seek, seekPage } from './page.js'

export type OutboxRow = Selectable<OutboxTable>
/** A row without its sealed body: what lists and the delivery's look-ups read. */
export type OutboxEntry = Omit<OutboxRow, 'body_sealed'>
/** What a claim saw of a message; the claim succeeds only if the message is still so. */
export type ClaimSeen = Pick<OutboxRow, 'id' | 'status' | 'owner' | 'heartbeat_at'>

const ENTRY_COLUMNS = [
  'id',
  'to_address',
  'kind',
  'subject',
  'status',
  'attempts',
  'next_attempt_at',
  'last_error',
  'owner',
  'heartbeat_at',
  'created_at',
  'sent_at',
] as const

/** Messages waiting to be sent, being sent, sent or given up on. */
export function outboxQueries(db: Kysely<Database>) {
  return {
    async insert(row: Insertable<OutboxTable>): Promise<void> {
      await db.insertInto('outbox').values(row).execute()
    },
    find(id: string): Promise<OutboxRow | undefined> {
      return db.selectFrom('outbox').selectAll().where('id', '=', id).executeTakeFirst()
    },
    /** Newest first: `after` a key walks to older messages, `before` to newer ones (ids sort by creation). */
    list(seek: Seek, status?: OutboxStatus): Promise<Rows<OutboxEntry>> {
      let q = db.selectFrom('outbox').select(ENTRY_COLUMNS)
      if (status !== undefined) q = q.where('status', '=', status)
      return seekPage(q, 'id', seek, 'desc')
    },
    async count(status?: OutboxStatus): Promise<number> {
      let q = db.selectFrom('outbox').select((eb) => eb.fn.countAll<number>().as('n'))
      if (status !== undefined) q = q.where('status', '=', status)
      return Number((await q.executeTakeFirstOrThrow()).n)
    },

    // --- delivery ---
    /** Pending messages whose time has come, the longest waiting first. */
    due(now: string, limit: number): Promise<ClaimSeen[]> {
      return db
        .selectFrom('outbox')
        .select(['id', 'status', 'owner', 'heartbeat_at'])
        .where('status', '=', 'pending')
        .where('next_attempt_at', '<=', now)
        .orderBy('next_attempt_at')
        .orderBy('id')
        .limit(limit)
        .execute()
    },
    /** Messages some process claimed: the caller takes over those whose owner is gone. */
    sending(): Promise<ClaimSeen[]> {
      return db
        .selectFrom('outbox')
        .select(['id', 'status', 'owner', 'heartbeat_at'])
        .where('status', '=', 'sending')
        .orderBy('id')
        .execute()
    },
    /**
     * Makes the message `owner`'s to send, counting the attempt, only if it is still as `seen` (pending and
     * due, or held by the same owner with the same heartbeat): of several processes claiming it, one wins.
     */
    async claim(seen: ClaimSeen, owner: string, now: string): Promise<boolean> {
      let q = db
        .updateTable('outbox')
        .set((eb) => ({ status: 'sending', owner, heartbeat_at: now, attempts: eb('attempts', '+', 1) }))
        .where('id', '=', seen.id)
      q =
        seen.status === 'pending'
          ? q.where('status', '=', 'pending').where('next_attempt_at', '<=', now)
          : q
              .where('status', '=', 'sending')
              .where('owner', seen.owner === null ? 'is' : '=', seen.owner)
              .where('heartbeat_at', seen.heartbeat_at === null ? 'is' : '=', seen.heartbeat_at)
      const res = await q.executeTakeFirst()
      return Number(res.numUpdatedRows) === 1
    },
    /** Refreshes the owner's claims; false when a message is no longer the owner's. */
    async heartbeat(id: string, owner: string, now: string): Promise<boolean> {
      const res = await db
        .updateTable('outbox')
        .set({ heartbeat_at: now })
        .where('id', '=', id)
        .where('owner', '=', owner)
        .where('status', '=', 'sending')
        .executeTakeFirst()
      return Number(res.numUpdatedRows) === 1
    },
    /** Ends the owner's claim: sent, or back to pending (a retry at `next_attempt_at`), or failed for good. */
    async settle(
      id: string,
      owner: string,
      outcome: { status: 'sent'; sent_at: string } | { status: 'pending' | 'failed'; next_attempt_at: string; last_error: string },
    ): Promise<boolean> {
      const res = await db
        .updateTable('outbox')
        .set({ ...outcome, owner: null, heartbeat_at: null })
        .where('id', '=', id)
        .where('owner', '=', owner)
        .where('status', '=', 'sending')
        .executeTakeFirst()
      return Number(res.numUpdatedRows) === 1
    },
    /** A failed message goes back to pending, due now, with a fresh round of attempts; false when not failed. */
    async retry(id: string, now: string): Promise<boolean> {
      const res = await db
        .updateTable('outbox')
        .set({ status: 'pending', attempts: 0, next_attempt_at: now })
        .where('id', '=', id)
        .where('status', '=', 'failed')
        .executeTakeFirst()
      return Number(res.numUpdatedRows) === 1
    },
    /** Pending messages created at or after `since`, newest first (the announcer's look at what is new). */
    pendingSince(since: string, limit: number): Promise<OutboxEntry[]> {
      return db
        .selectFrom('outbox')
        .select(ENTRY_COLUMNS)
        .where('status', '=', 'pending')
        .where('created_at', '>=', since)
        .orderBy('created_at', 'desc')
        .orderBy('id', 'desc')
        .limit(limit)
        .execute()
    },
    /** Deletes messages created before `before`, but none being sent; returns how many. */
    async purge(before: string): Promise<number> {
      const res = await db.deleteFrom('outbox').where('created_at', '<', before).where('status', '!=', 'sending').executeTakeFirst()
      return Number(res.numDeletedRows)
    },
  }
}
