import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { deleteUsers, seedRemote } from '../directory/sync-helpers.js'
import { runCliInProcess } from '../helpers/cli.js'
import { connect } from '../helpers/directory.js'
import { type Gatehouse, startGatehouse } from '../helpers/gatehouse.js'

// The CLI works on the SQLite file beside a running server (WAL), so this suite runs on SQLite only.
describe('gatehouse sync', () => {
  let gh: Gatehouse

  beforeAll(async () => {
    gh = await startGatehouse()
  })
  afterAll(() => gh.stop())

  /** Runs the CLI in this process, against the server's database file, and captures what it prints. */
  const cli = (...args: string[]) => runCliInProcess([...args, '--db', gh.dbFile, '--allow-remote-host', '127.0.0.1'])

  it('syncs one connection by name and prints what it saw and changed', async () => {
    const ws = await gh.workspace()
    await seedRemote(gh, ws, 'c')
    const conn = await connect(gh, ws, { name: 'cli-acme' })
    const res = await cli('sync', 'cli-acme')
    expect(res.stderr).toBe('')
    expect(res.code).toBe(0)
    expect(res.stdout).toMatch(
      /^ok cli-acme \(ws-[^)]+\): succeeded in \d+\.\ds: users 7 \(\+7 ~0 -0\), groups 2 \(\+2 ~0 -0\), memberships 5 \(\+5 ~0 -0\), roles \d+ \(\+\d+ ~0 -0\); 10 requests, 0 rate-limited\n$/,
    )
    const users = await gh.server.store.read((q) => q.dirUsers.ofConnection(conn.id))
    expect(users).toHaveLength(7)

    // By id too, and a second time with nothing to do: the audit trail and totals show no change.
    expect((await cli('sync', conn.id)).stdout).toMatch(/unchanged in \d+\.\ds .*; 4 requests, 0 rate-limited/)
    // A remote change moves the audit watermark: the next run reads in full and sees it.
    await ws.http.post('/invites', { invites: [{ email: 'late@cli.example' }] })
    expect((await cli('sync', conn.id)).stdout).toMatch(/users 8 \(\+1 ~0 -0\)/)
  })

  it('holds a mass deletion and applies it with sync approve', async () => {
    const ws = await gh.workspace()
    const users = await gh.addUsers(ws, ['h1@example.com', 'h2@example.com', 'h3@example.com'])
    const conn = await connect(gh, ws, { name: 'cli-held' })
    expect((await cli('sync', 'cli-held')).code).toBe(0)
    await deleteUsers(
      ws,
      users.map((u) => u.id),
    )
    const held = await cli('sync', 'cli-held')
    expect(held.code).toBe(0)
    const runId = /gatehouse sync approve (\S+)/.exec(held.stdout)?.[1]
    expect(held.stdout).toMatch(/^! cli-held.*: held in/)
    expect(held.stdout).toMatch(/3 deletions held by the drift guard/)
    expect(runId).toEqual(expect.any(String))

    const approved = await cli('sync', 'approve', runId as string)
    expect(approved).toMatchObject({ code: 0, stderr: '' })
    expect(approved.stdout).toBe(`Approved run ${runId}: 3 accounts marked deleted, 0 memberships removed.\n`)
    const rows = await gh.server.store.read((q) => q.dirUsers.ofConnection(conn.id))
    expect(rows.filter((u) => u.status === 'deleted')).toHaveLength(3)
  })

  it('syncs every connection with --all and exits 1 when one fails, skipping those that need a token', async () => {
    const ws = await gh.workspace()
    await connect(gh, ws, { name: 'cli-broken', token: 'sgp_not_a_token' })
    const parked = await connect(gh, await gh.workspace(), { name: 'cli-parked' })
    await gh.server.store.write((q) => q.connections.update(parked.id, { status: 'needs_reauth' }))
    const res = await cli('sync', '--all')
    expect(res.code).toBe(1)
    expect(res.stdout).toMatch(/^- cli-parked.*: skipped, it needs a new token/m)
    expect(res.stdout).toMatch(/^x cli-broken.*: failed after \d+\.\ds: Remote answered 401/m)
    expect(res.stdout).toMatch(/^ok cli-acme/m)
    expect(res.stderr).toMatch(/^error: 1 of \d+ syncs failed\n$/)
  })

  it('fails with one line for an unknown connection or run, and exits 2 on bad arguments', async () => {
    expect(await cli('sync', 'nope')).toMatchObject({ code: 1, stdout: '', stderr: 'error: Connection nope not found\n' })
    expect(await cli('sync', 'approve', 'nope')).toMatchObject({ code: 1, stderr: 'error: Sync run nope not found\n' })
    expect(await cli('sync')).toMatchObject({ code: 2, stderr: 'error: name a connection, or pass --all\n' })
    expect((await cli('sync', 'x', '--all')).code).toBe(2)
  })
})
