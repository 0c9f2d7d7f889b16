import { HOSTILE } from '@groundwork/testing'
import { describe, expect, it } from 'vitest'
import { createRedirectPolicy, parseRedirectPattern } from './redirect'

describe('redirect allow-list', () => {
  const policy = createRedirectPolicy('https://app.example.com', [
    'https://*.preview.example.net/**',
    'myapp://callback',
    'http://localhost:3000/*',
  ])
  it.each([
    ['https://app.example.com/welcome?x=1', true],
    ['https://app.example.com', true],
    ['https://pr-1.preview.example.net/auth/cb', true],
    ['https://a.b.preview.example.net/', false],
    ['myapp://callback', true],
    ['http://localhost:3000/cb', true],
    ['http://localhost:3000/cb?next=%2Fdashboard', true],
    ['http://localhost:3000/a/b', false],
    ['https://evil.test/', false],
    ['https://app.example.com.evil.test/', false],
    ['javascript:alert(1)', false],
    ['not a url', false],
  ])('%s → %s', (url, allowed) => {
    expect(policy.isAllowed(url)).toBe(allowed)
    expect(policy.resolve(url)).toBe(allowed ? url : 'https://app.example.com')
  })
  it('falls back to the site URL when absent', () => {
    expect(policy.resolve(undefined)).toBe('https://app.example.com')
  })
})

describe('redirect allow-list: a glob never reaches past its host label, port or path segment', () => {
  // The demo's entries: before, `*` matched `x@[2001:db8::1]`, so this delivered tokens elsewhere.
  const demo = createRedirectPolicy('http://localhost:3000', [
    'http://localhost:*/**',
    'http://127.0.0.1:*/**',
  ])

  it.each([
    ['http://localhost:5173/auth/callback', true],
    ['http://localhost/', true],
    ['http://localhost:65535/x/y/z', true],
    ['http://127.0.0.1:8080/cb', true],
    ['HTTP://LOCALHOST:5173/cb', true],
  ])('allows %s', (url, allowed) => {
    expect(demo.isAllowed(url)).toBe(allowed)
  })

  it.each([
    // userinfo: `*` in the port position once swallowed `x@host`
    'http://localhost:x@[2001:db8::1]/steal',
    'http://localhost:x@intranet/',
    'http://localhost:3000@evil.test/',
    'http://localhost@evil.test/',
    'http://@localhost:3000/',
    'http://user:pass@localhost:3000/',
    // backslashes, which WHATWG reads as `/` and other parsers as part of the authority
    'http://localhost:3000\\@evil.test',
    'http://localhost:3000\\evil.test/',
    // encoded separators at the host/path boundary and in the path
    'http://localhost:3000%2F@evil.test/',
    'http://localhost:3000%2f@evil.test/',
    'http://localhost%2F:3000/',
    'http://localhost:3000/%2F/evil.test',
    'http://localhost:3000/a%2fb',
    'http://localhost:3000/a%5Cb',
    // scheme-relative and scheme-without-slashes forms
    '//evil.test/',
    '//localhost:3000/',
    'http:evil.test',
    'http:localhost:3000/',
    'http:///evil.test/',
    'http:/localhost:3000/',
    // look-alike hosts (IDN/punycode): another host, whatever it looks like
    'http://lоcalhost:3000/',
    'http://xn--lcalhost-nbh:3000/',
    'http://xn--localhst-r2a.test/',
    'http://localhost.evil.test:3000/',
    // dangerous schemes, whatever follows
    'javascript:alert(1)//localhost:3000/',
    'JAVASCRIPT:alert(1)//localhost:3000/',
    'data:text/html,<script>alert(1)</script>',
    'file:///etc/passwd',
    'vbscript:msgbox(1)',
    // fragments: the host is what comes before `#`
    'http://evil.test#@localhost:3000/',
    'http://localhost:3000/#@evil.test',
    // trailing-dot hosts are other host names
    'http://localhost.:3000/',
    'http://127.0.0.1.:3000/',
    // IPv6 literals are not `localhost`
    'http://[::1]:3000/',
    'http://[2001:db8::1]/',
    // ports out of range, and junk ports
    'http://localhost:65536/',
    'http://localhost:99999/',
    'http://localhost:-1/',
    // uppercase schemes are still only http/https
    'HTTP://evil.test/',
    'HTTPS://localhost.evil.test/',
    // control characters and whitespace (stripped by WHATWG, read by others)
    'http://localhost:3000/\tcb',
    'http://local\nhost:3000/',
    ' http://evil.test/',
    'http://localhost:3000/\u200bcb',
  ])('refuses %s', (url) => {
    expect(demo.isAllowed(url)).toBe(false)
    expect(demo.resolve(url)).toBe('http://localhost:3000')
  })

  it('refuses every shared hostile redirect target', () => {
    for (const url of HOSTILE.redirectUrls) expect(demo.isAllowed(url), url).toBe(false)
  })

  it('keeps the site URL and its sub-paths (same origin) allowed, and only them', () => {
    const site = createRedirectPolicy('https://app.example.com/base', [])
    expect(site.isAllowed('https://app.example.com/')).toBe(true)
    expect(site.isAllowed('https://app.example.com/other/path?x=1')).toBe(true)
    expect(site.isAllowed('https://APP.example.com:443/x')).toBe(true)
    expect(site.isAllowed('https://app.example.com:8443/x')).toBe(false)
    expect(site.isAllowed('http://app.example.com/x')).toBe(false)
    expect(site.isAllowed('https://app.example.com@evil.test/')).toBe(false)
    expect(site.isAllowed('https://app.example.com.evil.test/')).toBe(false)
  })

  it('matches the port exactly unless the pattern says `*`, the default port being no port', () => {
    const ports = createRedirectPolicy('https://app.example.com', [
      'https://a.example.net:8443/*',
      'https://b.example.net/*',
      'http://c.example.net:80/*',
    ])
    expect(ports.isAllowed('https://a.example.net:8443/x')).toBe(true)
    expect(ports.isAllowed('https://a.example.net/x')).toBe(false)
    expect(ports.isAllowed('https://b.example.net:443/x')).toBe(true)
    expect(ports.isAllowed('https://b.example.net:444/x')).toBe(false)
    expect(ports.isAllowed('http://c.example.net/x')).toBe(true)
  })

  it('lets `*` match within one path segment and `**` across segments', () => {
    const paths = createRedirectPolicy('https://app.example.com', [
      'https://a.example.net/cb/*',
      'https://b.example.net/**/done',
    ])
    expect(paths.isAllowed('https://a.example.net/cb/x')).toBe(true)
    expect(paths.isAllowed('https://a.example.net/cb/x/y')).toBe(false)
    expect(paths.isAllowed('https://a.example.net/cb/../../other')).toBe(false)
    expect(paths.isAllowed('https://b.example.net/x/y/z/done')).toBe(true)
    expect(paths.isAllowed('https://b.example.net/x/y/z/done/more')).toBe(false)
  })

  it('matches a host glob per label, on the parsed (punycode) host', () => {
    const hosts = createRedirectPolicy('https://app.example.com', [
      'https://pr-*.example.net/**',
      'https://*.bücher.example/**',
    ])
    expect(hosts.isAllowed('https://pr-42.example.net/')).toBe(true)
    expect(hosts.isAllowed('https://pr-42.evil.example.net/')).toBe(false)
    expect(hosts.isAllowed('https://pr-x@evil.test.example.net/')).toBe(false)
    expect(hosts.isAllowed('https://shop.bücher.example/')).toBe(true)
    expect(hosts.isAllowed('https://shop.xn--bcher-kva.example/')).toBe(true)
    expect(hosts.isAllowed('https://shop.bucher.example/')).toBe(false)
  })

  it('allows a custom scheme (native apps) only where a pattern names that exact scheme', () => {
    const apps = createRedirectPolicy('https://app.example.com', [
      'com.example.app:/oauth2redirect',
      'myapp://callback/*',
    ])
    expect(apps.isAllowed('com.example.app:/oauth2redirect')).toBe(true)
    expect(apps.isAllowed('com.example.app:/other')).toBe(false)
    expect(apps.isAllowed('myapp://callback/done')).toBe(true)
    expect(apps.isAllowed('otherapp://callback/done')).toBe(false)
    expect(apps.isAllowed('myapp://evil/done')).toBe(false)
    expect(apps.isAllowed('myapp://x@callback/done')).toBe(false)
  })
})

