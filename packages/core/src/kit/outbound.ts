import { lookup as dnsLookup, type LookupAddress, type LookupAllOptions } from 'node:dns'
import { BlockList, isIP } from 'node:net'
import { HttpError } from './errors'

/**
 * Where a server-side request may go: the SSRF guard of every Groundwork package that calls URLs
 * a user supplied (webhook endpoints, remote JWKS, …).
 */
export interface OutboundPolicy {
  /**
   * Host names or IP literals exempt from the private-address check (`127.0.0.1`, `localhost`,
   * `hooks.internal`), compared case-insensitively with the URL's host (no port).
   * @default []
   */
  allowHosts?: readonly string[]
  /** Allow every private, loopback and link-local target (development only). @default false */
  allowPrivate?: boolean
}

/**
 * Addresses a server-side request must not reach unless allowed: loopback, RFC 1918 private,
 * link-local (cloud metadata at 169.254.169.254), CGNAT, "this network", multicast, reserved,
 * and their IPv6 counterparts (unique-local, link-local, IPv4-mapped and NAT64 forms).
 *
 * @see https://www.rfc-editor.org/rfc/rfc6890 (special-purpose address registries)
 * @see https://cheatsheetseries.owasp.org/cheatsheets/Server_Side_Request_Forgery_Prevention_Cheat_Sheet.html
 */
const BLOCKED = (() => {
  const list = new BlockList()
  for (const [network, prefix] of [
    ['0.0.0.0', 8],
    ['10.0.0.0', 8],
    ['100.64.0.0', 10],
    ['127.0.0.0', 8],
    ['169.254.0.0', 16],
    ['172.16.0.0', 12],
    ['192.0.0.0', 24],
    ['192.0.2.0', 24],
    ['192.168.0.0', 16],
    ['198.18.0.0', 15],
    ['198.51.100.0', 24],
    ['203.0.113.0', 24],
    ['224.0.0.0', 4],
    ['240.0.0.0', 4],
  ] as const) {
    list.addSubnet(network, prefix, 'ipv4')
  }
  for (const [network, prefix] of [
    ['::', 128],
    ['::1', 128],
    ['fc00::', 7],
    ['fe80::', 10],
    ['ff00::', 8],
    ['2001:db8::', 32],
  ] as const) {
    list.addSubnet(network, prefix, 'ipv6')
  }
  return list
})()

