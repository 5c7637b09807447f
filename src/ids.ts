import { randomBytes } from 'node:crypto'

// ASCII order, so ids sort bytewise in creation order (SQLite and PostgreSQL's "C" collation alike).
const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'
const ID_LENGTH = 27

// Process-wide on purpose: ids stay ordered across every server and store in the process.
let lastMs = 0
let counter = 0

/**
 * A 27-character base62 id, like Segment's KSUID-style ids: 6 bytes of milliseconds, a 2-byte
 * per-process counter and 12 random bytes. Ids made later sort later, which keyset pagination uses.
 */
export function newId(): string {
  const now = Date.now()
  counter = now === lastMs ? (counter + 1) & 0xffff : 0
  lastMs = now
  const bytes = Buffer.alloc(20)
  bytes.writeUIntBE(now, 0, 6)
  bytes.writeUInt16BE(counter, 6)
  randomBytes(12).copy(bytes, 8)
  let n = BigInt(`0x${bytes.toString('hex')}`)
  let out = ''
  while (n > 0n) {
    out = ALPHABET[Number(n % 62n)] + out
    n /= 62n
  }
  return out.padStart(ID_LENGTH, '0')
}

/** `length` random base62 characters, for secrets. */
export function randomBase62(length: number): string {
  const bytes = randomBytes(length * 2)
  let out = ''
  for (const b of bytes) {
    if (b < 248) out += ALPHABET[b % 62] // 248 = 4 × 62: keeps the draw uniform
    if (out.length === length) return out
  }
  return out + randomBase62(length - out.length)
}
