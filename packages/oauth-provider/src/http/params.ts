import { boundedHeader, HttpError, readText } from '@groundwork/core/kit'
import { OAuthProviderError } from '../errors'

/**
 * Reads an OAuth endpoint's parameters: `application/x-www-form-urlencoded` (RFC 6749 §3.2), or a
 * flat JSON object of strings (what Supabase's endpoints also take), streamed within `maxBytes`
 * (413). A repeated parameter is 400 `invalid_request` (§3.2: "MUST NOT be included more than once").
 */
export async function readParams(request: Request, maxBytes: number): Promise<URLSearchParams> {
  const type = (boundedHeader(request.headers, 'content-type', 1024) ?? '')
    .split(';')[0]
    ?.trim()
    .toLowerCase()
  const text = await readText(request, { maxBytes })
  let params: URLSearchParams
  if (type === 'application/json') {
    let value: unknown
    try {
      value = text.trim() === '' ? {} : JSON.parse(text)
    } catch {
      throw new OAuthProviderError('OAUTH_INVALID_REQUEST', 'The request body is not valid JSON')
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw new OAuthProviderError('OAUTH_INVALID_REQUEST', 'The request body must be a JSON object')
    }
    params = new URLSearchParams()
    for (const [key, field] of Object.entries(value)) {
      if (typeof field === 'string') params.append(key, field)
      else if (typeof field === 'number' || typeof field === 'boolean') params.append(key, String(field))
      else throw new OAuthProviderError('OAUTH_INVALID_REQUEST', `${key.slice(0, 64)} must be a string`)
    }
  } else if (type === 'application/x-www-form-urlencoded' || (type === '' && text === '')) {
    params = new URLSearchParams(text)
  } else {
    throw new HttpError('HTTP_UNSUPPORTED_MEDIA_TYPE', 'Send application/x-www-form-urlencoded parameters')
  }
  assertSingle(params)
  return params
}

/** RFC 6749 §3.1/§3.2: no parameter more than once. */
export function assertSingle(params: URLSearchParams): void {
  const seen = new Set<string>()
  for (const key of params.keys()) {
    if (seen.has(key))
      throw new OAuthProviderError('OAUTH_INVALID_REQUEST', `${key.slice(0, 64)} is repeated`)
    seen.add(key)
  }
}

/** The bearer token of `Authorization` (RFC 6750 §2.1), or null. */
export function bearer(request: Request): string | null {
  const header = boundedHeader(request.headers, 'authorization', 16_384)
  const match = header ? /^bearer\s+(\S+)\s*$/i.exec(header.trim()) : null
  return match?.[1] ?? null
}
