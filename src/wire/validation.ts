import Ajv from 'ajv'
import addFormats from 'ajv-formats'
import type { FastifyInstance, FastifySchemaCompiler } from 'fastify'
import { ValidationError } from '../errors.js'

/**
 * Two validators. Bodies are strict: no type coercion (a string where a number belongs is a 422) and
 * no silent dropping of unknown fields. Query strings and path params arrive as strings, so they are
 * coerced (`"2"` → 2, one value → a one-item array).
 */
function makeAjv(coerce: boolean) {
  const ajv = new Ajv.default({
    coerceTypes: coerce ? 'array' : false,
    useDefaults: true,
    removeAdditional: false,
    allErrors: false,
    strict: false,
  })
  addFormats.default(ajv, ['email', 'date-time'])
  return ajv
}

const bodyAjv = makeAjv(false)
const queryAjv = makeAjv(true)

export const validatorCompiler: FastifySchemaCompiler<unknown> = ({ schema, httpPart }) =>
  (httpPart === 'body' ? bodyAjv : queryAjv).compile(schema as object) as ReturnType<FastifySchemaCompiler<unknown>>

/**
 * Refuses U+0000 in path parameters, query strings and JSON bodies with a 422, on every route. PostgreSQL
 * cannot store it in text (the insert fails, a 500) and SQLite would store it, so the two stores would
 * disagree; no id, email, name or token of Segment's contains it.
 */
export function refuseNulCharacters(app: FastifyInstance): void {
  app.addHook('preValidation', async (req) => {
    for (const [part, value] of [
      ['params', req.params],
      ['query', req.query],
      ['body', req.body],
    ] as const) {
      const field = fieldWithNul(value)
      if (field !== undefined) {
        const name = field || part
        throw new ValidationError(`${name} must not contain the NUL character (U+0000)`, name)
      }
    }
  })
}

/** The top-level key under which a string or a key holds U+0000 ('' for a bare string); iterative, as bodies nest deep. */
function fieldWithNul(value: unknown): string | undefined {
  const hasNul = (s: string) => s.includes('\u0000')
  const stack: [unknown, string | undefined][] = [[value, undefined]]
  while (stack.length > 0) {
    const [v, top] = stack.pop() as [unknown, string | undefined]
    if (typeof v === 'string') {
      if (hasNul(v)) return top ?? ''
    } else if (v !== null && typeof v === 'object') {
      for (const [k, x] of Object.entries(v)) {
        const field = top ?? k
        if (hasNul(k)) return field.replaceAll('\u0000', '\\u0000')
        stack.push([x, field])
      }
    }
  }
  return undefined
}
