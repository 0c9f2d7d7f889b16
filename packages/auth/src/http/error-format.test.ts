import type { GroundworkError } from '@groundwork/core'
import { HttpError } from '@groundwork/core/kit'
import { describe, expect, it } from 'vitest'
import { AuthError, OAuthError } from '../errors'
import { gotrueErrorFormat, requestApiVersion } from './error-format'

const render = (error: GroundworkError, version: string | null) => gotrueErrorFormat(version).render(error)

describe('GoTrue error rendering', () => {
  const error = new AuthError('invalid_credentials', 'Invalid login credentials')
  it('renders { code, message } for 2024-01-01 and echoes the version', async () => {
    const response = render(error, '2024-01-01')
    expect(response.status).toBe(400)
    expect(response.headers.get('x-supabase-api-version')).toBe('2024-01-01')
    expect(response.headers.get('x-sb-error-code')).toBe('invalid_credentials')
    expect(await response.json()).toEqual({
      code: 'invalid_credentials',
      message: 'Invalid login credentials',
    })
  })
  it('renders the legacy body without a version', async () => {
    expect(await render(error, null).json()).toEqual({
      code: 400,
      error_code: 'invalid_credentials',
      msg: 'Invalid login credentials',
    })
  })
  it('renders OAuth errors as { error, error_description }', async () => {
    const response = render(new OAuthError('invalid_request', 'refresh_token required'), '2024-01-01')
    expect(await response.json()).toEqual({
      error: 'invalid_request',
      error_description: 'refresh_token required',
    })
  })
  it('parses the version header', () => {
    const request = (value?: string) =>
      new Request('http://x/', value ? { headers: { 'X-Supabase-Api-Version': value } } : {})
    expect(requestApiVersion(request('2024-01-01'))).toBe('2024-01-01')
    expect(requestApiVersion(request('2025-06-30'))).toBe('2024-01-01')
    expect(requestApiVersion(request('2023-01-01'))).toBeNull()
    expect(requestApiVersion(request('soon'))).toBeNull()
    expect(requestApiVersion(request())).toBeNull()
  })
})

describe("the HTTP kit's errors in GoTrue's codes", () => {
  it.each([
    [
      new HttpError('HTTP_PAYLOAD_TOO_LARGE', 'The request body is larger than 10 bytes'),
      413,
      'validation_failed',
    ],
    [new HttpError('HTTP_JSON_TOO_DEEP', 'JSON nested deeper than 128 levels'), 400, 'bad_json'],
    [new HttpError('HTTP_INVALID_UTF8', 'The request body is not valid UTF-8'), 400, 'bad_json'],
    [
      new HttpError('HTTP_BAD_PATH', 'An encoded "/" is not allowed in a path segment'),
      400,
      'validation_failed',
    ],
    [new HttpError('HTTP_NOT_FOUND', 'No route'), 404, 'unknown'],
  ])('%s → %i %s', async (error, status, code) => {
    const response = render(error, '2024-01-01')
    expect(response.status).toBe(status)
    expect((await response.json()).code).toBe(code)
  })

  it("words bad JSON as GoTrue does, keeps the kit's headers (Allow, Connection: close)", async () => {
    const bad = new HttpError('HTTP_BAD_JSON', 'not JSON', {
      cause: new SyntaxError('Unexpected end of JSON input'),
    })
    expect(await render(bad, '2024-01-01').json()).toEqual({
      code: 'bad_json',
      message: 'Could not parse request body as JSON: Unexpected end of JSON input',
    })
    const method = render(
      new HttpError('HTTP_METHOD_NOT_ALLOWED', 'no', { headers: { Allow: 'POST' } }),
      null,
    )
    expect(method.status).toBe(405)
    expect(method.headers.get('allow')).toBe('POST')
    expect(await method.json()).toEqual({
      code: 405,
      error_code: 'validation_failed',
      msg: 'Method not allowed',
    })
  })
})
