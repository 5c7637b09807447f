import type { Kysely } from 'kysely'
import { type Clock, systemClock } from '../../clock.js'
import type { Database } from '../tables.js'
import { accountSearchQueries } from './account-search.js'
import { accountQueries } from './accounts.js'
import { auditQueries } from './audit.js'
import { codeQueries } from './codes.js'
import { apiKeyQueries, connectionQueries } from './connections.js'
import { dirActionQueries } from './dir-actions.js'
import { dirReadQueries } from './dir-read.js'
import { dirSyncQueries } from './dir-sync.js'
import { emulatorQueries } from './emulator.js'
import { groupSearchQueries } from './group-search.js'
import { groupQueries } from './groups.js'
import { inviteLinkQueries } from './invite-links.js'
import { labelQueries } from './labels.js'
import { inviteQueries, userQueries } from './members.js'
import { metaQueries } from './meta.js'
import { mfaQueries } from './mfa.js'
import { outboxQueries } from './outbox.js'
import { permissionQueries } from './permissions.js'
import { tokenQueries, workspaceQueries } from './workspaces.js'

/** `clock`: the server's, so whatever decides by time inside a read or a transaction asks `q.clock`. */
export function createQueries(db: Kysely<Database>, clock: Clock = systemClock) {
  return {
    clock,
    workspaces: workspaceQueries(db),
    tokens: tokenQueries(db),
    users: userQueries(db),
    invites: inviteQueries(db),
    inviteLinks: inviteLinkQueries(db),
    groups: groupQueries(db),
    groupSearch: groupSearchQueries(db),
    permissions: permissionQueries(db),
    labels: labelQueries(db),
    audit: auditQueries(db),
    connections: connectionQueries(db),
    apiKeys: apiKeyQueries(db),
    dirRead: dirReadQueries(db),
    dirSync: dirSyncQueries(db),
    dirActions: dirActionQueries(db),
    meta: metaQueries(db),
    emulator: emulatorQueries(db),
    outbox: outboxQueries(db),
    accounts: accountQueries(db),
    accountSearch: accountSearchQueries(db),
    mfa: mfaQueries(db),
    codes: codeQueries(db),
  }
}

export type Queries = ReturnType<typeof createQueries>
