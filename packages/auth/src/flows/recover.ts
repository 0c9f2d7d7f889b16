import type { RouteHandler } from '../context'
import { json } from '../http'
import { parsePkceParams } from './pkce'
import { emailParam, redirectParam } from './request-params'
import { sendRecovery } from './send'

/**
 * `POST /recover` (auth-js `resetPasswordForEmail`, GoTrue's `recover.go`): mails a recovery link
 * and code. `200 {}` whether or not the address has an account (anti-enumeration).
 */
export const recover: RouteHandler = async (ctx) => {
  const { body, services } = ctx
  const email = emailParam(body.email, 'Password recovery requires an email')
  const pkce = parsePkceParams(body)
  const redirectTo = redirectParam(ctx)
  await services.rateLimit(`otp:ip:${ctx.ip}`, services.options.rateLimits.otp)
  await services.transact(async (tx) => {
    const user = await services.users.findByEmail(tx, email, { forUpdate: true })
    if (!user) return
    await services.audit(tx, 'user_recovery_requested', user, { ip: ctx.ip })
    await sendRecovery(services, tx, user, { redirectTo, pkce })
  })
  return json({})
}
