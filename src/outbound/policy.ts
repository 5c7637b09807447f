import { BlockList, isIP } from 'node:net'

/*
 * Where Gatehouse may send a request of its own (a directory connection's remote; later OIDC discovery and
 * keys). A caller with a directory key chooses the URL, so without this it could make the server reach
 * anything the server can: its own admin port, a database, a cloud metadata service.
 */

/** Segment's Public API hosts (US and EU): always allowed, on public addresses only. */
export const SEGMENT_API_HOSTS = ['api.segmentapis.com', 'eu1.api.segmentapis.com']

export interface HostRule {
  /** Lower-case host name or IP literal (IPv6 without brackets); for a wildcard, the suffix after `*.`. */
  host: string
  wildcard: boolean
  /** Undefined: any port. */
  port: number | undefined
  /**
   * May the host be reached on an internal address? Only for hosts the operator named exactly: a wildcard
   * covers names anyone under that domain may point anywhere, and Segment's hosts are never internal.
   */
  internalOk: boolean
}

/** The target is not allowed: said the same way whatever is (or is not) listening there. */
export class RefusedTargetError extends Error {
  override readonly name = 'RefusedTargetError'
}

export class AllowListError extends Error {}

/** Loopback, private, link-local, unspecified, shared, documentation, multicast and reserved ranges. */
const INTERNAL = new BlockList()
for (const [prefix, bits] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.88.99.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 3], // multicast, reserved and broadcast
] as const)
  INTERNAL.addSubnet(prefix, bits, 'ipv4')
// IPv4-mapped addresses (::ffff:a.b.c.d) are checked against the IPv4 ranges by BlockList itself.
for (const [prefix, bits] of [
  ['::', 96], // unspecified, loopback, IPv4-compatible
  ['64:ff9b::', 96], // NAT64: reaches IPv4 addresses through a gateway
  ['64:ff9b:1::', 48],
  ['100::', 64],
  ['2001::', 32], // Teredo
  ['2001:db8::', 32],
  ['2002::', 16], // 6to4
  ['fc00::', 7], // unique local
  ['fe80::', 10], // link-local
  ['fec0::', 10],
  ['ff00::', 8],
] as const)
  INTERNAL.addSubnet(prefix, bits, 'ipv6')

/** True for any address that is not a public unicast one. */
export function isInternalAddress(address: string): boolean {
  const bare = address.replace(/^\[|\]$/g, '').replace(/%.*$/, '')
  const family = isIP(bare)
  if (family === 0) return true // not an address at all: never treat as public
  return INTERNAL.check(bare, family === 4 ? 'ipv4' : 'ipv6')
}

/** A URL's host as rules hold it: lower case, IPv6 without brackets, no trailing dot. */
export function hostOf(url: URL): string {
  return url.hostname.replace(/^\[|\]$/g, '').replace(/\.$/, '')
}

export function portOf(url: URL): number {
  return url.port === '' ? (url.protocol === 'https:' ? 443 : 80) : Number(url.port)
}

/**
 * Reads one `--allow-remote-host` entry: `host`, `host:port`, `*.example.com`, `*.example.com:443`,
 * `10.0.0.5`, `[::1]:4100`. Host names and IP literals are normalised as a URL would spell them, so
 * `127.1` and `2130706433` both mean 127.0.0.1.
 */
export function parseHostRule(entry: string): HostRule {
  const raw = entry.trim()
  const bad = (why: string) => new AllowListError(`--allow-remote-host ${JSON.stringify(entry)}: ${why}`)
  const match = /^(\[[^\]]+\]|[^:]+)(?::(\d{1,5}))?$/.exec(raw) ?? /^([0-9a-fA-F:]+)$/.exec(raw) // a bare IPv6 address
  if (!match?.[1]) throw bad('expected host, host:port or *.domain')
  const port = match[2] === undefined ? undefined : Number(match[2])
  if (port !== undefined && (port < 1 || port > 65535)) throw bad('port must be 1 to 65535')
  const wildcard = match[1].startsWith('*.')
  const name = wildcard ? match[1].slice(2) : match[1]
  if (name.includes('*')) throw bad('a wildcard may only be a leading *.')
  let host: string
  try {
    const spelled = isIP(name) === 6 ? `[${name}]` : name
    const url = new URL(`http://${spelled}/`)
    if (url.username || url.password || url.pathname !== '/' || url.port) throw new Error()
    host = hostOf(url)
  } catch {
    throw bad('not a host name or IP address')
  }
  if (wildcard && (isIP(host) !== 0 || !host.includes('.'))) throw bad('a wildcard needs a domain with a dot, e.g. *.example.com')
  return { host, wildcard, port, internalOk: !wildcard }
}

/** Segment's hosts, plus what the operator allows. */
export class RemoteHostPolicy {
  readonly rules: readonly HostRule[]

  constructor(operatorEntries: readonly string[] = []) {
    const defaults = SEGMENT_API_HOSTS.map((host) => ({ host, wildcard: false, port: undefined, internalOk: false }))
    this.rules = [...defaults, ...operatorEntries.filter((e) => e.trim() !== '').map(parseHostRule)]
  }

  /** The rules that let this URL's host and port through (none: refused). */
  rulesFor(url: URL): HostRule[] {
    const host = hostOf(url)
    const port = portOf(url)
    return this.rules.filter(
      (r) => (r.port === undefined || r.port === port) && (r.wildcard ? host.endsWith(`.${r.host}`) : host === r.host),
    )
  }

  allows(url: URL): boolean {
    return (url.protocol === 'http:' || url.protocol === 'https:') && this.rulesFor(url).length > 0
  }

  /** Throws the one refusal for a URL whose host and port are not allowed. */
  check(url: URL): void {
    if (!this.allows(url)) throw notAllowed(url)
  }

  /** Whether a host name may resolve to (or be) an internal address. */
  internalOk(host: string): boolean {
    const bare = host
      .replace(/^\[|\]$/g, '')
      .replace(/\.$/, '')
      .toLowerCase()
    return this.rules.some((r) => r.internalOk && r.host === bare)
  }
}

/** Whether a stored status says the allow-list refused the host (so allowing it again clears it). */
export const isRefusal = (message: string | null) => message !== null && /^Remote host \S+ is not allowed:/.test(message)

export function notAllowed(url: URL): RefusedTargetError {
  return new RefusedTargetError(
    `Remote host ${url.host} is not allowed: Gatehouse connects only to Segment's API hosts and hosts its operator allows (--allow-remote-host)`,
  )
}

export function internalRefused(host: string): RefusedTargetError {
  return new RefusedTargetError(
    `Remote host ${host} is not allowed: it is (or resolves to) a loopback, private or link-local address, which only a host the operator names exactly with --allow-remote-host may be`,
  )
}
