import { describe, expect, it } from 'vitest'
import { matchesFilter, parseFilter } from './filters'

describe('parseFilter', () => {
  it('parses Supabase column=operator.value conditions, ANDed by commas', () => {
    expect(parseFilter('list_id=eq.5')).toEqual([{ column: 'list_id', operator: 'eq', value: '5' }])
    expect(parseFilter('priority=gt.3,done=is.false')).toEqual([
      { column: 'priority', operator: 'gt', value: '3' },
      { column: 'done', operator: 'is', value: 'false' },
    ])
  })

  it('parses in-lists with PostgREST quoting', () => {
    expect(parseFilter('status=in.(open,"on hold","a,b")')).toEqual([
      { column: 'status', operator: 'in', value: ['open', 'on hold', 'a,b'] },
    ])
    expect(parseFilter('id=in.()')).toEqual([{ column: 'id', operator: 'in', value: [] }])
  })

  it('keeps dots and equals signs inside values', () => {
    expect(parseFilter('email=eq.a.b=c@example.com')).toEqual([
      { column: 'email', operator: 'eq', value: 'a.b=c@example.com' },
    ])
  })

  it('rejects unknown operators, missing values and malformed lists', () => {
    for (const bad of [
      'list_id=like.5',
      'list_id',
      'list_id=eq',
      'id=in.1,2',
      'done=is.maybe',
      '=eq.1',
      'a=eq.1,',
    ]) {
      expect(() => parseFilter(bad), bad).toThrowError(
        expect.objectContaining({ code: 'REALTIME_INVALID_FILTER' }),
      )
    }
  })
})

describe('matchesFilter', () => {
  const row = { id: 7, list_id: 5, title: 'milk', done: false, note: null, due: '2026-11-23' }
  const match = (filter: string) => matchesFilter(parseFilter(filter), row)

  it('compares numbers numerically, booleans as true/false, text as text', () => {
    expect(match('list_id=eq.5')).toBe(true)
    expect(match('list_id=eq.05')).toBe(true)
    expect(match('id=gt.10')).toBe(false)
    expect(match('id=lte.7')).toBe(true)
    expect(match('done=eq.false')).toBe(true)
    expect(match('title=neq.bread')).toBe(true)
    expect(match('due=gte.2026-01-01')).toBe(true)
    expect(match('title=in.(bread,milk)')).toBe(true)
    expect(match('list_id=in.(1,2)')).toBe(false)
  })

  it('treats NULL as SQL does: only is.null matches', () => {
    expect(match('note=is.null')).toBe(true)
    expect(match('note=eq.x')).toBe(false)
    expect(match('note=neq.x')).toBe(false)
    expect(match('missing=is.null')).toBe(true)
    expect(match('done=is.false')).toBe(true)
    expect(match('done=is.true')).toBe(false)
  })

  it('ANDs conditions and lets an empty filter match everything', () => {
    expect(match('list_id=eq.5,done=is.false')).toBe(true)
    expect(match('list_id=eq.5,done=is.true')).toBe(false)
    expect(matchesFilter([], row)).toBe(true)
    expect(matchesFilter(parseFilter('id=eq.1'), null)).toBe(false)
  })
})
