import { describe, expect, it } from 'vitest'
import { parseRange } from './object-response'

describe('parseRange', () => {
  it('reads one bytes range: closed, open-ended and suffix', () => {
    expect(parseRange('bytes=0-3', 10)).toEqual({ start: 0, end: 3 })
    expect(parseRange('bytes=7-', 10)).toEqual({ start: 7, end: 9 })
    expect(parseRange('bytes=-3', 10)).toEqual({ start: 7, end: 9 })
    expect(parseRange('bytes=5-100', 10)).toEqual({ start: 5, end: 9 })
    expect(parseRange('bytes=-100', 10)).toEqual({ start: 0, end: 9 })
  })

  it('ignores what it may ignore: no header, other units, several ranges, a reversed range', () => {
    for (const header of [null, 'items=0-1', 'bytes=0-1,3-4', 'bytes=5-1', 'bytes=-', 'garbage']) {
      expect(parseRange(header, 10)).toBeNull()
    }
  })

  it('is 416 for a range past the end (with Content-Range: bytes */size)', () => {
    for (const header of ['bytes=10-', 'bytes=50-60', 'bytes=-0']) {
      expect(() => parseRange(header, 10)).toThrow(
        expect.objectContaining({
          code: 'STORAGE_INVALID_RANGE',
          headers: { 'content-range': 'bytes */10' },
        }),
      )
    }
    expect(() => parseRange('bytes=0-', 0)).toThrow(expect.objectContaining({ status: 416 }))
  })
})
