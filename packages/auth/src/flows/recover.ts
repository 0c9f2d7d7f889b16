import type { AuthCallContext } from '../api/context'
import type { AuthServices } from '../services'
import { requireEmail } from '../users/validation'
import { parsePkce } from './pkce'
import { sendLinkMail } from './send'

/** Options of `auth.api.resetPasswordForEmail`. */
export interface ResetPasswordOptions {
  /** Where the recovery link lands (must pass the allow-list; else `siteUrl`). */
  redirectTo?: string
  /** PKCE: the link then answers `?code=` for `exchangeCodeForSession`. */
  codeChallenge?: string
  codeChallengeMethod?: string
}

/**
 * GoTrue's `POST /recover`: mails a recovery link and code. Anti-enumeration: the same status,
 * body and time whether or not the address has an account — the limits are counted per address
 * before the lookup (`countMailRequest`), and the lookup and mail run in `services.uniform`.
 *
 * @see https://github.com/supabase/auth/blob/master/internal/api/recover.go
 */
export async function resetPasswordForEmail(
  services: AuthServices,
  email: string,
  options: ResetPasswordOptions,
  ctx: AuthCallContext,
): Promise<void> {
  const address = requireEmail(email, 'Password recovery requires an email')
  const pkce = parsePkce(options)
  const redirectTo = services.redirects.resolve(options.redirectTo)
  await services.rateLimit(`otp:ip:${ctx.ip ?? ''}`, services.options.rateLimits.otp)
  await services.countMailRequest('recovery', address)
  await services.uniform.run('recover', (reference) =>
    services.transact(async (tx) => {
      const user = await services.users.findByEmail(tx, address, { forUpdate: true })
      if (!user) return
      reference()
      await services.audit(tx, 'user_recovery_requested', user, { ip: ctx.ip })
      await sendLinkMail(services, tx, user, 'recovery', { redirectTo, pkce, counted: true })
    }),
  )
}
