import { unwrap } from '@segment/public-api-sdk-typescript'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Gatehouse, startGatehouse } from '../../src/emulator/index.js'
import { rejectionOf, sdkFor, WORKSPACE_OWNER, workspaceResource } from '../helpers/sdk.js'

const EXAMPLE_FILE = new URL('../../docs/fixtures.example.json', import.meta.url).pathname
const ACME_OWNER_TOKEN = 'sgp_AcmeOwnerToken00000000000000000000000000000000000000000000000001'

// What the README shows: the official SDK, pointed at an emulator that startGatehouse() started with a seed.
describe('the official SDK against startGatehouse()', () => {
  let gh: Gatehouse
  beforeAll(async () => {
    gh = await startGatehouse({ seed: EXAMPLE_FILE })
  })
  afterAll(() => gh?.stop())

  it('reads the seed with the fixed token, changes it, and finds the seed again after reset()', async () => {
    const sdk = sdkFor(gh.url, ACME_OWNER_TOKEN)
    const workspace = await unwrap(sdk.workspaces.getWorkspace())
    expect(workspace.workspace.slug).toBe('acme')
    const listed = await unwrap(sdk.iamUsers.listUsers({ count: 10 }))
    expect(listed.users.map((u) => u.email)).toContain('dev@acme.example')
    const groups = await unwrap(sdk.iamGroups.listUserGroups({ count: 10 }))
    expect(groups.userGroups.map((g) => g.name).sort()).toEqual(['Auditors', 'Engineering'])

    const created = await unwrap(sdk.iamGroups.createUserGroup({ name: 'Made in a test' }))
    await unwrap(
      sdk.iamGroups.replacePermissionsForUserGroup(created.userGroup.id, {
        permissions: [{ roleId: WORKSPACE_OWNER, resources: [workspaceResource(workspace.workspace.id)] }],
      }),
    )
    expect((await unwrap(sdk.iamGroups.listUserGroups({ count: 10 }))).userGroups).toHaveLength(3)

    await gh.reset()
    expect((await unwrap(sdk.iamGroups.listUserGroups({ count: 10 }))).userGroups).toHaveLength(2)
    const gone = await rejectionOf(unwrap(sdk.iamGroups.getUserGroup(created.userGroup.id)))
    expect(gone.status).toBe(404)
  })

  it('works with a workspace made by createWorkspace() and users from addUsers()', async () => {
    const { workspace, token } = await gh.createWorkspace({ plan: 'team' })
    await gh.addUsers(workspace.id, ['ada@sdk.example', { email: 'grace@sdk.example', name: 'Grace' }])
    const users = await unwrap(sdkFor(gh.url, token).iamUsers.listUsers({ count: 10 }))
    expect(users.users.map((u) => u.email).sort()).toEqual(['ada@sdk.example', 'grace@sdk.example', `owner@${workspace.slug}.example`])
  })
})
