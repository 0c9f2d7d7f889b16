import { describe, expect, it } from 'vitest'
import { renderTable } from './context'

describe('renderTable', () => {
  it('aligns columns, names headers in UPPER_SNAKE and shows null as -', () => {
    const text = renderTable(
      [
        { name: 'nightly', nextRunAt: new Date('2026-01-01T00:00:00Z'), lastError: null },
        { name: 'a', nextRunAt: null, lastError: 'boom\nline two' },
      ],
      ['name', 'nextRunAt', 'lastError'],
    )
    expect(text).toBe(
      'NAME     NEXT_RUN_AT               LAST_ERROR\n' +
        'nightly  2026-01-01T00:00:00.000Z  -\n' +
        'a        -                         boom line two\n',
    )
  })
})
