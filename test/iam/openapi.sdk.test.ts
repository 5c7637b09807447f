import { existsSync, readFileSync } from 'node:fs'
import type { IncomingMessage } from 'node:http'
import { join } from 'node:path'
import { gunzipSync } from 'node:zlib'
import { type HttpError, unwrap } from '@segment/public-api-sdk-typescript'
import Ajv from 'ajv'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { type Gatehouse, startGatehouse } from '../helpers/gatehouse.js'
import { MINIMAL_WORKSPACE_ACCESS, resourceOf, sdkFor, workspaceResource } from '../helpers/sdk.js'

/** Segment's own OpenAPI document (32.0.5), kept beside the repo in ../shared/reference, never copied in. */
const SPEC = join(process.cwd(), '..', 'shared', 'reference', 'segment-public-api-32.0.5.openapi.yaml.gz')

interface Operation {
  operationId?: string
  responses: Record<string, { content?: Record<string, { schema?: { $ref?: string } }> }>
}

interface Spec {
  paths: Record<string, Record<string, Operation>>
  components: { schemas: Record<string, unknown> }
}

/** Validates wire bodies against the schemas Segment declares for each operation's responses. */
class SpecChecker {
  private readonly ajv = new Ajv.default({ strict: false, validateFormats: false, allErrors: true })
  private readonly operations = new Map<string, Operation>()

  constructor(spec: Spec) {
    // OpenAPI 3.0 schemas are JSON Schema plus `nullable`, which ajv understands; other OpenAPI
    // keywords (example, title) are annotations that `strict: false` lets through.
    this.ajv.addSchema({ $id: 'segment', components: spec.components })
    for (const methods of Object.values(spec.paths))
      for (const op of Object.values(methods)) if (op.operationId !== undefined) this.operations.set(op.operationId, op)
  }

  /**
   * The JSON pointer of an operation's declared response schema for this status; `success` means
   * its one 2xx response. (32.0.5 declares 200 for createInvites and createLabel, which answer 201
   * since later versions; the body schema is the same.)
   */
  private schemaRef(operationId: string, status: number | 'success'): string {
    const op = this.operations.get(operationId)
    if (op === undefined) throw new Error(`the spec has no operation ${operationId}`)
    const key = status === 'success' ? Object.keys(op.responses).find((s) => s.startsWith('2')) : String(status)
    const ref = key === undefined ? undefined : op.responses[key]?.content?.['application/json']?.schema?.$ref
    if (ref === undefined) throw new Error(`the spec declares no ${status} JSON response for ${operationId}`)
    return ref
  }

  /** Errors of `body` against the schema `operationId` declares for `status` (empty = valid). */
  errors(operationId: string, status: number | 'success', body: unknown): string[] {
    return this.errorsOf(this.schemaRef(operationId, status), body)
  }

