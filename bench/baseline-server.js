// The baseline for bench/run.js: the smallest Fastify server that answers `GET /users` with Gatehouse's
// wire shape. The users sit in memory, sorted by id, so a page is an array slice plus JSON: no auth, no
// store, no validation. It runs in its own process, as Gatehouse does, so both get comparable CPU.
// Usage: node bench/baseline-server.js <users.json>  (prints `Baseline ready on http://127.0.0.1:PORT`)
import { readFileSync } from 'node:fs'
import Fastify from 'fastify'

const file = process.argv[2]
if (!file) {
  console.error('usage: node bench/baseline-server.js <users.json>')
  process.exit(2)
}
/** @type {{id: string, name: string, email: string, permissions: []}[]} */
const users = JSON.parse(readFileSync(file, 'utf8')).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))

// Cursors name the id to continue after (or before), like Gatehouse's keyset cursors, minus the signature.
const encode = (direction, id) => Buffer.from(`${direction}:${id ?? ''}`).toString('base64url')
function decode(cursor) {
  const text = Buffer.from(cursor, 'base64url').toString('utf8')
  const colon = text.indexOf(':')
  const direction = text.slice(0, colon)
  if (direction !== 'a' && direction !== 'b') return undefined
  return { direction, id: text.slice(colon + 1) || null }
}

/** Index of the first user whose id is greater than or equal to `id`. */
function lowerBound(id) {
  let lo = 0
  let hi = users.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if (users[mid].id < id) lo = mid + 1
    else hi = mid
  }
  return lo
}

const app = Fastify({ logger: false })

app.get('/users', async (req, reply) => {
  const count = Number(req.query['pagination[count]'] ?? 200)
  if (!Number.isInteger(count) || count < 1 || count > 1000) return reply.code(422).send({ errors: [{ type: 'validation' }] })
  const raw = req.query['pagination[cursor]']
  const position = raw ? decode(raw) : { direction: 'a', id: null }
  if (!position) return reply.code(422).send({ errors: [{ type: 'validation' }] })
  let start
  let end
  if (position.direction === 'a') {
    start = position.id === null ? 0 : lowerBound(position.id)
    if (position.id !== null && users[start]?.id === position.id) start++
    end = Math.min(start + count, users.length)
  } else {
    end = lowerBound(position.id)
    start = Math.max(0, end - count)
  }
  const page = users.slice(start, end)
  const first = page[0]
  const last = page[page.length - 1]
  return {
    data: {
      users: page,
      pagination: {
        current: encode(position.direction, position.id),
        next: end < users.length && last ? encode('a', last.id) : null,
        previous: start > 0 && first ? encode('b', first.id) : null,
        totalEntries: users.length,
      },
    },
  }
})

const url = await app.listen({ host: '127.0.0.1', port: 0 })
console.log(`Baseline ready on ${url} (${users.length} users in memory)`)
const stop = () => app.close().then(() => process.exit(0))
process.once('SIGTERM', stop)
process.once('SIGINT', stop)
