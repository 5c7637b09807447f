import type { Kysely } from 'kysely'
import { type Clock, systemClock } from '../../clock.js'
import type { EngineTraits } from '../store.js'
import type { Database } from '../tables.js'
import { accountSearchQueries } from './account-search.js'
import { accountQueries } from './accounts.js'
import { auditQueries } from './audit.js'
import { codeQueries } from './codes.js'
import { apiKeyQueries, connectionQueries } from './connections.js'
import { dirActionQueries } from './dir-actions.js'
import { dirEventQueries } from './dir-events.js'
import { dirGroupQueries } from './dir-groups.js'
import { dirRoleQueries } from './dir-roles.js'
import { dirRunQueries } from './dir-runs.js'
import { dirUserQueries } from './dir-users.js'
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

/**
 * `engine`: what the dialect does its own way (src/store/dialects). `clock`: the server's, so whatever decides by
 * time inside a read or a transaction asks `q.clock`.
 */
export function createQueries(db: Kysely<Database>, engine: EngineTraits, clock: Clock = systemClock) {
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
    dirUsers: dirUserQueries(db),
    dirGroups: dirGroupQueries(db),
    dirRoles: dirRoleQueries(db),
    dirRuns: dirRunQueries(db),
    dirEvents: dirEventQueries(db, engine),
    dirActions: dirActionQueries(db),
    meta: metaQueries(db),
    emulator: emulatorQueries(db, engine),
    outbox: outboxQueries(db),
    accounts: accountQueries(db),
    accountSearch: accountSearchQueries(db),
    mfa: mfaQueries(db),
    codes: codeQueries(db),
  }
}

export type Queries = ReturnType<typeof createQueries>