/** The IPv4 address embedded in an IPv4-mapped (`::ffff:a.b.c.d`), -compatible or NAT64 IPv6 address. */
function embeddedIpv4(address: string): string | null {
  const lower = address.toLowerCase()
  const dotted = /^(?:::ffff:|::|64:ff9b::)(\d{1,3}(?:\.\d{1,3}){3})$/.exec(lower)
  if (dotted) return dotted[1] as string
  const hex = /^(?:::ffff:|64:ff9b::)([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(lower)
  if (hex) {
    const high = Number.parseInt(hex[1] as string, 16)
    const low = Number.parseInt(hex[2] as string, 16)
    return `${high >> 8}.${high & 255}.${low >> 8}.${low & 255}`
  }
  return null
}

/** True when `address` (an IP literal) is private, loopback, link-local or otherwise not public. */
export function isPrivateAddress(address: string): boolean {
  const bare = address.startsWith('[') && address.endsWith(']') ? address.slice(1, -1) : address
  const family = isIP(bare)
  if (family === 4) return BLOCKED.check(bare, 'ipv4')
  if (family === 6) {
    const v4 = embeddedIpv4(bare)
    if (v4 !== null) return BLOCKED.check(v4, 'ipv4')
    return BLOCKED.check(bare, 'ipv6')
  }
  return true
}

function hostAllowed(host: string, policy: OutboundPolicy): boolean {
  if (policy.allowPrivate) return true
  const bare = (host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host).toLowerCase()
  return (policy.allowHosts ?? []).some((allowed) => allowed.toLowerCase() === bare)
}

/**
 * Checks a URL a user supplied for a server-side request, before it is stored: `http:` or `https:`
 * only, no credentials in it, and an IP-literal host must be public unless allowed. Host names
 * are checked again when they resolve ({@link guardedLookup}), since DNS can point anywhere.
 * Throws `HttpError('HTTP_INVALID_BODY')` naming the problem.
 */
export function assertOutboundUrl(input: string, policy: OutboundPolicy = {}, field = 'url'): URL {
  let url: URL
  try {
    url = new URL(input)
  } catch {
    throw new HttpError('HTTP_INVALID_BODY', `\`${field}\` is not an absolute URL`)
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new HttpError('HTTP_INVALID_BODY', `\`${field}\` must be an http: or https: URL`)
  }
  if (url.username !== '' || url.password !== '') {
    throw new HttpError('HTTP_INVALID_BODY', `\`${field}\` must not carry credentials (user:password@)`)
  }
  const host = url.hostname
  const bare = host.startsWith('[') ? host.slice(1, -1) : host
  if (!hostAllowed(host, policy)) {
    if (isIP(bare) !== 0 && isPrivateAddress(bare)) {
      throw new HttpError(
        'HTTP_INVALID_BODY',
        `\`${field}\` points at a private, loopback or link-local address (${bare}); allow the host explicitly to use it`,
      )
    }
    if (bare.toLowerCase() === 'localhost' || bare.toLowerCase().endsWith('.localhost')) {
      throw new HttpError(
        'HTTP_INVALID_BODY',
        `\`${field}\` points at localhost; allow the host explicitly to use it`,
      )
    }
  }
  return url
}

type LookupCallback = (
  error: NodeJS.ErrnoException | null,
  address: string | LookupAddress[],
  family?: number,
) => void

/** The error a refused resolution fails the request with (`code` `ERR_OUTBOUND_PRIVATE_ADDRESS`). */
export class OutboundAddressError extends Error {
  readonly code = 'ERR_OUTBOUND_PRIVATE_ADDRESS'
  constructor(host: string, address: string) {
    super(`${host} resolves to a private, loopback or link-local address (${address})`)
  }
}

/**
 * A `dns.lookup`-compatible function for `http.request({ lookup })` / `net.connect` that refuses
 * host names resolving to private addresses (unless the host is allowed): the check runs on the
 * address actually connected to, so DNS rebinding between a check and the request does not help.
 */
export function guardedLookup(policy: OutboundPolicy = {}) {
  return (hostname: string, options: unknown, callback: LookupCallback): void => {
    const all = { ...(typeof options === 'object' && options !== null ? options : {}), all: true }
    dnsLookup(hostname, all as LookupAllOptions, (error, addresses) => {
      if (error) return callback(error, [])
      const list = addresses as LookupAddress[]
      if (!hostAllowed(hostname, policy)) {
        const bad = list.find((entry) => isPrivateAddress(entry.address))
        if (bad) return callback(new OutboundAddressError(hostname, bad.address), [])
      }
      if ((options as { all?: boolean } | undefined)?.all) return callback(null, list)
      const first = list[0]
      if (!first)
        return callback(Object.assign(new Error(`${hostname} did not resolve`), { code: 'ENOTFOUND' }), [])
      callback(null, first.address, first.family)
    })
  }
}

/**
 * Whether a connection to `host` (an IP literal, as in a URL) may be opened under `policy`. For
 * IP-literal URLs, which never go through a lookup.
 */
export function outboundHostAllowed(host: string, policy: OutboundPolicy = {}): boolean {
  if (hostAllowed(host, policy)) return true
  const bare = host.startsWith('[') ? host.slice(1, -1) : host
  if (isIP(bare) !== 0) return !isPrivateAddress(bare)
  return bare.toLowerCase() !== 'localhost' && !bare.toLowerCase().endsWith('.localhost')
}
