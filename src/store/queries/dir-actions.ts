import type { Kysely, Selectable, Updateable } from 'kysely'
import type { Database, DirGroupTable, DirIdempotencyTable, DirMembershipTable, DirRoleTable, DirUserTable } from '../tables.js'

export type IdempotencyRow = Selectable<DirIdempotencyTable>

/** The status a claimed key holds until its action answers (no HTTP answer has status 0). */
export const IN_FLIGHT = 0

/**
 * What directory actions read and write: idempotency records, and the directory rows an action changes
 * at once from the remote's answer (the sync engine reconciles the rest on its next run).
 */
export function dirActionQueries(db: Kysely<Database>) {
  /** Changes a claim only while `owner` still holds it in flight. */
  async function updateOwnClaim(apiKeyId: string, key: string, owner: string, set: Updateable<DirIdempotencyTable>): Promise<boolean> {
    const res = await db
      .updateTable('dir_idempotency')
      .set(set)
      .where('api_key_id', '=', apiKeyId)
      .where('key', '=', key)
      .where('owner', '=', owner)
      .where('status', '=', IN_FLIGHT)
      .executeTakeFirst()
    return Number(res.numUpdatedRows) > 0
  }

  return {
    // --- idempotency ---
    findIdempotency(apiKeyId: string, key: string): Promise<IdempotencyRow | undefined> {
      return db.selectFrom('dir_idempotency').selectAll().where('api_key_id', '=', apiKeyId).where('key', '=', key).executeTakeFirst()
    },
    /** Claims a key; false when another request holds it already (the primary key decides, across replicas). */
    async claimIdempotency(row: IdempotencyRow): Promise<boolean> {
      const res = await db
        .insertInto('dir_idempotency')
        .values(row)
        .onConflict((oc) => oc.columns(['api_key_id', 'key']).doNothing())
        .executeTakeFirst()
      return Number(res.numInsertedOrUpdatedRows ?? 0) > 0
    },
    /** Stores a claim's answer; false when the claim is no longer `owner`'s (a retry took it over as abandoned). */
    completeIdempotency(apiKeyId: string, key: string, owner: string, status: number, response: string): Promise<boolean> {
      return updateOwnClaim(apiKeyId, key, owner, { status, response })
    },
    /** Refreshes an in-flight claim's heartbeat; false when the claim is no longer `owner`'s, or has its answer. */
    heartbeatIdempotency(apiKeyId: string, key: string, owner: string, at: string): Promise<boolean> {
      return updateOwnClaim(apiKeyId, key, owner, { heartbeat_at: at })
    },
    /** Forgets a key: only while `owner` holds it in flight when an owner is given (else whoever holds it). */
    async releaseIdempotency(apiKeyId: string, key: string, owner?: string): Promise<void> {
      let q = db.deleteFrom('dir_idempotency').where('api_key_id', '=', apiKeyId).where('key', '=', key)
      if (owner !== undefined) q = q.where('owner', '=', owner).where('status', '=', IN_FLIGHT)
      await q.execute()
    },
    /** Forgets records older than `before` (keys are kept for a retention window, not for ever). */
    async purgeIdempotency(before: string): Promise<void> {
      await db.deleteFrom('dir_idempotency').where('created_at', '<', before).execute()
    },

    // --- reads for planning ---
    findUser(id: string): Promise<Selectable<DirUserTable> | undefined> {
      return db.selectFrom('dir_users').selectAll().where('id', '=', id).executeTakeFirst()
    },
    findAccount(connectionId: string, emailKey: string): Promise<Selectable<DirUserTable> | undefined> {
      return db
        .selectFrom('dir_users')
        .selectAll()
        .where('connection_id', '=', connectionId)
        .where('email_key', '=', emailKey)
        .executeTakeFirst()
    },
    /** Every account (any status) of one person, across connections. */
    accountsByEmail(emailKey: string): Promise<Selectable<DirUserTable>[]> {
      return db.selectFrom('dir_users').selectAll().where('email_key', '=', emailKey).orderBy('id').execute()
    },
    findGroup(id: string): Promise<Selectable<DirGroupTable> | undefined> {
      return db.selectFrom('dir_groups').selectAll().where('id', '=', id).executeTakeFirst()
    },
    /** Groups of a connection named by directory id or by remote id. */
    groupsByRef(connectionId: string, refs: readonly string[]): Promise<Selectable<DirGroupTable>[]> {
      if (refs.length === 0) return Promise.resolve([])
      return db
        .selectFrom('dir_groups')
        .selectAll()
        .where('connection_id', '=', connectionId)
        .where((eb) => eb.or([eb('id', 'in', refs), eb('remote_id', 'in', refs)]))
        .execute()
    },
    /** Roles of a connection named by directory id or by remote (Segment) id. */
    rolesByRef(connectionId: string, refs: readonly string[]): Promise<Selectable<DirRoleTable>[]> {
      if (refs.length === 0) return Promise.resolve([])
      return db
        .selectFrom('dir_roles')
        .selectAll()
        .where('connection_id', '=', connectionId)
        .where((eb) => eb.or([eb('id', 'in', refs), eb('remote_id', 'in', refs)]))
        .execute()
    },
    /** The live groups an account is in, by its synced memberships. */
    groupsOfUser(userId: string): Promise<Selectable<DirGroupTable>[]> {
      return db
        .selectFrom('dir_memberships')
        .innerJoin('dir_groups', 'dir_groups.id', 'dir_memberships.group_id')
        .selectAll('dir_groups')
        .where('dir_memberships.user_id', '=', userId)
        .where('dir_groups.deleted_at', 'is', null)
        .orderBy('dir_groups.id')
        .execute()
    },
    findMembership(groupId: string, userId: string): Promise<Selectable<DirMembershipTable> | undefined> {
      return db.selectFrom('dir_memberships').selectAll().where('group_id', '=', groupId).where('user_id', '=', userId).executeTakeFirst()
    },
    membershipsOfUser(userId: string): Promise<Selectable<DirMembershipTable>[]> {
      return db.selectFrom('dir_memberships').selectAll().where('user_id', '=', userId).execute()
    },

    // --- what an action changes ---
    async insertUser(row: Selectable<DirUserTable>): Promise<void> {
      await db.insertInto('dir_users').values(row).execute()
    },
    async updateUser(id: string, changes: Updateable<DirUserTable>): Promise<void> {
      await db.updateTable('dir_users').set(changes).where('id', '=', id).execute()
    },
    async updateGroup(id: string, changes: Updateable<DirGroupTable>): Promise<void> {
      await db.updateTable('dir_groups').set(changes).where('id', '=', id).execute()
    },
    /** False when the membership was there already. */
    async addMembership(row: Selectable<DirMembershipTable>): Promise<boolean> {
      const res = await db
        .insertInto('dir_memberships')
        .values(row)
        .onConflict((oc) => oc.columns(['group_id', 'user_id']).doNothing())
        .executeTakeFirst()
      return Number(res.numInsertedOrUpdatedRows ?? 0) > 0
    },
    /** False when there was no such membership. */
    async removeMembership(groupId: string, userId: string): Promise<boolean> {
      const res = await db.deleteFrom('dir_memberships').where('group_id', '=', groupId).where('user_id', '=', userId).executeTakeFirst()
      return Number(res.numDeletedRows) > 0
    },
  }
}
