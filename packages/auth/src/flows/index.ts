// Owned by AUTH-B: email flows (OTP, magic link, verify, resend, recover, email change, PKCE).
// The router mounts `flowRoutes`; `POST /token?grant_type=<name>` delegates to `flowGrants[name]`.
import type { Route, RouteHandler } from '../context'
import { otp } from './otp'
import { pkceGrant } from './pkce-grant'
import { recover } from './recover'
import { resend } from './resend'
import { verifyGet, verifyPost } from './verify'

export { completeEmailChange } from './email-change'
export { createFlowState, type PkceChallenge, parsePkceParams } from './pkce'
export { sendConfirmation, sendInvite, sendMagicLink, sendReauthentication, sendRecovery } from './send'

/** Routes of the email flows (`/otp`, `/magiclink`, `/verify`, `/resend`, `/recover`). */
export const flowRoutes: Route[] = [
  { method: 'POST', path: '/otp', handler: otp },
  { method: 'POST', path: '/magiclink', handler: otp },
  { method: 'POST', path: '/recover', handler: recover },
  { method: 'POST', path: '/resend', handler: resend },
  { method: 'POST', path: '/verify', handler: verifyPost },
  { method: 'GET', path: '/verify', handler: verifyGet },
]

/** Extra `/token` grants implemented by the flows (`pkce`). */
export const flowGrants: Partial<Record<string, RouteHandler>> = {
  pkce: pkceGrant,
}
