import { describe, expect, it } from 'vitest'
import { createRedirectPolicy } from './redirect'

describe('redirect allow-list', () => {
  const policy = createRedirectPolicy('https://app.example.com', [
    'https://*.preview.example.net/**',
    'myapp://callback',
    'http://localhost:3000/*',
  ])
  it.each([
    ['https://app.example.com/welcome?x=1', true],
    ['https://pr-1.preview.example.net/auth/cb', true],
    ['https://a.b.preview.example.net/', false],
    ['myapp://callback', true],
    ['http://localhost:3000/cb', true],
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
