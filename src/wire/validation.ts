import Ajv from 'ajv'
import addFormats from 'ajv-formats'
import type { FastifySchemaCompiler } from 'fastify'

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
