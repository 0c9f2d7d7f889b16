import { describe, expect, it } from 'vitest'
import { quoteIdent, quoteLiteral, quoteQualified } from './identifiers'

describe('quoteIdent', () => {
  it('double-quotes and doubles inner quotes', () => {
    expect(quoteIdent('todos')).toBe('"todos"')
    expect(quoteIdent('my "table"')).toBe('"my ""table"""')
    expect(quoteQualified('public', 'a.b')).toBe('"public"."a.b"')
  })
  it('refuses NUL', () => {
    expect(() => quoteIdent('a\u0000b')).toThrow(TypeError)
  })
  it('escapes literals, including backslashes', () => {
    expect(quoteLiteral("it's")).toBe("'it''s'")
    expect(quoteLiteral('a\\b')).toBe("E'a\\\\b'")
  })
})
