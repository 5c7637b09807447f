import { setTimeout as sleep } from 'node:timers/promises'
import type { ServerProcess } from '../helpers/process.js'

export interface CrashWatch {
  /** `work`'s result, unless the server process dies first: then an error naming its exit code or signal, with its output. */
  alive<T>(work: Promise<T>): Promise<T>
  /** Throws that error if the process has exited. */
  assertAlive(): void
}

class ServerDied extends Error {}

/**
 * A server child process that dies mid-test shows up as requests failing with "other side closed" or
 * "fetch failed", which says nothing about why. Requests passed through `alive` fail with the process's
 * exit code or signal and everything it printed (a crash's stack trace is on its stderr) instead.
 */
export function watchForCrash(server: ServerProcess): CrashWatch {
  const { child } = server
  const dead = () => child.exitCode !== null || child.signalCode !== null
  const report = () =>
    `The server process died during the test (exit code ${child.exitCode}, signal ${child.signalCode}). Its output:\n${server.output()}`
  // 'close' comes after 'exit' once stdout and stderr are drained, so the report holds all of the output.
  const closed = new Promise<never>((_, reject) => {
    if (dead() && child.stdout?.closed !== false && child.stderr?.closed !== false) reject(new ServerDied(report()))
    else child.once('close', () => reject(new ServerDied(report())))
  })
  closed.catch(() => {}) // only rejects a test through alive() or assertAlive()
  return {
    async alive(work) {
      try {
        return await Promise.race([work, closed])
      } catch (error) {
        if (error instanceof ServerDied) throw error
        // A request cut off by the crash can fail before the exit reaches us: give it a moment to arrive.
        await Promise.race([closed.catch(() => {}), sleep(2_000)])
        if (dead()) throw new ServerDied(report(), { cause: error })
        throw error
      }
    },
    assertAlive() {
      if (dead()) throw new ServerDied(report())
    },
  }
}
