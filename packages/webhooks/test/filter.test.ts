/**
 * The capture trigger evaluates endpoint filters in SQL (`webhooks.matches`); realtime evaluates
 * the same grammar in TypeScript (`matchesFilter`). Both must agree on every row and filter.
 */
import { matchesFilter, parseFilter } from '@groundwork/realtime'
import { createTestDatabase, type TestDatabase } from '@groundwork/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

let t: TestDatabase
beforeAll(async () => {
  t = await createTestDatabase()
})
afterAll(async () => {
  await t?.drop()
})

const ROWS: Record<string, unknown>[] = [
  { id: 1, status: 'paid', total: 150, done: true, note: null },
  { id: 2, status: 'new', total: 99.5, done: false, note: 'a,b' },
  { id: 3, status: 'on hold', total: -3, done: null, note: 'Zebra' },
  { id: 10, status: 'paid', total: 100, done: false, tags: ['x'] },
  { id: 11, status: 'ábc', total: 1e3 },
]
const FILTERS = [
  'status=eq.paid',
  'status=neq.paid',
  'total=gte.100',
  'total=lt.100',
  'total=gt.abc',
  'total=neq.abc',
  'id=in.(1,3,11)',
  'status=in.(paid,"on hold")',
  'done=is.true',
  'done=is.false',
  'note=is.null',
  'done=eq.true',
  'note=lt.b',
  'note=gte.a',
  'status=eq.paid,total=gte.100',
  'total=eq.1000',
  'total=eq.1e3',
  'missing=eq.1',
  'missing=is.null',
  'status=gt.Z',
  'tags=eq.["x"]',
  'id=in.()',
]

describe('filters in SQL and TypeScript', () => {
  it('agree on every row × filter', async () => {
    const cases = FILTERS.flatMap((filter) => ROWS.map((row) => ({ filter, row })))
    const { rows } = await t.db.query<{ matched: boolean }>(
      `select webhooks.matches(c.value -> 'conditions', c.value -> 'row_data') as matched
         from jsonb_array_elements($1::jsonb) with ordinality as c(value, n) order by c.n`,
      [JSON.stringify(cases.map((c) => ({ conditions: parseFilter(c.filter), row_data: c.row })))],
    )
    const mismatches = cases
      .map((c, i) => ({ ...c, sql: rows[i]?.matched, ts: matchesFilter(parseFilter(c.filter), c.row) }))
      .filter((c) => c.sql !== c.ts)
    expect(mismatches).toEqual([])
  })
})
