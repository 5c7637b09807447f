import { type ChildProcess, spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const MAIN = fileURLToPath(new URL('../../dist/main.js', import.meta.url))

export interface ServerProcess {
  url: string
  child: ChildProcess
  /** Everything the process printed so far (stdout and stderr). */
  output(): string
  /** SIGTERM and wait for exit; resolves with the exit code. */
  stop(): Promise<number | null>
  /** SIGKILL, as a crash. */
  kill(): Promise<void>
}

/**
 * Starts the built server (`dist/main.js serve …`, built by `npm test`'s pretest) as a child process
 * on a free port, and resolves once it prints its ready line. `exactly`: pass no flags but `args` (the
 * caller sets the port, e.g. GATEHOUSE_PORT=0), to run a command line as a deployment writes it.
 */
export async function spawnServer(args: string[], env: NodeJS.ProcessEnv = {}, { exactly = false } = {}): Promise<ServerProcess> {
  // Remotes in these tests are servers on loopback, which only an allow-list entry lets the directory reach.
  const defaults = exactly ? [] : ['--port', '0', '--log-level', 'warn', '--no-demo', '--allow-remote-host', '127.0.0.1']
  const child = spawn(process.execPath, [MAIN, 'serve', ...defaults, ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let text = ''
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start in time:\n${text}`)), 20_000)
    const onData = (chunk: Buffer) => {
      text += chunk.toString()
      const match = /Gatehouse ready on (http:\/\/\S+)/.exec(text)
      if (match?.[1]) {
        clearTimeout(timer)
        resolve(match[1])
      }
    }
    child.stdout?.on('data', onData)
    child.stderr?.on('data', onData)
    void exited.then((code) => {
      clearTimeout(timer)
      reject(new Error(`server exited with ${code} before it was ready:\n${text}`))
    })
  })
  return {
    url,
    child,
    output: () => text,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode
      child.kill('SIGTERM')
      return exited
    },
    async kill() {
      if (child.exitCode !== null || child.signalCode !== null) return
      child.kill('SIGKILL')
      await exited
    },
  }
}
