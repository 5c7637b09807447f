import { randomBytes, type ScryptOptions, scrypt, timingSafeEqual } from 'node:crypto'
import { emailKey } from '../email.js'
import { ValidationError } from '../errors.js'

export const MIN_PASSWORD_LENGTH = 12
/** Long passphrases are welcome; the bound only keeps one request from making scrypt chew megabytes. */
export const MAX_PASSWORD_LENGTH = 1000

// 32 MiB and roughly 50–130 ms per hash on one core: slow for a guesser, affordable for a burst of sign-ins on a
// small replica. The hash names its cost, so raising it later needs no migration.
const COST = { N: 2 ** 15, r: 8, p: 1 }
const KEY_BYTES = 32
const SALT_BYTES = 16
/** scrypt needs 128·N·r bytes; Node's default cap (32 MiB) is exactly that for COST, leaving no room. */
const MAX_MEMORY = 64 * 1024 * 1024

function derive(password: string, salt: Buffer, keyBytes: number, cost: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(password.normalize('NFC'), salt, keyBytes, { ...cost, maxmem: MAX_MEMORY }, (error, key) =>
      error ? reject(error) : resolve(key),
    ),
  )
}

/** A self-describing hash, `scrypt$N$r$p$salt$hash` (salt and hash in base64url). */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(SALT_BYTES)
  const key = await derive(password, salt, KEY_BYTES, COST)
  return ['scrypt', COST.N, COST.r, COST.p, salt.toString('base64url'), key.toString('base64url')].join('$')
}

/** Whether the password matches the stored hash; a malformed hash matches nothing. Constant-time comparison. */
export async function verifyPassword(stored: string, password: string): Promise<boolean> {
  const parsed = parseHash(stored)
  if (parsed === undefined) return false
  const key = await derive(password, parsed.salt, parsed.key.length, parsed.cost)
  return timingSafeEqual(key, parsed.key)
}

function parseHash(stored: string): { cost: ScryptOptions; salt: Buffer; key: Buffer } | undefined {
  const [scheme, n, r, p, salt, key, ...rest] = stored.split('$')
  if (scheme !== 'scrypt' || salt === undefined || key === undefined || rest.length > 0) return undefined
  const [N, R, P] = [Number(n), Number(r), Number(p)]
  // Bounded, so a damaged row cannot make one sign-in allocate gigabytes.
  if (!Number.isInteger(Math.log2(N)) || N < 2 ** 10 || !(R >= 1 && R <= 32) || !(P >= 1 && P <= 16)) return undefined
  if (128 * N * R >= MAX_MEMORY) return undefined
  const keyBuffer = Buffer.from(key, 'base64url')
  if (keyBuffer.length < 16 || keyBuffer.length > 64) return undefined
  return { cost: { N, r: R, p: P }, salt: Buffer.from(salt, 'base64url'), key: keyBuffer }
}

// Process-wide caches of constant data (one dummy hash, one word list), made the first time they are needed.
let dummy: Promise<string> | undefined

/**
 * A hash of a password nobody knows. A sign-in for an email without an account (or without a password yet)
 * is checked against it, so it takes as long and answers the same as a wrong password.
 */
export function dummyHash(): Promise<string> {
  dummy ??= hashPassword(randomBytes(32).toString('base64url'))
  return dummy
}

// Process-wide, like `dummy`.
let common: Promise<Set<string>> | undefined

/** The common-password list of zxcvbn-ts (~49,000 leaked passwords), loaded the first time a password is set. */
function commonPasswords(): Promise<Set<string>> {
  common ??= import('@zxcvbn-ts/language-common').then(
    // Shorter ones are refused by length already; keep only what the check can meet.
    ({ dictionary }) => new Set(dictionary['passwords-common'].filter((p) => p.length >= MIN_PASSWORD_LENGTH)),
  )
  return common
}

/** Refuses (422 naming `field`) a password that is too short, too long, common, or the person's email. */
export async function checkPasswordPolicy(password: string, email: string, field: string): Promise<void> {
  const length = [...password].length
  if (length < MIN_PASSWORD_LENGTH) throw new ValidationError(`The password must be at least ${MIN_PASSWORD_LENGTH} characters long`, field)
  if (length > MAX_PASSWORD_LENGTH) throw new ValidationError(`The password must be at most ${MAX_PASSWORD_LENGTH} characters long`, field)
  if (emailKey(password) === emailKey(email)) throw new ValidationError('The password must not be your email address', field)
  if ((await commonPasswords()).has(password.toLowerCase()))
    throw new ValidationError('This password is one of the most common ones; choose another', field)
}
