import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { describeResult } from '../../src/cli/commands/actions.js'
import { table } from '../../src/cli/commands/directory.js'
import { summarise } from '../../src/cli/commands/sync.js'
import { jsonLine, oneLine, screenText } from '../../src/cli/terminal.js'
import { runAction } from '../../src/directory/actions/run.js'
import { runSync } from '../../src/directory/sync/run.js'
import type { ConnectionRow } from '../../src/store/queries/connections.js'
import { createGroup } from '../directory/sync-helpers.js'
import { runCliInProcess } from '../helpers/cli.js'
import { connect } from '../helpers/directory.js'
import { type Gatehouse, type SeededWorkspace, startGatehouse } from '../helpers/gatehouse.js'

/**
 * A name as a hostile remote workspace could set it: an escape sequence that clears the screen, a newline that
 * would start a forged table row, a bidi override, a C1 control sequence introducer and a carriage return.
 */
const EVIL = '\u001b[2J\nFORGED ROW\u202eevil\u009b31m\r'

/** Nothing a terminal acts on (C0 controls but newline and tab, DEL, C1, bidi overrides) and no forged line. */
function expectInert(text: string): void {
  expect(text).not.toMatch(/(?![\n\t])[\p{Cc}\u202a-\u202e\u2066-\u2069]/u)
  for (const line of text.split('\n')) expect(line).not.toMatch(/^FORGED ROW/)
}

describe('terminal escaping (terminal.ts)', () => {
  it('oneLine escapes every control and bidi character visibly, newlines and tabs included, and leaves the rest', () => {
    expect(oneLine(EVIL)).toBe('\\u001b[2J\\nFORGED ROW\\u202eevil\\u009b31m\\r')
    expect(oneLine('a\tb\u007fc\u2066d\u2069')).toBe('a\\tb\\u007fc\\u2066d\\u2069')
    expect(oneLine('Zoë Ünal — 山田 (ops) \\ ok')).toBe('Zoë Ünal — 山田 (ops) \\ ok')
    // Idempotent: an escaped value has nothing left to escape.
    expect(oneLine(oneLine(EVIL))).toBe(oneLine(EVIL))
  })

  it("screenText keeps the CLI's own newlines and tabs and escapes everything else", () => {
    expect(screenText(`a\tb\n${EVIL}`)).toBe('a\tb\n\\u001b[2J\nFORGED ROW\\u202eevil\\u009b31m\\r')
  })

  it('jsonLine is the same JSON value with DEL, C1 and bidi characters escaped too', () => {
    const value = { name: EVIL, del: '\u007f' }
    const line = jsonLine(value)
    expect(JSON.parse(line)).toEqual(value)
    expectInert(line)
    expect(line).not.toContain('\n')
  })

  it('table escapes every cell before measuring it: one line per row, columns aligned on what is shown', () => {
    const text = table(
      ['NAME', 'EMAIL'],
      [
        [EVIL, 'a@example.com'],
        ['Bo', 'b@example.com'],
      ],
    )
    expectInert(text)
    const [header, first, second] = text.split('\n')
    expect(text.split('\n')).toHaveLength(3)
    const column = oneLine(EVIL).length + 2
    expect([header?.indexOf('EMAIL'), first?.indexOf('a@'), second?.indexOf('b@')]).toEqual([column, column, column])
  })
})

