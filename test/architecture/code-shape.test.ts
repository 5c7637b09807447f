import { readdirSync, readFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import ts from 'typescript'
import { describe, expect, it } from 'vitest'

/*
 * The shape rules issue 12 set for src/, checked on the source text so they cannot quietly erode:
 * short functions, engine knowledge only in the dialects, no hidden per-server state at module level.
 */

const ROOT = new URL('../../', import.meta.url).pathname
const sources = (dir: string): string[] =>
  readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  )
const FILES = sources('src').map((file) => ({ file, text: readFileSync(join(ROOT, file), 'utf8') }))

type FunctionNode = ts.FunctionDeclaration | ts.MethodDeclaration | ts.ArrowFunction | ts.FunctionExpression
const isFunction = (n: ts.Node): n is FunctionNode =>
  ts.isFunctionDeclaration(n) || ts.isMethodDeclaration(n) || ts.isArrowFunction(n) || ts.isFunctionExpression(n)

/**
 * Each function's own lines: its span less the lines of the functions nested in it. A route plugin or a
 * query factory is a list of short handlers; it is long only if its own text (schemas, glue) is.
 */
function ownLines(file: string, text: string): { where: string; lines: number }[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true)
  const line = (pos: number) => source.getLineAndCharacterOfPosition(pos).line
  const found: { where: string; lines: number }[] = []
  const visit = (node: ts.Node, enclosing: Set<number> | undefined): void => {
    if (!isFunction(node)) {
      ts.forEachChild(node, (child) => visit(child, enclosing))
      return
    }
    const [first, last] = [line(node.getStart()), line(node.getEnd())]
    for (let l = first; l <= last; l++) enclosing?.add(l)
    const nested = new Set<number>()
    ts.forEachChild(node, (child) => visit(child, nested))
    found.push({ where: `${file}:${first + 1}`, lines: last - first + 1 - nested.size })
  }
  visit(source, undefined)
  return found
}

describe('the shape of src/', () => {
  it('has no function longer than 80 lines of its own', () => {
    const long = FILES.flatMap(({ file, text }) => ownLines(file, text)).filter((f) => f.lines > 80)
    expect(long).toEqual([])
  })

  it('keeps engine knowledge (adapters, error codes) in src/store/dialects and the migrations', () => {
    const engine = /PostgresAdapter|SqliteAdapter|SQLITE_[A-Z]+|\b(?:23505|40001|40P01|57P0\d)\b/
    const outside = FILES.filter(({ file }) => !/^src\/store\/(dialects|migrations)\//.test(file))
      .flatMap(({ file, text }) => text.split('\n').map((l, i) => ({ where: `${file}:${i + 1}`, l })))
      .filter(({ l }) => engine.test(l))
      .map(({ where }) => where)
    expect(outside).toEqual([])
  })

  it('keeps mutable state out of module scope unless a comment says why it is process-wide', () => {
    const offenders = FILES.flatMap(({ file, text }) => {
      const lines = text.split('\n')
      return lines.flatMap((l, i) =>
        /^(export )?(let |const \w+ = new (Weak)?Map\b)/.test(l) && !/process-wide/i.test(lines.slice(Math.max(0, i - 3), i + 1).join(' '))
          ? [`${relative('.', file)}:${i + 1}`]
          : [],
      )
    })
    expect(offenders).toEqual([])
  })
})
