import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { serveCommand } from '../src/cli/commands/serve.js'
import * as errors from '../src/errors.js'

const doc = readFileSync(new URL('../docs/errors.md', import.meta.url), 'utf8')
const rows = [...doc.matchAll(/^\| `(\w+)` \| (\d{3}) \| `([\w-]+)` \|/gm)].map(([, name, status, type]) => ({
  name,
  status: Number(status),
  type,
}))

describe('docs/errors.md', () => {
  it('lists exactly the error classes of src/errors.ts', () => {
    const classes = Object.entries(errors)
      .filter(([, value]) => typeof value === 'function' && value.prototype instanceof errors.ApiError)
      .map(([name]) => name)
    expect(rows.map((r) => r.name).sort()).toEqual(classes.sort())
  })

  it('gives each class the status and type it really answers with', () => {
    const samples: errors.ApiError[] = [
      new errors.BadRequestError('x'),
      new errors.PlanError('x', 'team'),
      new errors.UnauthorizedError(),
      new errors.ForbiddenError(),
      new errors.NotAllowedError(),
      new errors.MfaRequiredError(),
      new errors.MfaEnrollmentRequiredError(),
      new errors.MfaVerificationRequiredError(),
      new errors.NotFoundError('x'),
      new errors.ConflictError('x'),
      new errors.SyncConflictError('x'),
      new errors.PayloadTooLargeError(1),
      new errors.UnsupportedMediaTypeError('text/plain'),
      new errors.ValidationError('x'),
      new errors.RateLimitError({ remainingPoints: 0, msBeforeNext: 1, consumedPoints: 1, resetAt: new Date() }),
      new errors.TooManyAttemptsError('x', 60),
      new errors.BadGatewayError('x'),
      new errors.UnavailableError(),
      new errors.InjectedFaultError(500),
    ]
    expect(samples).toHaveLength(rows.length)
    for (const error of samples) {
      const row = rows.find((r) => r.name === error.constructor.name)
      expect(row, error.constructor.name).toBeDefined()
      expect({ status: error.status, type: error.type }).toEqual({ status: row?.status, type: row?.type })
    }
  })
})

describe('README configuration table', () => {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8')
  const section = readme.slice(readme.indexOf('## Configuration'), readme.indexOf('\n## ', readme.indexOf('## Configuration') + 1))

  it('lists exactly the flags of `gatehouse serve`', () => {
    const documented = [...section.matchAll(/^\| `(--[\w-]+)`/gm)].map(([, flag]) => flag)
    const real = serveCommand().options.map((option) => option.long)
    expect(documented.sort()).toEqual(real.sort())
  })
})