describe('redirect allow-list entries', () => {
  it.each([
    ['javascript:*', /never allowed/],
    ['https://**.example.com/', /`\*\*` is not allowed in the host/],
    ['https://user@example.com/', /userinfo/],
    ['https://example.com:port/', /port/],
    ['https://example.com/cb?x=1', /query/],
    ['https:example.com', /must start with https:\/\//],
    ['https://*.0.0.1/', /valid URL|IP/],
    ['https://ex ample.com/', /whitespace/],
    ['example.com', /scheme/],
  ])('refuses %s', (pattern, message) => {
    expect(() => parseRedirectPattern(pattern)).toThrow(message)
  })
})

describe('the examples of docs/auth.md', () => {
  const documented: [string, string[], string[]][] = [
    [
      'http://localhost:*/**',
      ['http://localhost:5173/auth/cb', 'http://localhost/'],
      ['http://localhost:x@intranet/', 'http://localhost.evil.test/', 'http://[::1]:3000/'],
    ],
    [
      'https://*.preview.example.com/**',
      ['https://pr-42.preview.example.com/cb?x=1'],
      ['https://a.b.preview.example.com/', 'https://preview.example.com/'],
    ],
    [
      'https://pr-*.example.net/auth/*',
      ['https://pr-7.example.net/auth/callback'],
      ['https://pr-7.example.net/auth/a/b', 'https://pr-7.evil.example.net/auth/x'],
    ],
    [
      'https://app.example.com:8443/cb',
      ['https://app.example.com:8443/cb?next=%2F'],
      ['https://app.example.com/cb'],
    ],
    ['myapp://callback', ['myapp://callback'], ['otherapp://callback', 'myapp://x@callback']],
  ]
  it.each(documented)('%s', (entry, allows, refuses) => {
    const policy = createRedirectPolicy('https://site.example.org', [entry])
    for (const url of allows) expect(policy.isAllowed(url), url).toBe(true)
    for (const url of refuses) expect(policy.isAllowed(url), url).toBe(false)
  })
})
