import { createHash, timingSafeEqual } from 'node:crypto'
import { randomBase62 } from '../ids.js'

/** Public API tokens look like Segment's (`sgp_…`); only their SHA-256 is stored. */
export function newTokenSecret(): string {
  return `sgp_${randomBase62(64)}`
}

/** Directory API keys are told apart from workspace tokens by their prefix. */
export function newApiKeySecret(): string {
  return `ghk_${randomBase62(64)}`
}

/** Secrets are 64 random base62 characters, so one unsalted SHA-256 is enough to make them unguessable at rest. */
export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex')
}

/** Constant-time comparison of two secrets of any length (hashing first equalises the lengths). */
export function secretsEqual(a: string, b: string): boolean {
  return timingSafeEqual(createHash('sha256').update(a).digest(), createHash('sha256').update(b).digest())
}

/** The token in `Authorization: Bearer <token>`, or undefined. */
export function bearerToken(header: string | undefined): string | undefined {
  if (header === undefined) return undefined
  const match = /^Bearer[ ]+(\S{1,512})\s*$/i.exec(header)
  return match?.[1]
}
