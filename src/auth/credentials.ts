import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto'
import { chmodSync, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs'

/** Raised at startup when the key is missing, malformed or not the one the store was sealed with. */
export class SecretKeyError extends Error {}

const KEY_BYTES = 32
const IV_BYTES = 12

/**
 * AES-256-GCM for third-party credentials (remote Public API tokens). A sealed value is
 * `v1.<iv>.<tag>.<ciphertext>` in base64url; GCM's tag makes a wrong key or a tampered value fail loudly.
 */
export class CredentialCipher {
  private constructor(private readonly key: Buffer) {}

  /**
   * From GATEHOUSE_SECRET_KEY (64 hex chars or 32 bytes base64) or a key file, created 0600 if absent and
   * `create` allows (a store already sealed with a key needs that key back, not a new one).
   */
  static load(options: { secretKey?: string | undefined; keyFile: string; create?: boolean }): CredentialCipher {
    if (options.secretKey) return new CredentialCipher(parseKey(options.secretKey, 'GATEHOUSE_SECRET_KEY'))
    if (!existsSync(options.keyFile)) {
      if (options.create === false)
        throw new SecretKeyError(
          `Key file ${options.keyFile} does not exist, but this database was sealed with a key: restore the key file, or set GATEHOUSE_SECRET_KEY`,
        )
      writeFileSync(options.keyFile, `${randomBytes(KEY_BYTES).toString('hex')}\n`, { mode: 0o600, flag: 'wx' })
      chmodSync(options.keyFile, 0o600)
    }
    const mode = statSync(options.keyFile).mode & 0o077
    if (mode !== 0) throw new SecretKeyError(`Key file ${options.keyFile} is readable by others; run: chmod 600 ${options.keyFile}`)
    return new CredentialCipher(parseKey(readFileSync(options.keyFile, 'utf8'), `key file ${options.keyFile}`))
  }

  seal(plaintext: string): string {
    const iv = randomBytes(IV_BYTES)
    const cipher = createCipheriv('aes-256-gcm', this.key, iv)
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()])
    return ['v1', iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), body.toString('base64url')].join('.')
  }

  open(sealed: string): string {
    const [version, iv, tag, body] = sealed.split('.')
    if (version !== 'v1' || !iv || !tag || body === undefined) throw new SecretKeyError('Sealed credential is malformed')
    const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64url'))
    decipher.setAuthTag(Buffer.from(tag, 'base64url'))
    try {
      return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8')
    } catch {
      throw new SecretKeyError('Sealed credential does not open with this key')
    }
  }
}

function parseKey(raw: string, source: string): Buffer {
  const text = raw.trim()
  const key = /^[0-9a-f]{64}$/i.test(text) ? Buffer.from(text, 'hex') : Buffer.from(text, 'base64')
  if (key.length !== KEY_BYTES) throw new SecretKeyError(`${source} must hold a 256-bit key: 64 hex characters or 32 bytes in base64`)
  return key
}

const KEY_CHECK = 'gatehouse-key-check'

/**
 * Checks the key against the store's sealed check value (written on first use), so a wrong key gives a
 * clear startup error instead of undecryptable tokens later.
 */
export async function verifyKey(
  cipher: CredentialCipher,
  check: { read(): Promise<string | undefined>; write(value: string): Promise<void> },
): Promise<void> {
  const sealed = await check.read()
  if (sealed === undefined) return check.write(cipher.seal(KEY_CHECK))
  let opened: string | undefined
  try {
    opened = cipher.open(sealed)
  } catch {
    opened = undefined
  }
  if (opened !== KEY_CHECK)
    throw new SecretKeyError('The secret key does not match the key this database was created with (GATEHOUSE_SECRET_KEY or the key file)')
}