// The CLI works on the SQLite file beside a running server (WAL), so this suite runs on SQLite only. The server
// doubles as the remote: its workspace, user and group are named by the hostile remote.
describe('every text output of the CLI is inert whatever the remote names (built in process)', () => {
  let gh: Gatehouse
  let ws: SeededWorkspace
  let connection: ConnectionRow
  const cli = (...args: string[]) => runCliInProcess([...args, '--db', gh.dbFile])

  beforeAll(async () => {
    gh = await startGatehouse()
    ws = await gh.workspace({ name: `Evil${EVIL}` })
    const added = await gh.admin.post(`/admin/workspaces/${ws.id}/users`, {
      users: [{ email: 'mallory@evil.example', name: `Mallory${EVIL}` }],
    })
    expect(added.status).toBe(201)
    await createGroup(ws, `group${EVIL}`, ['mallory@evil.example'])
    connection = await connect(gh, ws, { name: `conn${EVIL}` })
    const run = await runSync(gh.server.directory, connection.id, { trigger: 'test' })
    expect(run.state, run.error ?? '').toBe('succeeded')
    // What the remote answered is stored as it came: the names are hostile in the directory itself.
    const users = await gh.server.store.read((q) => q.dirUsers.ofConnection(connection.id))
    expect(users.map((u) => u.name)).toContain(`Mallory${EVIL}`)
  })
  afterAll(() => gh?.stop())

  it('users prints one table row per account, with the hostile name escaped visibly', async () => {
    const res = await cli('users', '--connection', connection.id)
    expect(res).toMatchObject({ code: 0, stderr: '' })
    expectInert(res.stdout)
    const lines = res.stdout.trimEnd().split('\n')
    expect(lines).toHaveLength(3) // header, the owner, mallory
    expect(res.stdout).toContain(`Mallory${oneLine(EVIL)}`)
    expect(res.stdout).toContain(`group${oneLine(EVIL.trim())}`) // the remote trims group names
  })

  it('person prints its title and one row per account on their own lines', async () => {
    const res = await cli('person', 'mallory@evil.example')
    expect(res).toMatchObject({ code: 0, stderr: '' })
    expectInert(res.stdout)
    const [title, header, ...rows] = res.stdout.trimEnd().split('\n')
    expect(title).toBe(`mallory@evil.example (Mallory${oneLine(EVIL)}): 1 account`)
    expect(header).toMatch(/^WORKSPACE\s+EMAIL/)
    expect(rows).toHaveLength(1)
  })

  it('connections prints one row per connection and its status detail on one line', async () => {
    await gh.server.store.write((q) => q.connections.update(connection.id, { status: 'error', status_detail: `remote said${EVIL}` }))
    try {
      const res = await cli('connections')
      expect(res).toMatchObject({ code: 0, stderr: '' })
      expectInert(res.stdout)
      const lines = res.stdout.trimEnd().split('\n')
      expect(lines).toEqual([
        expect.stringMatching(/^ID\s+NAME/),
        expect.stringContaining(`conn${oneLine(EVIL)}`),
        `conn${oneLine(EVIL)}: remote said${oneLine(EVIL)}`,
      ])
      // --json is the exact value, as JSON writes it.
      const json = await cli('connections', '--json')
      expect(JSON.parse(json.stdout).connections[0].name).toBe(`conn${EVIL}`)
      expectInert(json.stdout)
    } finally {
      await gh.server.store.write((q) => q.connections.update(connection.id, { status: 'active', status_detail: null }))
    }
  })

  it('workspace list prints one line of four tab-separated fields per workspace', async () => {
    const res = await cli('workspace', 'list')
    expect(res).toMatchObject({ code: 0, stderr: '' })
    expectInert(res.stdout)
    const line = res.stdout.split('\n').find((l) => l.startsWith(`${ws.slug}\t`))
    expect(line?.split('\t')).toEqual([ws.slug, ws.id, 'business', `Evil${oneLine(EVIL)}`])
  })

  it('sync summaries and action plans escape connection names, slugs, remote errors and call descriptions', async () => {
    const run = await runSync(gh.server.directory, connection.id, { trigger: 'test' })
    const hostile = { ...connection, remote_workspace_slug: `slug${EVIL}` }
    const ok = summarise(hostile, run)
    expect(ok.split('\n')).toHaveLength(1)
    expectInert(ok)
    const failed = summarise(hostile, { ...run, state: 'failed', error: `Remote answered 500: ${EVIL}` })
    expect(failed.split('\n')).toHaveLength(1)
    expectInert(failed)
    expect(failed).toMatch(/^x conn.*: failed after .*: Remote answered 500: \\u001b\[2J\\nFORGED ROW/)

    const plan = await runAction(gh.server.directory, 'offboard', { email: 'mallory@evil.example' }, { dryRun: true })
    const text = describeResult(plan, `mallory${EVIL}@evil.example`)
    expectInert(text)
    expect(text.trimEnd().split('\n')).toHaveLength(3) // the summary, the workspace, the one call
  })

  it('error messages are one escaped line, from the CLI and from the argument parser', async () => {
    const bad = await cli('person', `x${EVIL}`)
    expect(bad.code).toBe(2)
    expectInert(bad.stderr)
    expect(bad.stderr).toBe(`error: x${oneLine(EVIL)} is not an email address\n`)
    const parser = await cli('users', '--status', `x${EVIL}`)
    expect(parser.code).toBe(2)
    expectInert(parser.stderr)
    expect(parser.stderr.trimEnd().split('\n')).toHaveLength(1)
  })
})
