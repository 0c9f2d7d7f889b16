import { AuthError } from '../../errors'
import { type EmailVerifyType, PKCE_PREFIX } from '../../flows/one-time-tokens'
import { redirect } from '../response'
import { getOnly, type Route } from '../route'

/** GoTrue's `oauthErrorMap`: the OAuth `error` of an error redirect, by status. */
const OAUTH_ERROR: Record<number, string> = {
  400: 'invalid_request',
  401: 'unauthorized_client',
  403: 'access_denied',
  500: 'server_error',
  503: 'temporarily_unavailable',
}

/** GoTrue's `prepErrorRedirectURL`: the error in the fragment (and in the query for PKCE). */
function errorRedirect(redirectTo: string, error: AuthError, pkce: boolean): string {
  const url = new URL(redirectTo)
  const params = new URLSearchParams()
  const oauth = OAUTH_ERROR[error.status]
  if (oauth) params.set('error', oauth)
  params.set('error_code', error.errorCode)
  params.set('error_description', error.message)
  if (pkce) for (const [name, value] of params) url.searchParams.set(name, value)
  url.hash = params.toString()
  return url.toString()
}

/** GoTrue's `prepRedirectURL`: an informational message (first of two email-change confirmations). */
function messageRedirect(redirectTo: string, message: string, pkce: boolean): string {
  const url = new URL(redirectTo)
  if (pkce) url.searchParams.set('message', message)
  url.hash = new URLSearchParams({ message }).toString()
  return url.toString()
}

/**
 * `GET /verify?token=&type=&redirect_to=`: the link in the mail. Answers `303` to `redirect_to`
 * with the session in the fragment (`#access_token=…&expires_at=…&expires_in=…&refresh_token=…
 * &token_type=bearer&type=…`), or `?code=` for a PKCE link; a failed verification redirects with
 * `#error=…&error_code=…&error_description=…` (also in the query for PKCE). Missing parameters
 * and rate limits answer JSON, as GoTrue's parameter check and limiter do.
 *
 * @see https://github.com/supabase/auth/blob/master/internal/api/verify.go
 */
export const verifyLinkRoute: Route = {
  method: 'GET',
  path: '/verify',
  handler: getOnly(async ({ query, ctx, ...req }, { api }) => {
    const type = query.get('type') ?? ''
    const token = query.get('token') ?? ''
    if (type === '')
      throw new AuthError('validation_failed', 'Verify requires a verification type', { status: 400 })
    if (token === '')
      throw new AuthError('validation_failed', 'Verify requires a token or a token hash', { status: 400 })
    const redirectTo = req.redirectTo()
    const pkce = token.startsWith(PKCE_PREFIX)
    let result: Awaited<ReturnType<typeof api.verifyLink>>
    try {
      result = await api.verifyLink({ type: type as EmailVerifyType, token }, ctx)
    } catch (error) {
      if (error instanceof AuthError && error.status < 500 && error.status !== 429) {
        return redirect(errorRedirect(redirectTo, error, pkce))
      }
      throw error
    }
    if (result.kind === 'message') return redirect(messageRedirect(redirectTo, result.message, pkce))
    if (result.kind === 'code') {
      const url = new URL(redirectTo)
      url.searchParams.set('code', result.code)
      return redirect(url.toString())
    }
    const { session } = result
    const fragment = new URLSearchParams({
      access_token: session.access_token,
      expires_at: String(session.expires_at),
      expires_in: String(session.expires_in),
      refresh_token: session.refresh_token,
      token_type: session.token_type,
      type,
    })
    return redirect(`${redirectTo}#${fragment}`)
  }),
}
