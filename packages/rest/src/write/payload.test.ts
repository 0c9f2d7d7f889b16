import { describe, expect, it } from 'vitest'
import { RestError } from '../errors'
import { parseCsv, parsePayload, uniformKeys } from './payload'

function code(fn: () => unknown): string | undefined {
  try {
    fn()
  } catch (error) {
    return error instanceof RestError ? error.code : 'not a RestError'
  }
  return undefined
}

describe('parsePayload: JSON', () => {
  it('wraps one object as a single row', () => {
    expect(parsePayload('{"a":1,"b":null}', 'application/json')).toEqual({
      rows: [{ a: 1, b: null }],
      keys: ['a', 'b'],
      single: true,
    })
  })

  it('collects the keys of all rows in first-seen order', () => {
    const payload = parsePayload('[{"a":1},{"b":2,"a":3}]', 'application/json')
    expect(payload.keys).toEqual(['a', 'b'])
    expect(payload.single).toBe(false)
    expect(uniformKeys(payload)).toBe(false)
    expect(uniformKeys(parsePayload('[{"a":1,"b":2},{"b":3,"a":4}]', 'application/json'))).toBe(true)
  })

  it('answers PGRST102 for empty, malformed, scalar bodies and arrays of non-objects', () => {
    expect(code(() => parsePayload('', 'application/json'))).toBe('PGRST102')
    expect(code(() => parsePayload('{"a":', 'application/json'))).toBe('PGRST102')
    expect(code(() => parsePayload('42', 'application/json'))).toBe('PGRST102')
    expect(code(() => parsePayload('[1,2]', 'application/json'))).toBe('PGRST102')
  })

  it('answers PGRST107 (415) for a media type it cannot read', () => {
    let status: number | undefined
    try {
      parsePayload('x', 'application/xml')
    } catch (error) {
      status = (error as RestError).status
      expect((error as RestError).code).toBe('PGRST107')
    }
    expect(status).toBe(415)
  })
})

describe('parsePayload: CSV and forms', () => {
  it('reads a header and rows; unquoted NULL is null, an empty field the empty string', () => {
    expect(parsePayload('a,b,c\n1,NULL,\n"x,y","NULL",""', 'text/csv')).toEqual({
      rows: [
        { a: '1', b: null, c: '' },
        { a: 'x,y', b: 'NULL', c: '' },
      ],
      keys: ['a', 'b', 'c'],
      single: false,
    })
  })

  it('ignores a trailing line end and accepts CRLF', () => {
    expect(parsePayload('a\r\n1\r\n2\r\n', 'text/csv').rows).toEqual([{ a: '1' }, { a: '2' }])
  })

  it('refuses rows whose field count differs from the header', () => {
    expect(code(() => parsePayload('a,b\n1', 'text/csv'))).toBe('PGRST102')
  })

  it('refuses an unterminated quote', () => {
    expect(code(() => parseCsv('"abc'))).toBe('PGRST102')
  })

  it('unescapes doubled quotes and keeps line breaks inside quotes', () => {
    expect(parseCsv('"a ""b""","c\nd"')).toEqual([
      [
        { value: 'a "b"', quoted: true },
        { value: 'c\nd', quoted: true },
      ],
    ])
  })

  it('reads a urlencoded form as one row', () => {
    expect(parsePayload('a=1&b=x+y', 'application/x-www-form-urlencoded')).toEqual({
      rows: [{ a: '1', b: 'x y' }],
      keys: ['a', 'b'],
      single: true,
    })
  })
})
