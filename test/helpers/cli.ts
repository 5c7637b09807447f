import { vi } from 'vitest'
import { run } from '../../src/cli/program.js'

export interface CliResult {
  code: number
  stdout: string
  stderr: string
}

/** Runs the CLI in this process (`gatehouse <args>`) and captures its exit code and what it prints. */
export async function runCliInProcess(args: string[]): Promise<CliResult> {
  const out: string[] = []
  const err: string[] = []
  const stdout = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    out.push(String(chunk))
    return true
  })
  const stderr = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
    err.push(String(chunk))
    return true
  })
  try {
    const code = await run(args)
    return { code, stdout: out.join(''), stderr: err.join('') }
  } finally {
    stdout.mockRestore()
    stderr.mockRestore()
  }
}
