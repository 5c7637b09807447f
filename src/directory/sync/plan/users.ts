import { emailKey } from '../../../email.js'
import type { DirUserRow } from '../../../store/queries/dir-users.js'
import type { DirUserTable } from '../../../store/tables.js'
import type { UnifiedUserRole } from '../../schemas/unified.js'
import { canonicalJson, userFingerprint } from '../fingerprint.js'
import type { RemotePermission, RemoteSnapshot } from '../remote.js'
import { emptyTally, lastSeenBefore, type PlanContext, type RowUpdate, type Tally } from './context.js'

/** An account created, rewritten, or back from a tombstone. */
export interface UserChange {
  type: 'user.created' | 'user.updated' | 'user.reactivated'
  after: DirUserRow
  before?: DirUserRow
}

export interface UsersPlan {
  insert: DirUserRow[]
  update: RowUpdate<DirUserTable>[]
  tally: Tally
  /** Created, rewritten and reactivated accounts, members first, in the remote's list order. */
  changes: UserChange[]
  /** Accounts marked deleted, as they stand after the run. */
  deleted: DirUserRow[]
  /** Directory user ids the drift guard held back instead of marking deleted. */
  held: string[]
  /** Every account row as it stands after the run, by email key. */
  after: ReadonlyMap<string, DirUserRow>
}

type AccountFields = Pick<DirUserRow, 'remote_id' | 'email' | 'name' | 'status'>
/** An account's fields as the remote has them, roles and remote data as canonical JSON: ready to store. */
type Account = AccountFields & Pick<DirUserRow, 'roles' | 'remote_data' | 'fingerprint'>

function directRoles(permissions: readonly RemotePermission[] | undefined): UnifiedUserRole[] {
  return (permissions ?? []).map((p) => ({ id: p.roleId, name: p.roleName, resources: p.resources, via: 'direct' as const }))
}

function account(fields: AccountFields, roles: UnifiedUserRole[], remoteData: object): Account {
  const stored = { ...fields, roles: canonicalJson(roles), remote_data: canonicalJson(remoteData) }
  return { ...stored, fingerprint: userFingerprint(stored) }
}

/**
 * The accounts the remote lists, by email key: members, then invites. A member who is still listed as
 * invited (an accepted invite lingering) is a member. Actions build the accounts they create with it too.
 */
export function remoteAccounts(snapshot: Pick<RemoteSnapshot, 'users' | 'invites'>): Map<string, Account> {
  type Listed = { fields: AccountFields; roles: UnifiedUserRole[]; remoteData: { user?: unknown; invite?: string } }
  const listed = new Map<string, Listed>()
  for (const user of snapshot.users) {
    const key = emailKey(user.email)
    if (listed.has(key)) continue
    const fields = { remote_id: user.id, email: user.email, name: user.name ?? null, status: 'active' as const }
    listed.set(key, { fields, roles: directRoles(user.permissions), remoteData: { user } })
  }
  for (const email of snapshot.invites) {
    const known = listed.get(emailKey(email))
    if (known) known.remoteData = { ...known.remoteData, invite: email }
    else
      listed.set(emailKey(email), {
        fields: { remote_id: null, email, name: null, status: 'invited' },
        roles: [],
        remoteData: { invite: email },
      })
  }
  return new Map([...listed].map(([key, a]) => [key, account(a.fields, a.roles, a.remoteData)]))
}

/**
 * The account rows to write so the store matches the remote's members and invites. Accounts are keyed by
 * email key within the connection, so an invite that becomes a member keeps its row and id; a row is
 * rewritten only when its fingerprint changes. Accounts an action touched mid-run are left alone.
 */
export function planUsers(
  at: PlanContext,
  existing: readonly DirUserRow[],
  snapshot: Pick<RemoteSnapshot, 'users' | 'invites' | 'incomplete'>,
  driftThreshold: number,
): UsersPlan {
  const accounts = remoteAccounts(snapshot)
  const after = new Map(existing.map((u) => [u.email_key, u]))
  const plan: UsersPlan = {
    insert: [],
    update: [],
    tally: { ...emptyTally(), seen: accounts.size },
    changes: [],
    deleted: [],
    held: [],
    after,
  }
  const stored = new Map(after)
  const usersComplete = !snapshot.incomplete.includes('/users')
  for (const [key, want] of accounts) {
    const row = stored.get(key)
    if (!row) {
      const { remote_id, email, name, status, roles, remote_data, fingerprint } = want
      const fresh = { first_seen_at: at.now, last_seen_at: at.now, last_changed_at: at.now, deleted_at: null }
      const inserted: DirUserRow = {
        id: at.newId(),
        connection_id: at.connectionId,
        remote_id,
        email,
        email_key: key,
        name,
        status,
        roles,
        remote_data,
        fingerprint,
        ...fresh,
      }
      plan.insert.push(inserted)
      after.set(key, inserted)
      plan.changes.push({ type: 'user.created', after: inserted })
      plan.tally.created++
      continue
    }
    if (at.touched.has(row.id) || (row.fingerprint === want.fingerprint && row.status !== 'deleted')) continue
    // A short users list cannot prove a member became a mere invite.
    if (!usersComplete && row.status === 'active' && want.status === 'invited') continue
    const changes = { ...want, last_seen_at: at.now, last_changed_at: at.now, deleted_at: null }
    const rewritten: DirUserRow = { ...row, ...changes }
    plan.update.push({ id: row.id, changes })
    after.set(key, rewritten)
    plan.changes.push({ type: row.status === 'deleted' ? 'user.reactivated' : 'user.updated', after: rewritten, before: row })
    plan.tally.updated++
  }
  const missing = missingAccounts(at, existing, accounts, driftThreshold)
  plan.held = missing.held.map((u) => u.id)
  for (const row of missing.remove) {
    const dead = tombstone(row, at.now, at.lastCompleteSyncAt)
    plan.update.push({ id: row.id, changes: dead.changes })
    after.set(row.email_key, dead.row)
    plan.deleted.push(dead.row)
    plan.tally.removed++
  }
  return plan
}

/**
 * The live accounts a complete run did not find, to remove, or all held back by the drift guard when they
 * are too large a share of the live accounts (an approval applies them later; see approveRun).
 */
export function missingAccounts(
  at: Pick<PlanContext, 'complete' | 'touched'>,
  existing: readonly DirUserRow[],
  listed: ReadonlyMap<string, unknown>,
  driftThreshold: number,
): { remove: DirUserRow[]; held: DirUserRow[] } {
  if (!at.complete) return { remove: [], held: [] }
  const live = existing.filter((u) => u.status !== 'deleted')
  const missing = live.filter((u) => !listed.has(u.email_key) && !at.touched.has(u.id))
  return missing.length > driftThreshold * live.length ? { remove: [], held: missing } : { remove: missing, held: [] }
}

/** A user marked deleted: kept as a tombstone so the feed can report a later return as `user.reactivated`. */
export function tombstone(
  row: DirUserRow,
  now: string,
  lastCompleteSyncAt: string | null,
): { row: DirUserRow; changes: RowUpdate<DirUserTable>['changes'] } {
  const changes = {
    status: 'deleted' as const,
    deleted_at: now,
    last_changed_at: now,
    last_seen_at: lastSeenBefore(row.last_seen_at, lastCompleteSyncAt),
    fingerprint: userFingerprint({ ...row, status: 'deleted' }),
  }
  return { row: { ...row, ...changes }, changes }
}
