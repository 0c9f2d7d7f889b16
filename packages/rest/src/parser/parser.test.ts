import { describe, expect, it } from 'vitest'
import { RestError } from '../errors'
import { parseOperation } from './filter'
import { parseLogic } from './logic'
import { parseOrder } from './order'
import { parseQuery } from './query'
import { parseSelect } from './select'

function code(fn: () => unknown): string | undefined {
  try {
    fn()
  } catch (error) {
    return error instanceof RestError ? error.code : 'not a RestError'
  }
  return undefined
}

describe('filters', () => {
  it('parses operators, negation and modifiers', () => {
    expect(parseOperation('eq.5')).toEqual({
      negated: false,
      operation: { kind: 'simple', op: 'eq', value: '5' },
    })
    expect(parseOperation('not.like.a.b*')).toEqual({
      negated: true,
      operation: { kind: 'simple', op: 'like', value: 'a.b*' },
    })
    expect(parseOperation('like(any).{a*,b*}').operation).toEqual({
      kind: 'quantified',
      op: 'like',
      quantifier: 'any',
      value: '{a*,b*}',
    })
    expect(parseOperation('fts(english).cat & dog').operation).toEqual({
      kind: 'fts',
      op: 'fts',
      config: 'english',
      value: 'cat & dog',
    })
    expect(parseOperation('is.NULL').operation).toEqual({ kind: 'is', value: 'null' })
    expect(parseOperation('is.not_null').operation).toEqual({ kind: 'is', value: 'not_null' })
  })

  it('parses in lists with quoted items holding reserved characters', () => {
    expect(parseOperation('in.(1,"a,b","c\\"d",)').operation).toEqual({
      kind: 'in',
      values: ['1', 'a,b', 'c"d', ''],
    })
    expect(parseOperation('in.()').operation).toEqual({ kind: 'in', values: [] })
  })

  it('rejects malformed filters with PGRST100', () => {
    expect(code(() => parseOperation('5'))).toBe('PGRST100')
    expect(code(() => parseOperation('nope.5'))).toBe('PGRST100')
    expect(code(() => parseOperation('is.maybe'))).toBe('PGRST100')
    expect(code(() => parseOperation('in.(1,2'))).toBe('PGRST100')
    expect(code(() => parseOperation('gt(any).5'))).toBe('PGRST100')
    expect(code(() => parseOperation('cs(any).{1}'))).toBe('PGRST100')
  })
})

describe('logic trees', () => {
  it('parses nested, negated trees with quoted values and lists', () => {
    const tree = parseLogic(
      'or',
      false,
      '(a.eq.1,not.and(b.in.(1,2),c.eq."x,y"),d.cs.{1,2},data->>k.is.null)',
    )
    expect(tree.op).toBe('or')
    expect(tree.children).toHaveLength(4)
    const nested = tree.children[1]
    expect(nested).toMatchObject({ kind: 'logic', op: 'and', negated: true })
    expect(nested && nested.kind === 'logic' ? nested.children[1] : null).toEqual({
      kind: 'filter',
      filter: {
        field: { name: 'c', jsonPath: [] },
        negated: false,
        operation: { kind: 'simple', op: 'eq', value: 'x,y' },
      },
    })
    expect(tree.children[2]).toMatchObject({ filter: { operation: { value: '{1,2}' } } })
    expect(tree.children[3]).toMatchObject({
      filter: { field: { name: 'data', jsonPath: [{ arrow: '->>', key: 'k' }] } },
    })
  })

  it('rejects unbalanced trees', () => {
    expect(code(() => parseLogic('or', false, '(a.eq.1'))).toBe('PGRST100')
    expect(code(() => parseLogic('or', false, 'a.eq.1'))).toBe('PGRST100')
    expect(code(() => parseLogic('and', false, '(a.eq.1))'))).toBe('PGRST100')
  })
})

