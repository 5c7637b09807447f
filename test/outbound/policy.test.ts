import { createServer, type LookupFunction, type Server, type Socket } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ConfigError, resolveServeConfig } from '../../src/config.js'
import { Outbound } from '../../src/outbound/fetch.js'
import { isInternalAddress, parseHostRule, RefusedTargetError, RemoteHostPolicy } from '../../src/outbound/policy.js'

/*
 * The allow-list and the address check as functions. No request here goes anywhere but 127.0.0.1: private
 * and link-local addresses are proven refused by the check itself, never by sending them traffic.
 */

describe('internal addresses', () => {
  it('counts loopback, private, link-local, unspecified and every special range as internal', () => {
    for (const address of [
      '127.0.0.1',
      '127.255.255.254',
      '0.0.0.0',
      '10.0.0.1',
      '172.16.0.1',
      '172.31.255.255',
      '192.168.1.1',
      '169.254.169.254', // cloud metadata
      '100.64.0.1',
      '198.18.0.1',
      '224.0.0.1',
      '255.255.255.255',
      '::',
      '::1',
      '[::1]',
      '::ffff:127.0.0.1',
      '::ffff:169.254.169.254',
      '::ffff:a9fe:a9fe',
      '64:ff9b::a9fe:a9fe', // NAT64 of 169.254.169.254
      '2002:a9fe:a9fe::1', // 6to4 of it
      'fc00::1',
      'fd12:3456::1',
      'fe80::1',
      'fe80::1%eth0',
      'ff02::1',
      'not-an-address',
    ])
      expect(isInternalAddress(address), address).toBe(true)
  })

  it('counts public unicast addresses as public', () => {
    for (const address of ['8.8.8.8', '52.94.236.248', '172.32.0.1', '192.169.0.1', '2606:4700:4700::1111', '2a00:1450:4001::200e'])
      expect(isInternalAddress(address), address).toBe(false)
  })
})

describe('allow-list entries', () => {
  it('reads host, host:port, wildcards and IP literals in every spelling a URL accepts', () => {
    expect(parseHostRule('Gatehouse.Example.com')).toEqual({
      host: 'gatehouse.example.com',
      wildcard: false,
      port: undefined,
      internalOk: true,
    })
    expect(parseHostRule('gatehouse.example.com:8443')).toMatchObject({ host: 'gatehouse.example.com', port: 8443 })
    expect(parseHostRule('*.corp.example')).toEqual({ host: 'corp.example', wildcard: true, port: undefined, internalOk: false })
    expect(parseHostRule('2130706433:4100')).toMatchObject({ host: '127.0.0.1', port: 4100 })
    expect(parseHostRule('127.1')).toMatchObject({ host: '127.0.0.1' })
    expect(parseHostRule('[::1]:4100')).toMatchObject({ host: '::1', port: 4100 })
    expect(parseHostRule('::1')).toMatchObject({ host: '::1', port: undefined })
    expect(parseHostRule('host:80')).toMatchObject({ port: 80 }) // a default port still restricts
  })

  it('refuses entries that are not a host', () => {
    for (const entry of [
      '',
      'http://x.example',
      'x.example/path',
      'user@x.example',
      '*.',
      '*.com',
      'a.*.example',
      '*.10.0.0.1',
      'x:0',
      'x:99999',
    ])
      expect(() => parseHostRule(entry), entry).toThrow(/--allow-remote-host/)
  })

  it("matches Segment's hosts by default and the operator's by host, port and wildcard", () => {
    const policy = new RemoteHostPolicy(['gh.example.com:8443', '*.corp.example', '127.0.0.1'])
    const allows = (url: string) => policy.allows(new URL(url))
    expect(allows('https://api.segmentapis.com/users')).toBe(true)
    expect(allows('https://EU1.api.segmentapis.com./users')).toBe(true)
    expect(allows('https://api.segmentapis.com.evil.example/')).toBe(false)
    expect(allows('https://gh.example.com:8443/')).toBe(true)
    expect(allows('https://gh.example.com/')).toBe(false)
    expect(allows('https://a.b.corp.example/')).toBe(true)
    expect(allows('https://corp.example/')).toBe(false)
    expect(allows('https://evilcorp.example/')).toBe(false)
    expect(allows('http://127.0.0.1:4100/')).toBe(true)
    expect(allows('http://2130706433:4100/')).toBe(true) // the same address, spelled otherwise
    expect(allows('http://[::1]:4100/')).toBe(false)
    expect(allows('ftp://127.0.0.1/')).toBe(false)
    // Internal addresses: only hosts named exactly.
    expect(policy.internalOk('127.0.0.1')).toBe(true)
    expect(policy.internalOk('gh.example.com')).toBe(true)
    expect(policy.internalOk('a.corp.example')).toBe(false)
    expect(policy.internalOk('api.segmentapis.com')).toBe(false)
  })

  it('comes from repeated flags or a comma-separated variable, flags first, and refuses a bad entry at start', () => {
    expect(resolveServeConfig({ allowRemoteHost: ['a.example', 'b.example:1'] }, {}).allowRemoteHosts).toEqual(['a.example', 'b.example:1'])
    expect(resolveServeConfig({}, { GATEHOUSE_ALLOW_REMOTE_HOSTS: ' a.example, *.b.example ,' }).allowRemoteHosts).toEqual([
      'a.example',
      '*.b.example',
    ])
    expect(resolveServeConfig({ allowRemoteHost: ['c.example'] }, { GATEHOUSE_ALLOW_REMOTE_HOSTS: 'a.example' }).allowRemoteHosts).toEqual([
      'c.example',
    ])
    expect(resolveServeConfig({}, {}).allowRemoteHosts).toEqual([])
    expect(() => resolveServeConfig({}, { GATEHOUSE_ALLOW_REMOTE_HOSTS: 'http://x' })).toThrow(ConfigError)
    expect(resolveServeConfig({}, {}).remoteBodyLimitBytes).toBe(10 * 1024 * 1024)
    expect(resolveServeConfig({ remoteBodyLimit: '2' }, {}).remoteBodyLimitBytes).toBe(2 * 1024 * 1024)
    expect(() => resolveServeConfig({ remoteBodyLimit: '0' }, {})).toThrow(ConfigError)
  })
})

