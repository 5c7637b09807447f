import {
  AuditTrailApi,
  configureApis,
  IAMGroupsApi,
  IAMRolesApi,
  IAMUsersApi,
  LabelsApi,
  PermissionResourceV1,
  ResourceV1,
  WorkspacesApi,
} from '@segment/public-api-sdk-typescript'
import { expect } from 'vitest'
import type { Gatehouse, SeededWorkspace } from './gatehouse.js'

/** The six IAM API objects of the official SDK, pointed at one Gatehouse with one token. */
export interface IamSdk {
  workspaces: WorkspacesApi
  iamRoles: IAMRolesApi
  iamUsers: IAMUsersApi
  iamGroups: IAMGroupsApi
  labels: LabelsApi
  auditTrail: AuditTrailApi
}

/**
 * Builds the client the way Segment's README does (`configureApis(token)`), then points every API
 * object at Gatehouse: `configureApis` hard-codes api.segmentapis.com.
 */
export function sdkFor(baseUrl: string, token: string): IamSdk {
  const { workspaces, iamRoles, iamUsers, iamGroups, labels, auditTrail } = configureApis(token)
  const sdk: IamSdk = { workspaces, iamRoles, iamUsers, iamGroups, labels, auditTrail }
  for (const api of Object.values(sdk)) api.basePath = baseUrl
  return sdk
}

/** The same client built class by class, without `configureApis` (so no User-Agent header). */
export function sdkFromClasses(baseUrl: string, token: string): IamSdk {
  const sdk: IamSdk = {
    workspaces: new WorkspacesApi(baseUrl),
    iamRoles: new IAMRolesApi(baseUrl),
    iamUsers: new IAMUsersApi(baseUrl),
    iamGroups: new IAMGroupsApi(baseUrl),
    labels: new LabelsApi(baseUrl),
    auditTrail: new AuditTrailApi(baseUrl),
  }
  for (const api of Object.values(sdk)) api.accessToken = token
  return sdk
}

/** A fresh workspace of `gh` with these emails added as members, and an SDK client with its owner's token. */
export async function workspaceWithSdk(
  gh: Gatehouse,
  emails: string[] = [],
): Promise<{ ws: SeededWorkspace; sdk: IamSdk; users: { id: string; email: string }[] }> {
  const ws = await gh.workspace()
  const users = emails.length > 0 ? await gh.addUsers(ws, emails) : []
  return { ws, sdk: sdkFor(gh.url, ws.token), users }
}

/** A WORKSPACE resource of the given workspace, typed as the SDK wants it. */
export function workspaceResource(workspaceId: string): PermissionResourceV1 {
  return { id: workspaceId, type: PermissionResourceV1.TypeEnum.WORKSPACE }
}

/** A resource of another type (`FUNCTION`, `SOURCE`…), typed as the SDK wants it. */
export function resourceOf(type: keyof typeof PermissionResourceV1.TypeEnum, id: string): PermissionResourceV1 {
  return { id, type: PermissionResourceV1.TypeEnum[type] }
}

export function inviteWorkspaceResource(workspaceId: string): ResourceV1 {
  return { id: workspaceId, type: ResourceV1.TypeEnum.WORKSPACE }
}

/** What `unwrap` rethrows on failure: the first entry of Gatehouse's `{"errors":[…]}` envelope. */
export interface WireError {
  type: string
  message: string
  status: number
  field?: string
  data?: unknown
}

/**
 * Awaits a promise that must reject and returns what it rejected with, after checking that it is
 * our plain error object (not an `Error`, not a TypeError from a malformed error body).
 */
export async function rejectionOf(promise: Promise<unknown>): Promise<WireError> {
  let outcome: { rejected: true; reason: unknown } | { rejected: false; value: unknown }
  try {
    outcome = { rejected: false, value: await promise }
  } catch (reason) {
    outcome = { rejected: true, reason }
  }
  if (!outcome.rejected) throw new Error(`expected a rejection, got ${JSON.stringify(outcome.value)}`)
  const reason = outcome.reason
  expect(reason).not.toBeInstanceOf(Error)
  expect(reason).toEqual(expect.objectContaining({ type: expect.any(String), message: expect.any(String), status: expect.any(Number) }))
  return reason as WireError
}

/** The fields every pagination block the SDK reads must carry. */
export function expectPaginationOutput(pagination: unknown, totalEntries?: number): void {
  expect(pagination).toEqual(
    expect.objectContaining({
      current: expect.any(String),
      ...(totalEntries === undefined ? {} : { totalEntries }),
    }),
  )
  const p = pagination as { next?: unknown; previous?: unknown }
  for (const cursor of [p.next, p.previous]) if (cursor !== undefined && cursor !== null) expect(typeof cursor).toBe('string')
}

export const WORKSPACE_OWNER = '1WDUuRLxv84rrfCNUwvkrRtkxnS'
export const MINIMAL_WORKSPACE_ACCESS = '1aEWAcU0fArxScocwH9xxLgW7r3'
