import { describe, expect, it } from 'vitest'
import { assertOutboundUrl, guardedLookup, isPrivateAddress, outboundHostAllowed } from './outbound'

describe('SSRF guard', () => {
  it('classifies private, loopback, link-local and mapped addresses', () => {
    for (const address of [
      '127.0.0.1',
      '10.1.2.3',
      '172.16.0.1',
      '192.168.0.1',
      '169.254.169.254',
      '100.64.0.1',
      '0.0.0.0',
      '::1',
      '::',
      'fe80::1',
      'fd12::1',
      '::ffff:127.0.0.1',
      '::ffff:7f00:1',
      '64:ff9b::a9fe:a9fe',
      '224.0.0.1',
    ]) {
      expect(isPrivateAddress(address), address).toBe(true)
    }
    for (const address of ['8.8.8.8', '1.1.1.1', '2606:4700:4700::1111', '::ffff:8.8.8.8', '172.32.0.1']) {
      expect(isPrivateAddress(address), address).toBe(false)
    }
  })

  it('refuses private literal hosts and localhost unless allowed', () => {
    expect(() => assertOutboundUrl('http://127.0.0.1/x')).toThrow(/private/)
    expect(() => assertOutboundUrl('http://[::1]:80/x')).toThrow(/private/)
    expect(() => assertOutboundUrl('http://localhost/x')).toThrow(/localhost/)
    expect(() => assertOutboundUrl('file:///etc/passwd')).toThrow(/http/)
    expect(() => assertOutboundUrl('https://a:b@example.com/')).toThrow(/credentials/)
    expect(assertOutboundUrl('http://127.0.0.1/x', { allowHosts: ['127.0.0.1'] }).href).toBe(
      'http://127.0.0.1/x',
    )
    expect(assertOutboundUrl('https://example.com/h').hostname).toBe('example.com')
    expect(outboundHostAllowed('[::1]', { allowHosts: ['::1'] })).toBe(true)
    expect(outboundHostAllowed('169.254.169.254')).toBe(false)
  })

  it('refuses a host name that resolves to a private address, at connection time', async () => {
    const lookup = guardedLookup()
    const error = await new Promise<Error | null>((resolve) => lookup('localhost', {}, (err) => resolve(err)))
    expect(error).toMatchObject({ code: 'ERR_OUTBOUND_PRIVATE_ADDRESS' })
    const allowed = guardedLookup({ allowHosts: ['localhost'] })
    const address = await new Promise<string>((resolve, reject) =>
      allowed('localhost', {}, (err, value) => (err ? reject(err) : resolve(value as string))),
    )
    expect(isPrivateAddress(address)).toBe(true)
  })
})