describe('select', () => {
  it('parses columns, aliases, casts, JSON paths and aggregates', () => {
    expect(parseSelect('id,n:name::text,data->a->>b,amount.sum()::int,count()')).toEqual([
      { kind: 'field', field: { name: 'id', jsonPath: [] }, alias: null, cast: null, aggregate: null },
      { kind: 'field', field: { name: 'name', jsonPath: [] }, alias: 'n', cast: 'text', aggregate: null },
      {
        kind: 'field',
        field: {
          name: 'data',
          jsonPath: [
            { arrow: '->', key: 'a' },
            { arrow: '->>', key: 'b' },
          ],
        },
        alias: null,
        cast: null,
        aggregate: null,
      },
      {
        kind: 'field',
        field: { name: 'amount', jsonPath: [] },
        alias: null,
        cast: null,
        aggregate: { fn: 'sum', cast: 'int' },
      },
      { kind: 'count', alias: null, cast: null },
    ])
  })

  it('parses embeds with hints, join types, spreads and nesting', () => {
    expect(
      parseSelect('*,home:teams!home_team_id!inner(name),...directors(dname:name),films(actors(*))'),
    ).toEqual([
      { kind: 'star' },
      {
        kind: 'embed',
        name: 'teams',
        alias: 'home',
        hint: 'home_team_id',
        joinType: 'inner',
        spread: false,
        select: [
          { kind: 'field', field: { name: 'name', jsonPath: [] }, alias: null, cast: null, aggregate: null },
        ],
      },
      {
        kind: 'embed',
        name: 'directors',
        alias: null,
        hint: null,
        joinType: null,
        spread: true,
        select: [
          {
            kind: 'field',
            field: { name: 'name', jsonPath: [] },
            alias: 'dname',
            cast: null,
            aggregate: null,
          },
        ],
      },
      {
        kind: 'embed',
        name: 'films',
        alias: null,
        hint: null,
        joinType: null,
        spread: false,
        select: [
          {
            kind: 'embed',
            name: 'actors',
            alias: null,
            hint: null,
            joinType: null,
            spread: false,
            select: [{ kind: 'star' }],
          },
        ],
      },
    ])
  })

  it('accepts quoted identifiers and an empty embed list', () => {
    expect(parseSelect('"a,b":"weird col",rel()')).toMatchObject([
      { kind: 'field', field: { name: 'weird col' }, alias: 'a,b' },
      { kind: 'embed', name: 'rel', select: [] },
    ])
  })

  it('rejects malformed selects', () => {
    for (const bad of ['id,', 'rel(id', 'a::', 'a!b!c!d(x)', '(x)', 'id)']) {
      expect(
        code(() => parseSelect(bad)),
        bad,
      ).toBe('PGRST100')
    }
  })
})

describe('order', () => {
  it('parses directions, nulls and related columns', () => {
    expect(parseOrder('a.desc.nullslast,b,rel(c).asc,data->>x.nullsfirst')).toEqual([
      { relation: null, field: { name: 'a', jsonPath: [] }, direction: 'desc', nulls: 'last' },
      { relation: null, field: { name: 'b', jsonPath: [] }, direction: null, nulls: null },
      { relation: 'rel', field: { name: 'c', jsonPath: [] }, direction: 'asc', nulls: null },
      {
        relation: null,
        field: { name: 'data', jsonPath: [{ arrow: '->>', key: 'x' }] },
        direction: null,
        nulls: 'first',
      },
    ])
    expect(code(() => parseOrder('a.sideways'))).toBe('PGRST100')
  })
})

describe('query parameters', () => {
  it('routes keys by embed path and reserved word', () => {
    const query = parseQuery(
      new URLSearchParams(
        'select=id,actors(*)&actors.order=name&actors.limit=2&actors.offset=1&not.or=(a.eq.1,b.eq.2)&actors.name=like.J*&id=gt.1&limit=5&on_conflict=id&columns=a,b',
      ),
    )
    expect(query.order).toEqual([
      { path: ['actors'], terms: [expect.objectContaining({ field: { name: 'name', jsonPath: [] } })] },
    ])
    expect(query.limits).toEqual([
      { path: ['actors'], limit: 2, offset: 1 },
      { path: [], limit: 5, offset: null },
    ])
    expect(query.logic).toEqual([{ path: [], tree: expect.objectContaining({ op: 'or', negated: true }) }])
    expect(query.filters.map((f) => [f.path, f.filter.field.name])).toEqual([
      [['actors'], 'name'],
      [[], 'id'],
    ])
    expect(query.onConflict).toEqual(['id'])
    expect(query.columns).toEqual(['a', 'b'])
  })

  it('keeps dots inside quoted column names in filter keys', () => {
    const query = parseQuery(
      new URLSearchParams('%22information.cpe%22=like.*MS*&rel."a.b"=eq.1&data->%22a.b%22=eq.2'),
    )
    expect(query.filters.map((f) => [f.path, f.filter.field])).toEqual([
      [[], { name: 'information.cpe', jsonPath: [] }],
      [['rel'], { name: 'a.b', jsonPath: [] }],
      [[], { name: 'data', jsonPath: [{ arrow: '->', key: 'a.b' }] }],
    ])
  })

  it('decodes + and %20 as spaces (URLSearchParams) and hands RPC arguments through', () => {
    const query = parseQuery(new URLSearchParams('name=eq.a+b%20c&q=hello'), (key) => key === 'q')
    expect(query.filters[0]?.filter.operation).toEqual({ kind: 'simple', op: 'eq', value: 'a b c' })
    expect(query.rest).toEqual([['q', 'hello']])
    expect(code(() => parseQuery(new URLSearchParams('limit=-1')))).toBe('PGRST100')
  })
})
