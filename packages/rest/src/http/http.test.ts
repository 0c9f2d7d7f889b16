import { describe, expect, it } from 'vitest'
import { RestError } from '../errors'
import { contentRange } from '../execution/content-range'
import { negotiate, parseAccept } from './media'
import { parsePrefer } from './prefer'
import { requestRange } from './range'

const ALL = { csv: true, scalarText: false, plan: false }

describe('Accept negotiation', () => {
  it('defaults to JSON and honours q-values and order', () => {
    expect(negotiate(null, ALL).kind).toBe('json')
    expect(negotiate('*/*', ALL).contentType).toBe('application/json; charset=utf-8')
    expect(negotiate('text/csv;q=0.5, application/vnd.pgrst.object+json', ALL).kind).toBe('object')
    expect(negotiate('text/csv, application/json', ALL).kind).toBe('csv')
    expect(parseAccept('a/b;q=0, c/d').map((a) => a.type)).toEqual(['c/d'])
  })

  it('reads nulls=stripped and the plan options', () => {
    const stripped = negotiate('application/vnd.pgrst.object+json;nulls=stripped', ALL)
    expect(stripped).toMatchObject({ kind: 'object', stripNulls: true })
    expect(stripped.contentType).toContain('nulls=stripped')
    const plan = negotiate('application/vnd.pgrst.plan+json; for="text/csv"; options=analyze|buffers|bogus', {
      ...ALL,
      plan: true,
    })
    expect(plan.plan).toEqual({ format: 'json', for: 'csv', options: ['analyze', 'buffers'] })
  })

  it('answers 406 PGRST107 for what cannot be produced', () => {
    for (const accept of ['application/xml', 'application/vnd.pgrst.plan', 'text/plain']) {
      try {
        negotiate(accept, ALL)
        expect.unreachable(accept)
      } catch (error) {
        expect(error).toBeInstanceOf(RestError)
        expect((error as RestError).code).toBe('PGRST107')
        expect((error as RestError).status).toBe(406)
      }
    }
    expect(negotiate('text/plain', { ...ALL, scalarText: true }).kind).toBe('text')
  })
})

describe('Prefer', () => {
  it('parses every preference and collects the invalid ones', () => {
    expect(
      parsePrefer(
        'return=representation, count=exact,resolution=merge-duplicates, missing=default, handling=strict, tx=rollback, max-affected=5, timezone=Europe/Paris, foo, count=bogus',
      ),
    ).toEqual({
      return: 'representation',
      count: 'exact',
      resolution: 'merge-duplicates',
      missing: 'default',
      handling: 'strict',
      tx: 'rollback',
      maxAffected: 5,
      timezone: 'Europe/Paris',
      params: null,
      invalid: ['foo', 'count=bogus'],
    })
  })
})

describe('ranges', () => {
  it('combines the Range header with limit and offset', () => {
    expect(requestRange('0-9', null, null, 'GET')).toEqual({ offset: 0, limit: 10 })
    expect(requestRange('items=5-', null, null, 'GET')).toEqual({ offset: 5, limit: null })
    expect(requestRange('0-9', 3, 2, 'GET')).toEqual({ offset: 2, limit: 3 })
    expect(requestRange('0-9', null, null, 'POST')).toEqual({ offset: 0, limit: null })
    expect(() => requestRange('9-0', null, null, 'GET')).toThrow(RestError)
  })

  it('formats Content-Range', () => {
    expect(contentRange(0, 10, null)).toBe('0-9/*')
    expect(contentRange(5, 2, 100)).toBe('5-6/100')
    expect(contentRange(0, 0, 0)).toBe('*/0')
  })
})
