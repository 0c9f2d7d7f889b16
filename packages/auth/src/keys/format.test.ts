import { describe, expect, it } from 'vitest'
import { generateApiKey, hashApiKey, isApiKeyLike, keyMatches, parseApiKey } from './format'
import { leaseSize } from './leases'

describe('API key format', () => {
  it('generates keys recognisable by prefix, never shaped like a JWT, with ~190 random bits', () => {
    for (const type of ['publishable', 'secret', 'app'] as const) {
      const { key, prefix, hash } = generateApiKey(type)
      expect(key).toMatch(new RegExp(`^gw_${type}_[0-9A-Za-z]{40}$`))
      expect(prefix).toBe(key.slice(0, `gw_${type}_`.length + 8))
      expect(key.includes('.')).toBe(false)
      expect(hash).toBe(hashApiKey(key))
      expect(parseApiKey(key)).toEqual({ type, prefix, key })
    }
    const keys = new Set(Array.from({ length: 2000 }, () => generateApiKey('app').key))
    expect(keys.size).toBe(2000)
  })

  it('parses only well-formed keys', () => {
    const { key } = generateApiKey('app')
    expect(parseApiKey(`${key}x`)).toBeNull()
    expect(parseApiKey(key.slice(0, -1))).toBeNull()
    expect(parseApiKey(key.replace('gw_app_', 'gw_root_'))).toBeNull()
    expect(parseApiKey(`${key.slice(0, -1)}!`)).toBeNull()
    expect(parseApiKey('eyJhbGciOiJIUzI1NiJ9.e30.x')).toBeNull()
    expect(isApiKeyLike('gw_anything')).toBe(true)
    expect(isApiKeyLike('eyJhbGciOiJIUzI1NiJ9.e30.x')).toBe(false)
  })

  it('compares a key with its stored hash in constant time, refusing any other key', () => {
    const { key, hash } = generateApiKey('secret')
    expect(keyMatches(key, hash)).toBe(true)
    expect(keyMatches(generateApiKey('secret').key, hash)).toBe(false)
    expect(keyMatches(key, 'not hex')).toBe(false)
  })

  it('draws base62 characters without bias', () => {
    const counts = new Map<string, number>()
    for (let i = 0; i < 2000; i++) {
      for (const char of generateApiKey('app').key.slice(15)) counts.set(char, (counts.get(char) ?? 0) + 1)
    }
    expect(counts.size).toBe(62)
    const expected = (2000 * 32) / 62
    for (const count of counts.values()) expect(Math.abs(count - expected) / expected).toBeLessThan(0.2)
  })
})

describe('lease size', () => {
  it('is 1% of the limit, at least 1', () => {
    expect(leaseSize(10_000, 1000, 60)).toBe(100)
    expect(leaseSize(50, 1000, 60)).toBe(1)
  })

  it('shrinks to what the instance will spend before the window ends', () => {
    expect(leaseSize(10_000, 100, 0.05)).toBe(5)
    expect(leaseSize(10_000, 100, 0)).toBe(1)
    expect(leaseSize(10_000, 0, 0.5)).toBe(1)
  })
})
