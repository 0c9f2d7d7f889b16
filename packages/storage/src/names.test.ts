import { describe, expect, it } from 'vitest'
import {
  assertBucketId,
  assertObjectName,
  cacheControlOf,
  folderPrefix,
  mimeAllowed,
  parseFileSizeLimit,
} from './names'

describe('object names', () => {
  it('accepts Unicode and URL-special characters, refuses empty, dot and control segments', () => {
    for (const ok of ['a', 'a/b/c.txt', '😀/ü', 'sp ace', 'q?#%', '...', '.hidden', 'l'.repeat(1024)]) {
      expect(assertObjectName(ok)).toBe(ok)
    }
    for (const bad of [
      '',
      '/a',
      'a/',
      'a//b',
      '.',
      '..',
      'a/../b',
      'a/./b',
      'nul\u0000',
      'tab\t',
      'l'.repeat(1025),
      'é'.repeat(513),
      '\ud800',
    ]) {
      expect(() => assertObjectName(bad), JSON.stringify(bad)).toThrow(
        expect.objectContaining({ code: 'STORAGE_INVALID_KEY' }),
      )
    }
  })

  it('checks bucket ids as Supabase does, and refuses . and ..', () => {
    expect(assertBucketId('my-bucket_1.x')).toBe('my-bucket_1.x')
    for (const bad of ['', '.', '..', 'a/b', 'a\\b', ' lead', 'x'.repeat(101), 'ü']) {
      expect(() => assertBucketId(bad)).toThrow(
        expect.objectContaining({ code: 'STORAGE_INVALID_BUCKET_NAME' }),
      )
    }
  })
})

describe('bucket settings', () => {
  it('matches MIME types with wildcards and parameters', () => {
    expect(mimeAllowed('image/png', ['image/*'])).toBe(true)
    expect(mimeAllowed('IMAGE/PNG; q=1', ['image/png'])).toBe(true)
    expect(mimeAllowed('text/plain', ['image/*'])).toBe(false)
    expect(mimeAllowed('text/plain', null)).toBe(true)
    expect(mimeAllowed('anything/x', ['*/*'])).toBe(true)
    expect(mimeAllowed('garbage', ['image/*'])).toBe(false)
  })

  it('parses file size limits as storage-js sends them', () => {
    expect(parseFileSizeLimit('20MB')).toBe(20_000_000)
    expect(parseFileSizeLimit('3B')).toBe(3)
    expect(parseFileSizeLimit(1024)).toBe(1024)
    expect(parseFileSizeLimit(null)).toBeNull()
    expect(parseFileSizeLimit(undefined)).toBeUndefined()
    for (const bad of ['lots', -1, 1.5, '20PB', '1e3']) expect(() => parseFileSizeLimit(bad)).toThrow()
  })

  it('normalises cache control and folder prefixes', () => {
    expect(cacheControlOf('3600')).toBe('max-age=3600')
    expect(cacheControlOf('no-cache')).toBe('no-cache')
    expect(cacheControlOf(null)).toBe('max-age=3600')
    expect(folderPrefix('')).toBe('')
    expect(folderPrefix('/a//b')).toBe('a/b/')
    expect(folderPrefix('a/')).toBe('a/')
  })
})
