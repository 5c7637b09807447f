import { chmodSync, existsSync, mkdtempSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createApiKey } from '../../src/directory/api-keys.js'
import { openStore } from '../../src/store/open.js'
import { runCliInProcess } from '../helpers/cli.js'

// The SQLite file holds the audit trail, sealed remote tokens and the cursor secret: owner-only, like the key
// file, whichever process creates it (the server and every CLI command open it through openStore). SQLite only.
describe.skipIf(process.platform === 'win32')('the SQLite store file is readable by its owner only', () => {
  let dir: string
  let umask: number
  let files = 0
  const fresh = () => join(dir, `store-${++files}.db`)
  const modeOf = (path: string) => statSync(path).mode & 0o777
  const withSidecars = (file: string) => [file, `${file}-wal`, `${file}-shm`]

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'gatehouse-mode-'))
    // The usual umask, under which SQLite alone creates the files 0644.
    umask = process.umask(0o022)
  })
  afterAll(() => {
    process.umask(umask)
    rmSync(dir, { recursive: true, force: true })
  })

  it('creates a fresh store file, its -wal and its -shm 0600 under umask 022', async () => {
    const file = fresh()
    const store = await openStore({ sqliteFile: file })
    try {
      await store.write((q) => createApiKey(q, 'file mode'))
      for (const path of withSidecars(file)) {
        expect(existsSync(path), path).toBe(true)
        expect(modeOf(path).toString(8), path).toBe('600')
      }
    } finally {
      await store.close()
    }
  })

  it('a CLI command on a fresh --db creates it 0600 too', async () => {
    const file = fresh()
    const res = await runCliInProcess([
      'workspace',
      'create',
      '--name',
      'M',
      '--slug',
      'mode',
      '--owner-email',
      'o@mode.example',
      '--db',
      file,
    ])
    expect(res).toMatchObject({ code: 0, stderr: '' })
    expect(modeOf(file).toString(8)).toBe('600')
  })

  it('takes group and other permissions away from an existing file, -wal and -shm it owns', async () => {
    // A store as earlier versions left it: 0644, open in another process (its -wal and -shm 0644 too).
    const file = fresh()
    const before = await openStore({ sqliteFile: file })
    await before.close()
    chmodSync(file, 0o664)
    const other = new Database(file)
    try {
      other.pragma('journal_mode = WAL')
      other.exec('create table if not exists t (x)')
      other.exec('insert into t values (1)')
      chmodSync(`${file}-wal`, 0o644)
      chmodSync(`${file}-shm`, 0o640)
      const store = await openStore({ sqliteFile: file })
      try {
        await store.write((q) => createApiKey(q, 'tightened'))
        for (const path of withSidecars(file)) expect(modeOf(path).toString(8), path).toBe('600')
      } finally {
        await store.close()
      }
    } finally {
      other.close()
    }
  })
})
