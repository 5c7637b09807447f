import type { ConnectionRow } from '../../store/queries/connections.js'
import { RemoteError, type SegmentClient } from '../connectors/segment.js'

/**
 * The remote's newest audit event as `timestamp|id` (`empty` for an empty trail), or null when the token
 * cannot read the trail (not a Workspace Owner token, or a plan without it): then every run reads in full.
 */
export async function readAuditWatermark(client: SegmentClient): Promise<string | null> {
  try {
    const body = await client.request<{ data?: { events?: { id: string; timestamp: string }[] } }>({
      method: 'GET',
      path: '/audit-events',
      query: { 'pagination[count]': 1 },
    })
    const newest = body?.data?.events?.[0]
    return newest ? `${newest.timestamp}|${newest.id}` : 'empty'
  } catch (error) {
    if (error instanceof RemoteError && error.status >= 400 && error.status < 500) return null
    throw error
  }
}

export interface LiveCounts {
  active: number
  invited: number
  groups: number
}

/**
 * Whether a run may skip the full read: every change to a workspace's access writes an audit event, so an
 * unchanged newest event since the last complete full read means nothing changed. Two guards keep this
 * from trusting the trail blindly: the remote's list totals must still equal the directory's live counts
 * (one request per list, count 1), and a full read still runs at least every `fullSyncEveryMs`.
 */
export async function isUnchanged(
  client: SegmentClient,
  connection: Pick<ConnectionRow, 'audit_watermark' | 'last_full_sync_at' | 'groups_supported'>,
  watermark: string | null,
  live: () => Promise<LiveCounts>,
  options: { now: number; fullSyncEveryMs: number },
): Promise<boolean> {
  if (watermark === null || connection.audit_watermark !== watermark || connection.last_full_sync_at === null) return false
  if (Date.parse(connection.last_full_sync_at) <= options.now - options.fullSyncEveryMs) return false
  const total = async (path: string) => {
    const body = await client.request<{ data?: { pagination?: { totalEntries?: number } } }>({
      method: 'GET',
      path,
      query: { 'pagination[count]': 1 },
    })
    return body?.data?.pagination?.totalEntries // a remote that omits it cannot vouch for its totals
  }
  const counts = await live()
  const [users, invites, groups] = await Promise.all([
    total('/users'),
    total('/invites'),
    connection.groups_supported ? total('/groups') : Promise.resolve(counts.groups),
  ])
  return users === counts.active && invites === counts.invited && groups === counts.groups
}
