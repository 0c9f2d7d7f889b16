import { describe, expect, it } from 'vitest'
import { AuthError, OAuthError } from './errors'
import { renderError, requestApiVersion } from './http'

describe('GoTrue error rendering', () => {
  const error = new AuthError('invalid_credentials', 'Invalid login credentials')
  it('renders { code, message } for 2024-01-01 and echoes the version', async () => {
    const response = renderError(error, '2024-01-01')
    expect(response.status).toBe(400)
    expect(response.headers.get('x-supabase-api-version')).toBe('2024-01-01')
    expect(response.headers.get('x-sb-error-code')).toBe('invalid_credentials')
    expect(await response.json()).toEqual({
      code: 'invalid_credentials',
      message: 'Invalid login credentials',
    })
  })
  it('renders the legacy body without a version', async () => {
    expect(await renderError(error, null).json()).toEqual({
      code: 400,
      error_code: 'invalid_credentials',
      msg: 'Invalid login credentials',
    })
  })
  it('renders OAuth errors as { error, error_description }', async () => {
    const response = renderError(new OAuthError('invalid_request', 'refresh_token required'), '2024-01-01')
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
