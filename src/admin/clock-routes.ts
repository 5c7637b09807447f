import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { type Clock, ManualClock } from '../clock.js'
import { ConflictError, ValidationError } from '../errors.js'
import { data } from '../iam/schemas/common.js'

export interface ClockRouteDeps {
  clock: Clock
}

const ClockOutput = data({
  now: Type.String({ format: 'date-time', description: "The server's time now" }),
  controllable: Type.Literal(true),
})

const ClockInput = Type.Object(
  {
    set: Type.Optional(Type.String({ description: 'Jump to this ISO 8601 time (backwards too)', examples: ['2030-01-01T00:00:00Z'] })),
    advanceMs: Type.Optional(
      Type.Integer({ minimum: 0, maximum: 100 * 365 * 86_400_000, description: 'Then move forward this many milliseconds' }),
    ),
  },
  { additionalProperties: false },
)

/**
 * The emulator's clock, behind the admin key (registered inside the admin plugin): read, set or advance the
 * time the server decides by. Only a server started with `--clock manual` (or `startGatehouse({ clock })`)
 * has a clock to move; any other answers 409, so a production server's time can never be changed.
 */
export const clockRoutes: FastifyPluginAsyncTypebox<ClockRouteDeps> = async (app, { clock }) => {
  const manual = (): ManualClock => {
    if (clock instanceof ManualClock) return clock
    throw new ConflictError(
      'This server runs on the system clock, which cannot be read or moved here: start it with --clock manual (env GATEHOUSE_CLOCK=manual) or startGatehouse({ clock: "manual" })',
    )
  }
  const present = (c: ManualClock) => ({ data: { now: c.now().toISOString(), controllable: true as const } })

  app.get(
    '/clock',
    { schema: { description: "The manual clock's time (409 on the system clock).", response: { 200: ClockOutput } } },
    async () => present(manual()),
  )

  app.post(
    '/clock',
    {
      schema: {
        description: 'Sets the manual clock (`set`), then advances it (`advanceMs`); answers the new time. 409 on the system clock.',
        body: ClockInput,
        response: { 200: ClockOutput },
      },
    },
    async (req) => {
      const c = manual()
      const { set, advanceMs } = req.body
      if (set === undefined && advanceMs === undefined)
        throw new ValidationError('Give set (an ISO 8601 time) or advanceMs, or both', 'set')
      if (set !== undefined) {
        if (!/^\d{4}-\d\d-\d\dT/.test(set) || Number.isNaN(Date.parse(set)))
          throw new ValidationError(`set: ${set} is not an ISO 8601 time such as 2030-01-01T00:00:00Z`, 'set')
        c.set(set)
      }
      if (advanceMs !== undefined) c.advance(advanceMs)
      return present(c)
    },
  )
}
