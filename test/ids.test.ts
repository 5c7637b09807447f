import { describe, expect, it } from 'vitest'
import { newId } from '../src/ids.js'

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'

/** The reference inverse: base62 back to the 20 bytes, with BigInt. */
function bytesOf(id: string): Buffer {
  let n = 0n
  for (const c of id) n = n * 62n + BigInt(ALPHABET.indexOf(c))
  return Buffer.from(n.toString(16).padStart(40, '0'), 'hex')
}

describe('newId', () => {
  it('encodes milliseconds, a counter and random bytes as 27 base62 characters that sort in creation order', () => {
    const before = Date.now()
    const ids = Array.from({ length: 20_000 }, () => newId())
    const after = Date.now()
    for (const id of ids) expect(id).toMatch(/^[0-9A-Za-z]{27}$/)
    expect([...ids].sort()).toEqual(ids)
    expect(new Set(ids).size).toBe(ids.length)
    const decoded = ids.map(bytesOf)
    for (const bytes of decoded) {
      const ms = bytes.readUIntBE(0, 6)
      expect(ms).toBeGreaterThanOrEqual(before)
      expect(ms).toBeLessThanOrEqual(after)
    }
    // Within one millisecond the counter counts up by one.
    for (let i = 1; i < decoded.length; i++) {
      const [a, b] = [decoded[i - 1] as Buffer, decoded[i] as Buffer]
      if (a.readUIntBE(0, 6) === b.readUIntBE(0, 6)) expect(b.readUInt16BE(6)).toBe((a.readUInt16BE(6) + 1) & 0xffff)
    }
    // The random part differs from id to id (the pool is not handed out twice).
    expect(new Set(decoded.map((b) => b.subarray(8).toString('hex'))).size).toBe(ids.length)
  })
})
