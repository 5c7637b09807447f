import { afterAll, describe, expect, it } from 'vitest'
import { ConfigError, trustProxy } from '../../src/config.js'
import { type Gatehouse, startGatehouse } from '../helpers/gatehouse.js'
import { GOOD_PASSWORD, memberWithPassword, storeSql } from './support.js'

// Who the client is decides the per-address sign-in budget and what a session records: X-Forwarded-For is
// believed only from proxies the operator names.

describe('--trust-proxy', () => {
  const servers: Gatehouse[] = []
  afterAll(async () => {
    for (const gh of servers) await gh.stop()
  })

  /** Signs a member in through a "proxy" that says the client is 203.0.113.7; answers the address the session records. */
  async function recordedAddress(options: { trustProxy?: string }): Promise<string> {
    const gh = await startGatehouse(options)
    servers.push(gh)
    const { browser } = await memberWithPassword(gh, storeSql(gh), `proxied.${servers.length}@example.com`)
    await browser.delete('/console/api/session')
    const signedIn = await browser.post(
      '/console/api/session',
      { email: `proxied.${servers.length}@example.com`, password: GOOD_PASSWORD },
      { 'x-forwarded-for': '203.0.113.7' },
    )
    expect(signedIn.status, signedIn.text).toBe(200)
    const sessions = await browser.get('/console/api/account/sessions')
    const current = sessions.body.data.sessions.find((s: { current: boolean }) => s.current)
    return current.ip
  }

  it('ignores X-Forwarded-For by default: a client cannot pick its address', async () => {
    expect(await recordedAddress({})).toBe('127.0.0.1')
  })

  it('believes a named proxy, by address or by hops', async () => {
    expect(await recordedAddress({ trustProxy: '127.0.0.1' })).toBe('203.0.113.7')
    expect(await recordedAddress({ trustProxy: '1' })).toBe('203.0.113.7')
    expect(await recordedAddress({ trustProxy: '10.0.0.0/8' })).toBe('127.0.0.1') // not this proxy
  })

  it('reads hops, addresses and ranges, and refuses anything else at start', () => {
    expect(trustProxy(undefined)).toBe(false)
    expect(trustProxy('off')).toBe(false)
    expect(trustProxy('2')).toBe(2)
    expect(trustProxy('10.0.0.0/8, 127.0.0.1 ,::1,fd00::/8')).toEqual(['10.0.0.0/8', '127.0.0.1', '::1', 'fd00::/8'])
    for (const bad of ['0', '11', 'true', 'proxy.example', '10.0.0.0/33', '10.0.0.0/8/1', '::1/129'])
      expect(() => trustProxy(bad), bad).toThrow(ConfigError)
  })
})
