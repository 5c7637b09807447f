import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { type Fixture, startGatehouse } from '../../src/emulator/index.js'
import { exportWorkspace } from '../../src/fixtures/export.js'
import { runCliInProcess } from '../helpers/cli.js'

const EXAMPLE_FILE = new URL('../../docs/fixtures.example.json', import.meta.url).pathname

describe('gatehouse serve --seed and gatehouse export', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-export-'))
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  it('refuses a bad fixture before starting, naming the file and the path (exit 2)', async () => {
    const fixture = JSON.parse(readFileSync(EXAMPLE_FILE, 'utf8')) as Fixture
    const user = fixture.workspaces[0]?.users[1]
    if (user) user.email = 'max at acme'
    const bad = join(dir, 'bad.json')
    writeFileSync(bad, JSON.stringify(fixture))
    const res = await runCliInProcess(['serve', '--port', '0', '--db', join(dir, 'never.db'), '--seed', bad])
    expect(res.code).toBe(2)
    expect(res.stderr).toBe(`error: --seed ${bad}: workspaces[0].users[1].email: must be an email\n`)
    const missing = await runCliInProcess(['serve', '--port', '0', '--seed', join(dir, 'absent.json')])
    expect(missing.code).toBe(2)
    expect(missing.stderr).toContain('absent.json: cannot be read (ENOENT)')
  })

  it('exports a seeded workspace from the database file, without token secrets, and the export seeds the same workspace', async () => {
    const db = join(dir, 'seeded.db')
    const seeded = await startGatehouse({ seed: EXAMPLE_FILE, db })
    await seeded.addUsers('acme', [{ email: 'later@acme.example', name: 'Later' }])
    await seeded.stop()

    const out = join(dir, 'acme.json')
    const res = await runCliInProcess(['export', '--workspace', 'acme', '--db', db, '--out', out])
    expect(res.code).toBe(0)
    expect(res.stdout).toBe('')
    expect(res.stderr).toContain(`Exported acme (5 users) to ${out}. Token secrets are not in it`)
    const file = JSON.parse(readFileSync(out, 'utf8')) as Fixture
    expect(file.workspaces[0]?.users.at(-1)).toEqual({ email: 'later@acme.example', name: 'Later' })
    expect(JSON.stringify(file)).not.toContain('sgp_')

    const toStdout = await runCliInProcess(['export', '--workspace', 'acme', '--workspace', 'globex', '--db', db])
    expect(toStdout.code).toBe(0)
    expect((JSON.parse(toStdout.stdout) as Fixture).workspaces.map((w) => w.slug)).toEqual(['acme', 'globex'])

    const again = await startGatehouse({ seed: out })
    try {
      expect({ workspaces: [await again.server.store.read((q) => exportWorkspace(q, 'acme'))] }).toEqual(file)
    } finally {
      await again.stop()
    }
    const unknown = await runCliInProcess(['export', '--workspace', 'nope', '--db', db])
    expect(unknown.code).toBe(1)
    expect(unknown.stderr).toBe('error: Workspace nope not found\n')
  })

  it('keeps a database seeded from the same fixture on restart, and refuses another fixture on it', async () => {
    const db = join(dir, 'restart.db')
    const first = await startGatehouse({ seed: EXAMPLE_FILE, db })
    await first.addUsers('acme', ['kept@acme.example'])
    await first.stop()
    const second = await startGatehouse({ seed: EXAMPLE_FILE, db })
    try {
      const acme = await second.server.store.read((q) => exportWorkspace(q, 'acme'))
      expect(acme?.users.map((u) => u.email)).toContain('kept@acme.example')
      // This process did not seed: its first reset applies the stored seed through the IAM operations.
      await second.reset()
      const reset = await second.server.store.read((q) => exportWorkspace(q, 'acme'))
      expect(reset?.users.map((u) => u.email)).not.toContain('kept@acme.example')
      expect(reset?.users).toHaveLength(4)
      await second.reset()
      expect(await second.server.store.read((q) => exportWorkspace(q, 'acme'))).toEqual(reset)
    } finally {
      await second.stop()
    }
    const other = {
      workspaces: [{ slug: 'other', name: 'Other', users: [{ email: 'o@o.example', permissions: [{ role: 'Workspace Owner' }] }] }],
    }
    await expect(startGatehouse({ seed: other, db })).rejects.toThrow(
      'the store already holds 2 workspaces seeded from another fixture: a seed goes only into an empty store',
    )
  })
})
