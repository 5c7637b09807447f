import { run } from './cli/program.js'

// `serve` keeps running until a signal; every other command ends with its exit code.
const code = await run(process.argv.slice(2))
if (code !== 0) process.exitCode = code