  /** Errors of `body` against a named component schema. */
  errorsOf(ref: string, body: unknown): string[] {
    const validate = this.ajv.getSchema(`segment${ref}`)
    if (validate === undefined) throw new Error(`no schema at ${ref}`)
    if (validate(body)) return []
    return (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? 'is invalid'}`)
  }
}

/** The JSON body exactly as it came off the wire, before the SDK's deserializer dropped anything. */
function wireBody(res: { response: IncomingMessage }): unknown {
  return (res.response as IncomingMessage & { body?: unknown }).body
}

// The document lives outside the repository; a checkout without ../shared/reference cannot run this.
describe.runIf(existsSync(SPEC))("responses match the schemas of Segment's OpenAPI document", () => {
  let gh: Gatehouse
  let spec: SpecChecker
  beforeAll(async () => {
    spec = new SpecChecker(parse(gunzipSync(readFileSync(SPEC)).toString('utf8'), { maxAliasCount: -1 }) as Spec)
    gh = await startGatehouse()
  })
  afterAll(() => gh.stop())

  /** Runs an SDK call and checks its raw success body against the spec; answers the SDK's result. */
  async function conforms<T extends { response: IncomingMessage }>(operationId: string, status: number, call: Promise<T>): Promise<T> {
    const res = await call
    expect(res.response.statusCode, operationId).toBe(status)
    expect(spec.errors(operationId, 'success', wireBody(res)), operationId).toEqual([])
    return res
  }

  /** Runs an SDK call that must fail and checks its raw error body against RequestErrorEnvelope. */
  async function failsConforming(operationId: string, status: number, call: Promise<unknown>): Promise<void> {
    const error = await call.then(
      () => undefined,
      (e: unknown) => e,
    )
    // The SDK's HttpError (checked by name: vitest may load the CommonJS class twice).
    expect(error, operationId).toMatchObject({ name: 'HttpError' })
    const { statusCode, body } = error as HttpError
    expect(statusCode, operationId).toBe(status)
    expect(spec.errorsOf('#/components/schemas/RequestErrorEnvelope', body), operationId).toEqual([])
    // Where the spec declares this status for the operation, the body matches that declaration too.
    if ([404, 422, 429].includes(status)) expect(spec.errors(operationId, status, body), operationId).toEqual([])
  }

  it('has a checker that refuses what the spec forbids (so a pass means something)', () => {
    expect(spec.errorsOf('#/components/schemas/UserV1', { id: 'u1', name: 'n' })).not.toEqual([])
    expect(spec.errorsOf('#/components/schemas/UserGroupV1', { id: 'g1', name: 'n', memberCount: '1' })).not.toEqual([])
    expect(spec.errorsOf('#/components/schemas/PaginationOutput', { next: null })).not.toEqual([])
    expect(spec.errorsOf('#/components/schemas/PaginationOutput', { current: 'c', next: null, previous: null, totalEntries: 2 })).toEqual(
      [],
    )
  })

  it('answers every IAM operation with a body that matches its declared success schema', async () => {
    const ws = await gh.workspace()
    const sdk = sdkFor(gh.url, ws.token)
    const [user, other] = await gh.addUsers(ws, ['spec-user@example.com', 'spec-other@example.com'])
    if (user === undefined || other === undefined) throw new Error('users were not added')

    await conforms('getWorkspace', 200, sdk.workspaces.getWorkspace())
    const roles = await conforms('listRoles', 200, sdk.iamRoles.listRoles({ count: 3 }))
    await conforms('listRoles', 200, sdk.iamRoles.listRoles({ count: 3, cursor: roles.body.data?.pagination?.next as string }))
    await conforms('listUsers', 200, sdk.iamUsers.listUsers({ count: 2 }))
    await conforms('getUser', 200, sdk.iamUsers.getUser(ws.owner.id))

    await conforms(
      'addPermissionsToUser',
      200,
      sdk.iamUsers.addPermissionsToUser(user.id, {
        permissions: [{ roleId: MINIMAL_WORKSPACE_ACCESS, resources: [workspaceResource(ws.id)] }],
      }),
    )
    const sourceAdmin = (await unwrap(sdk.iamRoles.listRoles({ count: 1000 }))).roles.find((r) => r.name === 'Source Admin')?.id as string
    await conforms(
      'replacePermissionsForUser',
      200,
      sdk.iamUsers.replacePermissionsForUser(user.id, {
        permissions: [
          { roleId: sourceAdmin, resources: [{ ...workspaceResource(ws.id), labels: [{ key: 'environment', value: 'prod' }] }] },
        ],
      }),
    )
    await conforms('getUser', 200, sdk.iamUsers.getUser(user.id))

    await conforms('createInvites', 201, sdk.iamUsers.createInvites({ invites: [{ email: 'spec-invite@example.com' }] }))
    await conforms('listInvites', 200, sdk.iamUsers.listInvites({ count: 10 }))

    const created = await conforms('createUserGroup', 200, sdk.iamGroups.createUserGroup({ name: 'spec' }))
    const groupId = created.body.data?.userGroup.id as string
    await conforms('getUserGroup', 200, sdk.iamGroups.getUserGroup(groupId))
    await conforms('updateUserGroup', 200, sdk.iamGroups.updateUserGroup(groupId, { name: 'spec-renamed' }))
    await conforms(
      'addUsersToUserGroup',
      200,
      sdk.iamGroups.addUsersToUserGroup(groupId, { emails: [user.email, other.email, 'spec-pending@example.com'] }),
    )
    await conforms('listUserGroups', 200, sdk.iamGroups.listUserGroups({ count: 10 }))
    await conforms('listUsersFromUserGroup', 200, sdk.iamGroups.listUsersFromUserGroup(groupId, { count: 10 }))
    await conforms('listInvitesFromUserGroup', 200, sdk.iamGroups.listInvitesFromUserGroup(groupId, { count: 10 }))
    await conforms('listUserGroupsFromUser', 200, sdk.iamUsers.listUserGroupsFromUser(user.id, { count: 10 }))
    await conforms(
      'addPermissionsToUserGroup',
      200,
      sdk.iamGroups.addPermissionsToUserGroup(groupId, {
        permissions: [{ roleId: MINIMAL_WORKSPACE_ACCESS, resources: [workspaceResource(ws.id)] }],
      }),
    )
    await conforms(
      'replacePermissionsForUserGroup',
      200,
      sdk.iamGroups.replacePermissionsForUserGroup(groupId, {
        permissions: [{ roleId: sourceAdmin, resources: [resourceOf('SOURCE', 'src_1')] }],
      }),
    )
    await conforms('getUserGroup', 200, sdk.iamGroups.getUserGroup(groupId))
    await conforms('replaceUsersInUserGroup', 200, sdk.iamGroups.replaceUsersInUserGroup(groupId, { emails: [user.email, other.email] }))
    await conforms('removeUsersFromUserGroup', 200, sdk.iamGroups.removeUsersFromUserGroup(groupId, [other.email]))

    await conforms('createLabel', 201, sdk.labels.createLabel({ label: { key: 'spec', value: 'label', description: 'for the spec' } }))
    await conforms('listLabels', 200, sdk.labels.listLabels())
    await conforms('deleteLabel', 200, sdk.labels.deleteLabel('spec', 'label'))

    const events = await conforms('listAuditEvents', 200, sdk.auditTrail.listAuditEvents({ count: 5 }))
    await conforms(
      'listAuditEvents',
      200,
      sdk.auditTrail.listAuditEvents({ count: 5, cursor: events.body.data?.pagination?.next as string }),
    )

    await conforms('deleteInvites', 200, sdk.iamUsers.deleteInvites(['spec-invite@example.com']))
    await conforms('deleteUserGroup', 200, sdk.iamGroups.deleteUserGroup(groupId))
    await conforms('deleteUsers', 200, sdk.iamUsers.deleteUsers([other.id]))
  })

  it('answers failures with bodies that match RequestErrorEnvelope', async () => {
    const ws = await gh.workspace()
    const sdk = sdkFor(gh.url, ws.token)
    await failsConforming('getUser', 404, sdk.iamUsers.getUser('no-such-user'))
    await failsConforming('getUserGroup', 404, sdk.iamGroups.getUserGroup('no-such-group'))
    await failsConforming('listUsers', 422, sdk.iamUsers.listUsers({ count: 0 }))
    await failsConforming(
      'addPermissionsToUser',
      422,
      sdk.iamUsers.addPermissionsToUser(ws.owner.id, { permissions: [{ roleId: 'no-such-role', resources: [workspaceResource(ws.id)] }] }),
    )
    await failsConforming(
      'createLabel',
      409,
      (async () => {
        await sdk.labels.createLabel({ label: { key: 'twice', value: 'label' } })
        return sdk.labels.createLabel({ label: { key: 'twice', value: 'label' } })
      })(),
    )
    await failsConforming('getWorkspace', 401, sdkFor(gh.url, 'not-a-token').workspaces.getWorkspace())
    const team = await gh.workspace({ plan: 'team' })
    await failsConforming('listUserGroups', 400, sdkFor(gh.url, team.token).iamGroups.listUserGroups({ count: 10 }))
  })
})
