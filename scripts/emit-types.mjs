#!/usr/bin/env node
// The package's types: declarations of the public entry (src/emulator/index.ts, `import … from 'gatehouse'`)
// and of the modules its declarations refer to, nothing else, written beside the built JavaScript in dist/.
//
//   node scripts/emit-types.mjs        (npm pack runs it through `prepack`, after the build)
//
// Not `declaration: true` in tsconfig.build.json: that would make every module of the server declaration-clean
// or fail the build, for the sake of a handful that the package exposes.
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import ts from 'typescript'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const ENTRY = join(root, 'src/emulator/index.ts')

/** Emits the declarations of `entry` and of every relative module they import; returns the files written. */
export function emitTypes(entry = ENTRY) {
  const configFile = ts.readConfigFile(join(root, 'tsconfig.build.json'), ts.sys.readFile)
  const parsed = ts.parseJsonConfigFileContent(configFile.config, ts.sys, root)
  const options = { ...parsed.options, declaration: true, emitDeclarationOnly: true, stripInternal: true, sourceMap: false, noEmit: false }
  const program = ts.createProgram({ rootNames: [entry], options })
  const written = []
  const queue = [entry]
  const seen = new Set(queue)
  while (queue.length > 0) {
    const file = queue.shift()
    const source = program.getSourceFile(file)
    if (!source) throw new Error(`${relative(root, file)} is not part of the program`)
    let text = ''
    const result = program.emit(
      source,
      (name, data) => {
        ts.sys.writeFile(name, data)
        written.push(relative(root, name))
        text = data
      },
      undefined,
      true,
    )
    const problems = result.diagnostics.map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'))
    if (problems.length > 0) throw new Error(`declarations of ${relative(root, file)}:\n${problems.join('\n')}`)
    // Relative imports of the declaration (`from '../fixtures/schema.js'`) name modules the package must declare too.
    for (const [, spec] of text.matchAll(/(?:from '|import\(")(\.{1,2}\/[^'"]+)['"]/g)) {
      const next = resolve(dirname(file), spec.replace(/\.js$/, '.ts'))
      if (!seen.has(next)) {
        seen.add(next)
        queue.push(next)
      }
    }
  }
  return written
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const written = emitTypes()
  console.log(`Wrote ${written.length} declaration files: ${written.join(', ')}`)
}
