import type { SignInWithOtpInput } from '../../flows/otp'
import type { ResendInput } from '../../flows/resend'
import type { VerifyOtpInput } from '../../flows/verify'
import { pkceFields } from '../request'
import { json } from '../response'
import type { Route, RouteHandler } from '../route'

/** `POST /otp` and the older `POST /magiclink`. */
const otp: RouteHandler = async ({ body, ctx, ...req }, { api }) => {
  const input: SignInWithOtpInput = {
    email: body.email as string,
    phone: body.phone as string,
    createUser: body.create_user as boolean,
    data: body.data as Record<string, unknown>,
    redirectTo: req.redirectTo(),
    ...pkceFields(body),
  }
  await api.signInWithOtp(input, ctx)
  return json({})
}

/** GoTrue's email-flow routes: OTP and magic links, recovery, resending, code verification. */
export const emailRoutes: Route[] = [
  { method: 'POST', path: '/otp', handler: otp },
  { method: 'POST', path: '/magiclink', handler: otp },
  {
    method: 'POST',
    path: '/recover',
    async handler({ body, ctx, ...req }, { api }) {
      await api.resetPasswordForEmail(
        body.email as string,
        { redirectTo: req.redirectTo(), ...pkceFields(body) },
        ctx,
      )
      return json({})
    },
  },
  {
    method: 'POST',
    path: '/resend',
    async handler({ body, ctx, ...req }, { api }) {
      const input: ResendInput = {
        type: body.type as ResendInput['type'],
        email: body.email as string,
        phone: body.phone as string,
        redirectTo: req.redirectTo(),
        ...pkceFields(body),
      }
      await api.resend(input, ctx)
      return json({})
    },
  },
  {
    method: 'POST',
    path: '/verify',
    async handler({ body, ctx }, { api }) {
      const input: VerifyOtpInput = {
        type: body.type as VerifyOtpInput['type'],
        email: body.email as string,
        token: body.token as string,
        token_hash: body.token_hash as string,
        phone: body.phone as string,
        redirectTo: body.redirect_to as string,
      }
      const result = await api.verifyOtp(input, ctx)
      if (result.session) return json(result.session)
      // GoTrue's answer to the first of two secure email-change confirmations.
      return json({ msg: result.message, code: '200' })
    },
  },
]
