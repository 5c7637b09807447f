import { unwrap } from '@segment/public-api-sdk-typescript'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Gatehouse, startGatehouse } from '../helpers/gatehouse.js'
import {
  expectPaginationOutput,
  MINIMAL_WORKSPACE_ACCESS,
  rejectionOf,
  sdkFor,
  sdkFromClasses,
  WORKSPACE_OWNER,
  workspaceResource,
} from '../helpers/sdk.js'

// The SDK drives these endpoints exactly as it drives api.segmentapis.com; only basePath differs.
describe('workspace, roles and labels through the official SDK', () => {
  let gh: Gatehouse
  beforeAll(async () => {
    gh = await startGatehouse()
  })
  afterAll(() => gh.stop())

  describe('workspaces.getWorkspace', () => {
    it("answers the token's workspace as a WorkspaceV1", async () => {
      const ws = await gh.workspace()
      const { workspace } = await unwrap(sdkFor(gh.url, ws.token).workspaces.getWorkspace())
      expect(workspace).toEqual({ id: ws.id, slug: ws.slug, name: ws.name })
    })

    it('answers the same to API classes built without configureApis', async () => {
      const ws = await gh.workspace()
      const { workspace } = await unwrap(sdkFromClasses(gh.url, ws.token).workspaces.getWorkspace())
      expect(workspace).toEqual({ id: ws.id, slug: ws.slug, name: ws.name })
    })

    it('tells two workspaces apart by their tokens alone', async () => {
      const [a, b] = [await gh.workspace(), await gh.workspace()]
      const wa = await unwrap(sdkFor(gh.url, a.token).workspaces.getWorkspace())
      const wb = await unwrap(sdkFor(gh.url, b.token).workspaces.getWorkspace())
      expect(wa.workspace.id).toBe(a.id)
      expect(wb.workspace.id).toBe(b.id)
    })
  })

  describe('iamRoles.listRoles', () => {
    it('lists the two roles whose ids Segment documents, by those ids', async () => {
      const ws = await gh.workspace()
      const { roles, pagination } = await unwrap(sdkFor(gh.url, ws.token).iamRoles.listRoles({ count: 1000 }))
      expect(roles).toContainEqual({ id: WORKSPACE_OWNER, name: 'Workspace Owner', description: expect.any(String) })
      expect(roles).toContainEqual({ id: MINIMAL_WORKSPACE_ACCESS, name: 'Minimal Workspace Access', description: expect.any(String) })
      expectPaginationOutput(pagination, roles.length)
    })

    it('gives every role the three required RoleV1 fields as non-empty strings', async () => {
      const ws = await gh.workspace()
      const { roles } = await unwrap(sdkFor(gh.url, ws.token).iamRoles.listRoles({ count: 1000 }))
      expect(roles.length).toBeGreaterThan(2)
      for (const role of roles) {
        expect(Object.keys(role).sort()).toEqual(['description', 'id', 'name'])
        for (const value of [role.id, role.name, role.description]) expect(value).toMatch(/\S/)
      }
      expect(new Set(roles.map((r) => r.id)).size).toBe(roles.length)
    })

    it('walks every role exactly once when following next cursors three at a time', async () => {
      const sdk = sdkFor(gh.url, (await gh.workspace()).token)
      const { roles: all } = await unwrap(sdk.iamRoles.listRoles({ count: 1000 }))
      const seen: string[] = []
      let cursor: string | undefined
      let pages = 0
      do {
        const { roles, pagination } = await unwrap(sdk.iamRoles.listRoles(cursor === undefined ? { count: 3 } : { count: 3, cursor }))
        expectPaginationOutput(pagination, all.length)
        expect(roles.length).toBeLessThanOrEqual(3)
        seen.push(...roles.map((r) => r.id))
        cursor = pagination?.next ?? undefined
        pages++
      } while (cursor !== undefined && pages < 100)
      expect(seen).toEqual(all.map((r) => r.id))
      expect(pages).toBe(Math.ceil(all.length / 3))
    })

    it('returns to the first page through the previous cursor of the second', async () => {
      const sdk = sdkFor(gh.url, (await gh.workspace()).token)
      const first = await unwrap(sdk.iamRoles.listRoles({ count: 2 }))
      expect(first.pagination?.previous ?? null).toBeNull()
      const second = await unwrap(sdk.iamRoles.listRoles({ count: 2, cursor: first.pagination?.next as string }))
      expect(second.roles.map((r) => r.id)).not.toEqual(first.roles.map((r) => r.id))
      const back = await unwrap(sdk.iamRoles.listRoles({ count: 2, cursor: second.pagination?.previous as string }))
      expect(back.roles).toEqual(first.roles)
    })

    it('re-reads the same page from its current cursor', async () => {
      const sdk = sdkFor(gh.url, (await gh.workspace()).token)
      const first = await unwrap(sdk.iamRoles.listRoles({ count: 2 }))
      const second = await unwrap(sdk.iamRoles.listRoles({ count: 2, cursor: first.pagination?.next as string }))
      const again = await unwrap(sdk.iamRoles.listRoles({ count: 2, cursor: second.pagination?.current as string }))
      expect(again.roles).toEqual(second.roles)
    })
  })

  describe('labels', () => {
    it('starts every workspace with environment:dev and environment:prod', async () => {
      const ws = await gh.workspace()
      const { labels } = await unwrap(sdkFor(gh.url, ws.token).labels.listLabels())
      expect(labels).toEqual([
        expect.objectContaining({ key: 'environment', value: 'dev' }),
        expect.objectContaining({ key: 'environment', value: 'prod' }),
      ])
    })

    it('creates a label with 201 and lists it afterwards', async () => {
      const sdk = sdkFor(gh.url, (await gh.workspace()).token)
      const res = await sdk.labels.createLabel({ label: { key: 'team', value: 'growth', description: 'Growth team' } })
      expect(res.response.statusCode).toBe(201)
      expect(res.body.data?.label).toEqual({ key: 'team', value: 'growth', description: 'Growth team' })
      const { labels } = await unwrap(sdk.labels.listLabels())
      expect(labels).toContainEqual({ key: 'team', value: 'growth', description: 'Growth team' })
      expect(labels).toHaveLength(3)
    })

    it('refuses a label that already exists with 409', async () => {
      const sdk = sdkFor(gh.url, (await gh.workspace()).token)
      await unwrap(sdk.labels.createLabel({ label: { key: 'team', value: 'data' } }))
      const error = await rejectionOf(unwrap(sdk.labels.createLabel({ label: { key: 'team', value: 'data' } })))
      expect(error).toMatchObject({ type: 'conflict', status: 409 })
    })

    it('refuses a label whose key does not start with a letter with 422', async () => {
      const sdk = sdkFor(gh.url, (await gh.workspace()).token)
      const error = await rejectionOf(unwrap(sdk.labels.createLabel({ label: { key: '1team', value: 'data' } })))
      expect(error).toMatchObject({ type: 'input-validation', status: 422, field: 'label.key' })
    })

    it('deletes an unused label', async () => {
      const sdk = sdkFor(gh.url, (await gh.workspace()).token)
      await unwrap(sdk.labels.createLabel({ label: { key: 'region', value: 'eu' } }))
      expect(await unwrap(sdk.labels.deleteLabel('region', 'eu'))).toEqual({ status: 'SUCCESS' })
      const { labels } = await unwrap(sdk.labels.listLabels())
      expect(labels.map((l) => `${l.key}:${l.value}`)).toEqual(['environment:dev', 'environment:prod'])
    })

    it('answers 404 for a label the workspace does not have', async () => {
      const sdk = sdkFor(gh.url, (await gh.workspace()).token)
      const error = await rejectionOf(unwrap(sdk.labels.deleteLabel('region', 'mars')))
      expect(error).toMatchObject({ type: 'not-found', status: 404 })
    })

    it("refuses with 409 to delete a label used in a permission's resource labels, and deletes it once unused", async () => {
      const ws = await gh.workspace()
      const sdk = sdkFor(gh.url, ws.token)
      const [user] = await gh.addUsers(ws, [`labelled@${ws.slug}.example`])
      const { roles } = await unwrap(sdk.iamRoles.listRoles({ count: 1000 }))
      const sourceAdmin = roles.find((r) => r.name === 'Source Admin')?.id as string
      await unwrap(sdk.labels.createLabel({ label: { key: 'tier', value: 'gold' } }))
      await unwrap(
        sdk.iamUsers.addPermissionsToUser(user?.id as string, {
          permissions: [{ roleId: sourceAdmin, resources: [{ ...workspaceResource(ws.id), labels: [{ key: 'tier', value: 'gold' }] }] }],
        }),
      )
      const error = await rejectionOf(unwrap(sdk.labels.deleteLabel('tier', 'gold')))
      expect(error).toMatchObject({ type: 'conflict', status: 409 })
      expect((await unwrap(sdk.labels.listLabels())).labels).toContainEqual(expect.objectContaining({ key: 'tier', value: 'gold' }))

      await unwrap(sdk.iamUsers.replacePermissionsForUser(user?.id as string, { permissions: [] }))
      expect(await unwrap(sdk.labels.deleteLabel('tier', 'gold'))).toEqual({ status: 'SUCCESS' })
    })

    it("refuses with 409 to delete a label used by a group's or a pending invite's permission", async () => {
      const ws = await gh.workspace()
      const sdk = sdkFor(gh.url, ws.token)
      const { roles } = await unwrap(sdk.iamRoles.listRoles({ count: 1000 }))
      const sourceAdmin = roles.find((r) => r.name === 'Source Admin')?.id as string
      await unwrap(sdk.labels.createLabel({ label: { key: 'owner', value: 'groups' } }))
      await unwrap(sdk.labels.createLabel({ label: { key: 'owner', value: 'invites' } }))
      const { userGroup } = await unwrap(sdk.iamGroups.createUserGroup({ name: 'labelled' }))
      await unwrap(
        sdk.iamGroups.addPermissionsToUserGroup(userGroup.id, {
          permissions: [{ roleId: sourceAdmin, resources: [{ ...workspaceResource(ws.id), labels: [{ key: 'owner', value: 'groups' }] }] }],
        }),
      )
      await unwrap(
        sdk.iamUsers.createInvites({
          invites: [
            { email: 'labelled@example.com', permissions: [{ roleId: sourceAdmin, labels: [{ key: 'owner', value: 'invites' }] }] },
          ],
        }),
      )
      expect(await rejectionOf(unwrap(sdk.labels.deleteLabel('owner', 'groups')))).toMatchObject({ type: 'conflict', status: 409 })
      expect(await rejectionOf(unwrap(sdk.labels.deleteLabel('owner', 'invites')))).toMatchObject({ type: 'conflict', status: 409 })

      await unwrap(sdk.iamGroups.deleteUserGroup(userGroup.id))
      await unwrap(sdk.iamUsers.deleteInvites(['labelled@example.com']))
      expect(await unwrap(sdk.labels.deleteLabel('owner', 'groups'))).toEqual({ status: 'SUCCESS' })
      expect(await unwrap(sdk.labels.deleteLabel('owner', 'invites'))).toEqual({ status: 'SUCCESS' })
    })

    it('answers 400 bad-request to a sixth custom label on a team workspace, and allows it on business', async () => {
      const team = sdkFor(gh.url, (await gh.workspace({ plan: 'team' })).token)
      const business = sdkFor(gh.url, (await gh.workspace()).token)
      for (const value of ['a', 'b', 'c', 'd', 'e']) {
        await unwrap(team.labels.createLabel({ label: { key: 'custom', value } }))
        await unwrap(business.labels.createLabel({ label: { key: 'custom', value } }))
      }
      expect(await rejectionOf(unwrap(team.labels.createLabel({ label: { key: 'custom', value: 'f' } })))).toMatchObject({
        type: 'bad-request',
        status: 400,
      })
      expect((await unwrap(team.labels.listLabels())).labels).toHaveLength(7)
      await unwrap(business.labels.createLabel({ label: { key: 'custom', value: 'f' } }))
      expect((await unwrap(business.labels.listLabels())).labels).toHaveLength(8)
    })
  })
})
