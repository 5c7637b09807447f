import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { connectAndSync, createGroup, directoryOf, extraToken, inviteRemotely, remote, revokeToken } from '../directory/actions-helpers.js'
import { runCliInProcess } from '../helpers/cli.js'
import { type Gatehouse, startGatehouse } from '../helpers/gatehouse.js'

// The CLI works on the SQLite file beside a running server (WAL), so this suite runs on SQLite only.
describe('gatehouse invite, groups, offboard', () => {
  let gh: Gatehouse

  beforeAll(async () => {
    gh = await startGatehouse()
  })
  afterAll(() => gh.stop())

  /** Runs the CLI in this process, against the server's database file, and captures what it prints. */
  const cli = (...args: string[]) => runCliInProcess([...args, '--db', gh.dbFile, '--allow-remote-host', '127.0.0.1'])

  it('prints the offboarding plan with --dry-run and changes nothing, then offboards and exits 1 when a workspace fails', async () => {
    const email = 'cli.pat@corp.example'
    const [a, b, c] = [await gh.workspace(), await gh.workspace(), await gh.workspace()]
    const [patA] = await gh.addUsers(a, [email])
    await inviteRemotely(b, [email])
    await gh.addUsers(c, [email])
    const token = await extraToken(gh, c)
    const ca = await connectAndSync(gh, a, { name: 'cli-a' })
    await connectAndSync(gh, b, { name: 'cli-b' })
    await connectAndSync(gh, c, { name: 'cli-c', token: token.secret })

    const plan = await cli('offboard', email, '--dry-run')
    expect(plan).toMatchObject({ code: 0, stderr: '' })
    const lines = plan.stdout.trimEnd().split('\n')
    expect(lines[0]).toBe(`offboard ${email}: dry run, nothing was sent; 3 calls planned`)
    expect(lines[1]).toBe(`~ cli-a (${a.slug}): planned`)
    expect(lines[2]).toBe(`    ~ DELETE /users?userIds[0]=${patA!.id}  (delete member ${email} (${patA!.id}))`)
    expect(lines[3]).toBe(`~ cli-b (${b.slug}): planned`)
    expect(lines[4]).toBe(`    ~ DELETE /invites?emails[0]=${email}  (withdraw the invite of ${email})`)
    expect(lines[5]).toBe(`~ cli-c (${c.slug}): planned`)
    expect(lines).toHaveLength(7)
    expect(await remote.users(a)).toContain(email)
    expect(await remote.invites(b)).toContain(email)

    await revokeToken(gh, c, token.id)
    const done = await cli('offboard', email)
    expect(done.code).toBe(1)
    expect(done.stdout).toMatch(new RegExp(`^offboard ${email}: partial \\(2 of 3 calls done, 1 failed, 0 not sent\\)\n`))
    expect(done.stdout).toMatch(/^ok cli-a .*: succeeded$/m)
    expect(done.stdout).toMatch(/^x cli-c .*: failed: The remote answered 401 .*needs a new token/m)
    expect(done.stdout).toMatch(/^ {4}ok DELETE \/users\?userIds\[0\]=\S+ {2}\(delete member .*\) -> 200 succeeded$/m)
    expect(done.stderr).toBe(`error: offboard ${email}: 1 workspace failed (1 of 3 calls failed, 0 not sent)\n`)
    expect(await remote.users(a)).not.toContain(email)
    expect((await directoryOf(gh, ca)).user(email).status).toBe('deleted')
  })

  it('invites with a group by name, adds and removes groups by email and group name, and refuses --all for an invite', async () => {
    const ws = await gh.workspace()
    await gh.addUsers(ws, ['cli.ada@example.com'])
    const ops = await createGroup(ws, 'cli-ops')
    const connection = await connectAndSync(gh, ws, { name: 'cli-groups' })

    const invited = await cli('invite', 'cli.new@example.com', '--connection', 'cli-groups', '--group', 'cli-ops')
    expect(invited.stderr).toBe('')
    expect(invited.code).toBe(0)
    expect(invited.stdout).toMatch(/^invite cli\.new@example\.com: succeeded \(2 of 2 calls done/)
    expect(await remote.groupMembers(ws, ops)).toEqual(['cli.new@example.com'])

    expect((await cli('groups', 'add', 'cli.ada@example.com', 'cli-ops')).code).toBe(0)
    expect((await remote.groupMembers(ws, ops)).sort()).toEqual(['cli.ada@example.com', 'cli.new@example.com'])
    const removed = await cli('groups', 'remove', 'cli.ada@example.com', '--all')
    expect(removed.code).toBe(0)
    expect(removed.stdout).toMatch(/ok DELETE \/group\/\S+\/users\?emails\[0\]=cli\.ada@example\.com/)
    expect(await remote.groupMembers(ws, ops)).toEqual(['cli.new@example.com'])

    const refused = await cli('groups', 'remove', 'cli.new@example.com', '--all')
    expect(refused.code).toBe(1)
    expect(refused.stderr).toMatch(
      /^error: remove_from_all_groups works only for synced members, and cli\.new@example\.com is a pending invite/,
    )
    expect((await cli('groups', 'remove', 'cli.new@example.com', 'cli-ops')).code).toBe(0)
    expect(await remote.groupMembers(ws, ops)).toEqual([])
    expect((await directoryOf(gh, connection)).memberships).toEqual([])

    expect((await cli('groups', 'remove', 'cli.new@example.com')).code).toBe(2)
  })
})
