import { describe, expect, it } from 'vitest'
import { RestError } from '../errors'
import { negotiate } from '../http/media'
import { parseQuery } from '../parser/query'
import { createRegistry } from './registry'
import type { RestExtension } from './types'

const upper: RestExtension = {
  name: 'test',
  operators: [
    {
      name: 'ieq2',
      parse(value, modifier) {
        if (value === 'bad') throw new RestError('PGRST100', '"failed to parse filter (ieq2)"')
        return { value, modifier }
      },
      sql: ({ column, argument, params }) =>
        `lower(${column}) = lower(${params.add((argument as { value: string }).value)})`,
    },
  ],
  orders: [{ name: 'near', parse: (argument) => argument, sql: ({ column }) => column }],
  mediaTypes: [
    {
      type: 'application/x-test',
      accept: (params) => (params.ok === 'yes' ? 'application/x-test' : null),
      body: () => ({ body: "''" }),
    },
  ],
}

describe('rest extensions', () => {
  const registry = createRegistry([upper])

  it('parses contributed operators with not., modifiers and inside or/and', () => {
    const query = parseQuery(
      new URLSearchParams([
        ['name', 'not.ieq2(x).Alice'],
        ['or', '(name.ieq2.bob,id.eq.1,and(name.not.ieq2."a,b"))'],
      ]),
      undefined,
      registry,
    )
    expect(query.filters[0]?.filter).toEqual({
      field: { name: 'name', jsonPath: [] },
      negated: true,
      operation: {
        kind: 'extension',
        op: 'ieq2',
        modifier: 'x',
        value: 'Alice',
        argument: { value: 'Alice', modifier: 'x' },
      },
    })
    const tree = query.logic[0]?.tree
    expect(tree?.children[0]).toMatchObject({
      filter: { operation: { kind: 'extension', op: 'ieq2', value: 'bob' } },
    })
    expect(tree?.children[2]).toMatchObject({
      children: [{ filter: { negated: true, operation: { kind: 'extension', value: 'a,b' } } }],
    })
  })

  it('lets the extension refuse a value, and knows nothing of it without the registry', () => {
    expect(() => parseQuery(new URLSearchParams('name=ieq2.bad'), undefined, registry)).toThrow(RestError)
    try {
      parseQuery(new URLSearchParams('name=ieq2.x'))
      expect.unreachable()
    } catch (error) {
      expect((error as RestError).toJSON()).toMatchObject({
        code: 'PGRST100',
        details: 'unknown operator "ieq2"',
      })
    }
  })

  it('parses contributed order terms up to the balancing parenthesis, then direction and nulls', () => {
    const query = parseQuery(
      new URLSearchParams('order=id,geom.near(POINT(1 2)).desc.nullslast'),
      undefined,
      registry,
    )
    expect(query.order[0]?.terms[1]).toEqual({
      relation: null,
      field: { name: 'geom', jsonPath: [] },
      direction: 'desc',
      nulls: 'last',
      extension: { name: 'near', argument: 'POINT(1 2)' },
    })
    expect(() => parseQuery(new URLSearchParams('order=geom.near(POINT(1 2)'), undefined, registry)).toThrow(
      RestError,
    )
  })

  it('negotiates contributed media types by their parameters', () => {
    const producible = { csv: true, scalarText: false, plan: false }
    expect(negotiate('application/x-test; ok=yes', producible, registry)).toMatchObject({
      kind: 'extension',
      contentType: 'application/x-test',
      extension: { params: { ok: 'yes' } },
    })
    expect(negotiate('application/x-test; ok=no, application/json', producible, registry).kind).toBe('json')
    expect(() => negotiate('application/x-test', producible, registry)).toThrow(/None of these media types/)
  })

  it('refuses names that shadow PostgREST operators, and duplicates', () => {
    expect(() =>
      createRegistry([{ name: 'x', operators: [{ name: 'eq', parse: () => 0, sql: () => '' }] }]),
    ).toThrow(/extensions/)
    expect(() => createRegistry([upper, upper])).toThrow(/defined twice/)
  })
})
