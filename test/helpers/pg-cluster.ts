import { execFileSync } from 'node:child_process'
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/**
 * A private PostgreSQL cluster (initdb in a temp folder, its own port) for tests that stop and restart
 * the database: stopping the shared server would break every other suite running beside it.
 */
export interface PrivateCluster {
  url: string
  stop(): void
  start(): void
  destroy(): void
}

function binDir(): string {
  const versions = readdirSync('/usr/lib/postgresql').sort()
  const version = versions[versions.length - 1]
  if (!version) throw new Error('no PostgreSQL binaries under /usr/lib/postgresql')
  return join('/usr/lib/postgresql', version, 'bin')
}

/** PostgreSQL refuses to run as root; run its tools as the `postgres` user when we are root. */
function asPostgres(command: string, args: string[]): void {
  const run = process.getuid?.() === 0 ? ['runuser', ['-u', 'postgres', '--', command, ...args]] : [command, args]
  execFileSync(run[0] as string, run[1] as string[], { stdio: 'pipe' })
}

export const canRunPrivateCluster = (): boolean => existsSync('/usr/lib/postgresql')

export function startPrivateCluster(port: number): PrivateCluster {
  const bin = binDir()
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-pg-'))
  const data = join(dir, 'data')
  if (process.getuid?.() === 0)
    chownSync(dir, Number(execFileSync('id', ['-u', 'postgres']).toString()), Number(execFileSync('id', ['-g', 'postgres']).toString()))
  asPostgres(join(bin, 'initdb'), ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync'])
  const ctl = (action: string, extra: string[] = []) => asPostgres(join(bin, 'pg_ctl'), ['-D', data, '-w', '-t', '30', ...extra, action])
  const start = () => ctl('start', ['-o', `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`, '-l', join(dir, 'log')])
  start()
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    stop: () => ctl('stop', ['-m', 'fast']),
    start,
    destroy() {
      try {
        ctl('stop', ['-m', 'immediate'])
      } catch {
        // already stopped
      }
      rmSync(dir, { recursive: true, force: true })
    },
  }
}
