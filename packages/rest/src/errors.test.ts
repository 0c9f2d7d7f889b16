import { GroundworkError } from '@groundwork/core'
import { describe, expect, it } from 'vitest'
import { RestError, sqlStateStatus, toRestError } from './errors'

/** The shape node-postgres gives database errors. */
function dbError(code: string, message: string, detail?: string, hint?: string): Error {
  return Object.assign(new Error(message), { name: 'error', severity: 'ERROR', code, detail, hint })
}

describe('SQLSTATE → HTTP status (PostgREST table)', () => {
  it.each([
    ['23505', false, 409],
    ['23503', false, 409],
    ['25006', false, 405],
    ['P0001', false, 400],
    ['42883', false, 404],
    ['42P01', false, 404],
    ['42P17', false, 500],
    ['42501', true, 401],
    ['42501', false, 403],
    ['08006', false, 503],
    ['53100', false, 503],
    ['53400', false, 500],
    ['28000', false, 403],
    ['40001', false, 500],
    ['PT402', false, 402],
    ['22P02', false, 400],
  ])('%s (anonymous: %s) → %i', (code, anonymous, status) => {
    expect(sqlStateStatus(code, anonymous)).toBe(status)
  })

  it.each([
    // PostgREST answers 500 here (400 only for pg-safeupdate's message); it is the request's data
    // (an upsert batch touching one row twice), so Groundwork keeps it a client error.
    ['21000', 'ON CONFLICT DO UPDATE command cannot affect row a second time', 400],
    ['22023', 'role "ghost" does not exist', 401],
    ['22023', 'invalid parameter', 400],
    ['57P01', 'terminating connection due to administrator command', 503],
    ['42883', 'function xmlagg(json) does not exist', 406],
    ['PT99X', 'not a status', 500],
  ])('%s "%s" → %i, as PostgREST 14 maps it by message', (code, message, status) => {
    expect(sqlStateStatus(code, false, message)).toBe(status)
  })
})

describe('toRestError', () => {
  it('forwards Postgres errors with message, details and hint', () => {
    const error = toRestError(dbError('23505', 'duplicate key', 'Key (id)=(1) already exists.', 'h'), false)
    expect(error.status).toBe(409)
    expect(error.toJSON()).toEqual({
      code: '23505',
      message: 'duplicate key',
      details: 'Key (id)=(1) already exists.',
      hint: 'h',
    })
  })

  it('adds WWW-Authenticate to 42501 for the anonymous role only', () => {
    expect(toRestError(dbError('42501', 'permission denied'), true).headers).toEqual({
      'WWW-Authenticate': 'Bearer',
    })
    expect(toRestError(dbError('42501', 'permission denied'), false).headers).toEqual({})
  })

  it("honours RAISE SQLSTATE 'PGRST' with JSON message and detail", () => {
    const error = toRestError(
      dbError(
        'PGRST',
        '{"code":"123","message":"Payment Required","details":"Quota exceeded","hint":"Upgrade"}',
        '{"status":402,"headers":{"X-Powered-By":"Nerd Rage"}}',
      ),
      false,
    )
    expect(error.status).toBe(402)
    expect(error.headers).toEqual({ 'X-Powered-By': 'Nerd Rage' })
    expect(error.toJSON()).toEqual({
      code: '123',
      message: 'Payment Required',
      details: 'Quota exceeded',
      hint: 'Upgrade',
    })
    expect(toRestError(dbError('PGRST', 'not json'), false).toJSON()).toEqual({
      code: 'PGRST121',
      message: 'Could not parse JSON in the "RAISE SQLSTATE \'PGRST\'" error',
      details: "Invalid JSON value for MESSAGE: 'not json'",
      hint: "MESSAGE must be a JSON object with obligatory keys: 'code', 'message' and optional keys: 'details', 'hint'.",
    })
    expect(toRestError(dbError('PGRST', '{"code":"1","message":"m"}'), false).details).toBe(
      'DETAIL is missing in the RAISE statement',
    )
    const badDetail = toRestError(dbError('PGRST', '{"code":"1","message":"m"}', '{"status":"x"}'), false)
    expect(badDetail.status).toBe(500)
    expect(badDetail.details).toBe(`Invalid JSON value for DETAIL: '{"status":"x"}'`)
  })

  it('maps JWT failures to PGRST301/303 and hides unknown errors behind a 500', () => {
    expect(toRestError(new GroundworkError('CORE_JWT_INVALID', 'bad', { status: 401 }), true).code).toBe(
      'PGRST301',
    )
    expect(toRestError(new GroundworkError('CORE_JWT_EXPIRED', 'old', { status: 401 }), true).code).toBe(
      'PGRST303',
    )
    const seen: unknown[] = []
    const hidden = toRestError(new TypeError('secret internals'), false, (e) => seen.push(e))
    expect(hidden).toBeInstanceOf(RestError)
    expect(hidden.status).toBe(500)
    expect(hidden.toJSON().message).toBe('Internal server error')
    expect(seen).toHaveLength(1)
  })
  it('keeps a 401 message from a custom authenticator out of header syntax', () => {
    const error = toRestError(
      new GroundworkError('MY_AUTH', 'bad "token"\r\nX-Injected: 1', { status: 401 }),
      true,
    )
    expect(error.code).toBe('PGRST301')
    const header = error.headers['WWW-Authenticate'] ?? ''
    expect(header).toBe(`Bearer error="invalid_token", error_description="bad 'token'  X-Injected: 1"`)
    expect(() => new Headers({ 'WWW-Authenticate': header })).not.toThrow()
  })
})