describe('the guarded fetch: the address a name resolves to is checked as the socket connects', () => {
  let listener: Server
  let port: number
  let connections = 0
  const sockets = new Set<Socket>()
  beforeAll(async () => {
    listener = createServer((socket) => {
      connections++
      sockets.add(socket)
      socket.end('HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 2\r\nconnection: close\r\n\r\n{}')
    })
    await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve))
    port = (listener.address() as { port: number }).port
  })
  afterAll(async () => {
    for (const socket of sockets) socket.destroy()
    await new Promise<void>((resolve) => listener.close(() => resolve()))
  })

  /** A DNS answer played by the test: every name resolves to these addresses. */
  const resolvingTo =
    (...addresses: string[]): LookupFunction =>
    (_hostname, _options, callback) =>
      (callback as unknown as (e: null, a: { address: string; family: number }[]) => void)(
        null,
        addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 })),
      )

  const get = (outbound: Outbound, url: string) => outbound.fetch(url, { method: 'GET', headers: {} })

  it('refuses an allowed wildcard name whose DNS answer is loopback, without connecting (DNS rebinding)', async () => {
    const outbound = new Outbound(new RemoteHostPolicy(['*.rebind.test']), undefined, resolvingTo('127.0.0.1'))
    const before = connections
    await expect(get(outbound, `http://a.rebind.test:${port}/`)).rejects.toThrow(RefusedTargetError)
    // One public address among internal ones is not enough: the socket could try any of them.
    const mixed = new Outbound(new RemoteHostPolicy(['*.rebind.test']), undefined, resolvingTo('8.8.8.8', '127.0.0.1'))
    await expect(get(mixed, `http://b.rebind.test:${port}/`)).rejects.toThrow(/resolves to\) a loopback, private or link-local/)
    expect(connections).toBe(before)
    // The same name named exactly by the operator may be internal: the request goes through.
    const exact = new Outbound(new RemoteHostPolicy(['a.rebind.test']), undefined, resolvingTo('127.0.0.1'))
    expect((await get(exact, `http://a.rebind.test:${port}/`)).status).toBe(200)
    expect(connections).toBe(before + 1)
    await Promise.all([outbound.close(), mixed.close(), exact.close()])
  })

  it('refuses every spelling of an internal IP literal not on the list, before any connection', async () => {
    const outbound = new Outbound(new RemoteHostPolicy([]))
    const before = connections
    for (const host of ['127.0.0.1', '2130706433', '0x7f.1', '127.1', '[::ffff:127.0.0.1]', 'localhost']) {
      const error = await get(outbound, `http://${host}:${port}/`).catch((e: unknown) => e)
      expect(error, host).toBeInstanceOf(RefusedTargetError)
      expect((error as Error).message, host).toMatch(/^Remote host \S+ is not allowed: Gatehouse connects only to Segment's API hosts/)
    }
    expect(connections).toBe(before)
    await outbound.close()
  })
})
