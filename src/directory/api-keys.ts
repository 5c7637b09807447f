import { hashSecret, newApiKeySecret } from '../auth/secrets.js'
import { isoNow } from '../clock.js'
import { newId } from '../ids.js'
import type { Queries } from '../store/queries/index.js'

/** Creates a directory API key; the secret is returned once and stored only as a hash. */
export async function createApiKey(q: Queries, description: string) {
  const secret = newApiKeySecret()
  const key = { id: newId(), description, created_at: isoNow(q.clock), revoked_at: null }
  await q.apiKeys.insert({ ...key, secret_hash: hashSecret(secret) })
  return { key: { id: key.id, description: key.description, created_at: key.created_at }, secret }
}
