import { createHmac, timingSafeEqual } from 'node:crypto'

/** A position in one list: continue after or before a key (null = from the start). */
export interface Position {
  direction: 'after' | 'before'
  key: string[] | null
}

const MAX_CURSOR_LENGTH = 2048

/**
 * Opaque, signed cursors. The payload names the list it belongs to, so a cursor from /users cannot
 * page /groups; the HMAC (keyed by the store's secret, shared by every replica) means a cursor the
 * server did not issue is refused (a 422, see pagination.ts) instead of producing a silently wrong page.
 */
export class CursorCodec {
  constructor(private readonly secret: string) {}

  encode(list: string, position: Position): string {
    const payload = Buffer.from(JSON.stringify({ l: list, d: position.direction === 'after' ? 'a' : 'b', k: position.key })).toString(
      'base64url',
    )
    return `${payload}.${this.sign(payload)}`
  }

  /** The position `cursor` names, or undefined when this server did not issue it for `list`. */
  decode(list: string, cursor: string): Position | undefined {
    if (cursor.length > MAX_CURSOR_LENGTH) return undefined
    const [payload, signature, ...rest] = cursor.split('.')
    if (payload === undefined || signature === undefined || rest.length > 0) return undefined
    const expected = Buffer.from(this.sign(payload))
    const given = Buffer.from(signature)
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined
    let parsed: unknown
    try {
      parsed = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'))
    } catch {
      return undefined
    }
    const { l, d, k } = parsed as { l?: unknown; d?: unknown; k?: unknown }
    if (l !== list || (d !== 'a' && d !== 'b')) return undefined
    if (k !== null && !(Array.isArray(k) && k.every((x) => typeof x === 'string'))) return undefined
    return { direction: d === 'a' ? 'after' : 'before', key: k as string[] | null }
  }

  private sign(payload: string): string {
    return createHmac('sha256', this.secret).update(payload).digest('base64url').slice(0, 22)
  }
}
