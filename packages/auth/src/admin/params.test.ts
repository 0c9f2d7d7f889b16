import { describe, expect, it } from 'vitest'
import { pageQuery } from '../http/pagination'
import { pageParams } from './pagination'
import { banDurationParam, optionalUuid, userIdParam } from './params'

/** The page of a query string, as the handler reads it and the api checks it. */
const paginationParams = (query: URLSearchParams) => pageParams(pageQuery(query))

describe('banDurationParam (Go time.ParseDuration)', () => {
  it('parses Go durations to milliseconds and "none" to 0', () => {
    expect(banDurationParam('24h')).toBe(86_400_000)
    expect(banDurationParam('1h30m')).toBe(5_400_000)
    expect(banDurationParam('90s')).toBe(90_000)
    expect(banDurationParam('1.5h')).toBe(5_400_000)
    expect(banDurationParam('250ms')).toBe(250)
    expect(banDurationParam('none')).toBe(0)
    expect(banDurationParam(undefined)).toBeUndefined()
    expect(banDurationParam('')).toBeUndefined()
  })

  it('refuses anything else with validation_failed', () => {
    for (const bad of ['forever', '24', 'h', '1d', '24h ', '-1h', 42]) {
      expect(() => banDurationParam(bad)).toThrow(/invalid format for ban duration/)
    }
  })
})

describe('paginationParams', () => {
  it('defaults to page 1 of 50 and caps per_page at 1000', () => {
    expect(paginationParams(new URLSearchParams())).toEqual({ page: 1, perPage: 50 })
    expect(paginationParams(new URLSearchParams('page=3&per_page=5000'))).toEqual({ page: 3, perPage: 1000 })
  })

  it('refuses non-positive or non-integer values', () => {
    expect(() => paginationParams(new URLSearchParams('page=0'))).toThrow(/Bad Pagination Parameters/)
    expect(() => paginationParams(new URLSearchParams('per_page=1.5'))).toThrow(/Bad Pagination Parameters/)
  })

  it('refuses exponents, signs and pages whose offset passes 2^53 (they reached SQL as "Infinity")', () => {
    for (const bad of [
      'page=1e%2B308',
      'page=1e3',
      'page=%2B5',
      'page=99999999999999999999',
      'page=9007199254740991&per_page=2',
    ]) {
      expect(() => paginationParams(new URLSearchParams(bad))).toThrow(/Bad Pagination Parameters/)
    }
    expect(paginationParams(new URLSearchParams('page=2147483648&per_page=1000'))).toEqual({
      page: 2147483648,
      perPage: 1000,
    })
  })
})

describe('uuid parameters', () => {
  it('answers 404 validation_failed for a malformed user id, as GoTrue', () => {
    expect(() => userIdParam('nope')).toThrow(
      expect.objectContaining({ status: 404, errorCode: 'validation_failed' }),
    )
    expect(userIdParam('0b6f7f4e-2d0a-4a4e-9d4c-3b5e8f1a2c3d')).toBe('0b6f7f4e-2d0a-4a4e-9d4c-3b5e8f1a2c3d')
  })

  it('refuses the nil uuid as a custom id', () => {
    expect(() => optionalUuid('00000000-0000-0000-0000-000000000000')).toThrow(/nil uuid/)
    expect(optionalUuid(undefined)).toBeUndefined()
  })
})
