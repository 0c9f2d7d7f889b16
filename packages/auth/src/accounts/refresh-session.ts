import type { AuthCallContext } from '../api/context'
import { OAuthError } from '../errors'
import type { AuthServices } from '../services'
import type { Session } from '../sessions/types'

/**
 * GoTrue's `grant_type=refresh_token`: rate-limited per client address, then rotation with reuse
 * detection (`rotateRefreshToken`), which also writes the `token_refreshed` audit entry. A missing
 * token is the OAuth error `invalid_request`, as GoTrue answers it.
 */
export async function refreshSession(
  services: AuthServices,
  refreshToken: string,
  ctx: AuthCallContext,
): Promise<Session> {
  await services.rateLimit(`refresh:ip:${ctx.ip ?? ''}`, services.options.rateLimits.tokenRefresh)
  const token = typeof refreshToken === 'string' ? refreshToken.trim() : ''
  if (token === '') throw new OAuthError('invalid_request', 'refresh_token required')
  return services.transact((tx) =>
    services.sessions.refresh(tx, token, { ip: ctx.ip, userAgent: ctx.userAgent }),
  )
}
