import { clientAddress, type Principal } from '@groundwork/core'
import { type BodyLimits, parseJson, readText } from '@groundwork/core/kit'
import type { AuthCallContext } from '../api/context'
import { AuthError } from '../errors'
import type { RedirectPolicy } from '../redirect'

/** A request as the routes see it: read once, GoTrue's way. */
export interface GoTrueRequest {
  readonly request: Request
  readonly query: URLSearchParams
  /** `:name` segments of the matched route, decoded. */
  readonly params: Record<string, string>
  /** The JSON (or form) body; `{}` for GET and empty bodies. */
  readonly body: Record<string, unknown>
  /** The `Authorization: Bearer` token, or `''`. */
  readonly accessToken: string
  /** What `auth.api` learns about the caller. */
  readonly ctx: AuthCallContext
  /**
   * The API key's principal when the request's credential is a Groundwork key (`Bearer`, else
   * `apikey`), already verified; null otherwise (a JWT, or none).
   */
  readonly apiKey: Principal | null
  /**
   * GoTrue's `GetReferrer`: the first allow-listed of `redirect_to` in the query (where auth-js
   * sends it), `redirect_to` in the body, and the `Referer` header; else the site URL.
   * @see https://github.com/supabase/auth/blob/master/internal/utilities/request.go
   */
  redirectTo(): string
}

/**
 * Reads the body as GoTrue does: JSON, or `application/x-www-form-urlencoded`; `{}` when empty;
 * anything but a JSON object is 400 `bad_json`. The kit's reader streams it with the size and
 * depth limits (413 past `maxBodyBytes`, before the rest is read).
 */
export async function readBody(request: Request, limits: BodyLimits): Promise<Record<string, unknown>> {
  if (request.method === 'GET' || request.method === 'HEAD') return {}
  const text = await readText(request, limits)
  if (text.trim() === '') return {}
  if ((request.headers.get('content-type') ?? '').includes('application/x-www-form-urlencoded')) {
    return Object.fromEntries(new URLSearchParams(text))
  }
  const parsed = parseJson(text, limits.maxJsonDepth)
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new AuthError('bad_json', 'Request body must be a JSON object', { status: 400 })
  }
  return parsed as Record<string, unknown>
}

/** The bearer token of `Authorization`, or `''` (no header, or not `Bearer <token>`). */
export function bearerToken(request: Request): string {
  const header = request.headers.get('authorization')
  return (header && /^bearer\s+(.+)$/i.exec(header.trim())?.[1]?.trim()) || ''
}

/**
 * The client address for rate limits and the audit log: what the adapter recorded (core's
 * `clientAddress`: Express's `req.ip`, Fastify's `request.ip`, the socket address, or the first
 * `X-Forwarded-For` hop with `toNodeHandler(h, { trustProxy: true })`), else `''` (per-IP limits
 * are then skipped; per-email limits still apply). A client-sent `X-Forwarded-For` is never
 * trusted on its own: anyone could rotate it to dodge the limits. The `clientIp` option serves
 * platforms that supply the address another way (Next.js on Vercel).
 */
export function defaultClientIp(request: Request): string {
  return clientAddress(request) ?? ''
}

/** Builds the {@link GoTrueRequest} of a routed request. */
export function goTrueRequest(input: {
  request: Request
  url: URL
  params: Record<string, string>
  body: Record<string, unknown>
  ip: string
  redirects: RedirectPolicy
  apiKey?: Principal | null
}): GoTrueRequest {
  const { request, url, body, redirects } = input
  return {
    request,
    query: url.searchParams,
    params: input.params,
    body,
    accessToken: bearerToken(request),
    ctx: { ip: input.ip, userAgent: request.headers.get('user-agent'), request },
    apiKey: input.apiKey ?? null,
    redirectTo() {
      const candidates = [
        url.searchParams.get('redirect_to'),
        body.redirect_to,
        request.headers.get('referer'),
      ]
      const allowed = candidates.find(
        (candidate): candidate is string =>
          typeof candidate === 'string' && candidate !== '' && redirects.isAllowed(candidate),
      )
      return allowed ?? redirects.resolve(undefined)
    },
  }
}

/** The PKCE fields of a body (`code_challenge`, `code_challenge_method`), as `api` inputs name them. */
export function pkceFields(body: Record<string, unknown>): {
  codeChallenge: string
  codeChallengeMethod: string
} {
  return {
    codeChallenge: body.code_challenge as string,
    codeChallengeMethod: body.code_challenge_method as string,
  }
}
