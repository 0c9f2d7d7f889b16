import { describe, expect, it } from 'vitest'
import { SqlParams, safeTypeName } from './sql'

describe('safeTypeName', () => {
  it('quotes ordinary names and keeps SQL-standard keyword types', () => {
    expect(safeTypeName('text')).toBe('"text"')
    expect(safeTypeName('int4[]')).toBe('"int4"[]')
    expect(safeTypeName('integer')).toBe('integer')
    expect(safeTypeName('Double  Precision')).toBe('double precision')
    expect(safeTypeName('timestamp with time zone[]')).toBe('timestamp with time zone[]')
  })

  it('refuses anything that is not a type name', () => {
    for (const bad of ['int); drop table x; --', 'text"', 'a b', 'double', '', '1abc', 'varchar(10)']) {
      expect(safeTypeName(bad), bad).toBe(bad === 'double' ? '"double"' : null)
    }
  })
})

describe('SqlParams', () => {
  it('numbers placeholders in order', () => {
    const params = new SqlParams()
    expect(params.add('a')).toBe('$1')
    expect(params.add(2, 'int4')).toBe('$2::int4')
    expect(params.values).toEqual(['a', 2])
  })
})
