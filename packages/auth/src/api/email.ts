import { exchangeCodeForSession } from '../flows/exchange-code'
import type { EmailVerifyType } from '../flows/one-time-tokens'
import { type SignInWithOtpInput, signInWithOtp } from '../flows/otp'
import { type ResetPasswordOptions, resetPasswordForEmail } from '../flows/recover'
import { type ResendInput, resend } from '../flows/resend'
import {
  type VerifyLinkResult,
  type VerifyOtpInput,
  type VerifyOtpResult,
  verifyLink,
  verifyOtp,
} from '../flows/verify'
import type { AuthServices } from '../services'
import type { Session } from '../sessions/types'
import type { AuthCallContext } from './context'

/**
 * The email-flow half of `auth.api`: magic links and codes, verification, recovery, resending,
 * PKCE. Every mail is enqueued in the transaction of its state change.
 */
export interface EmailApi {
  /**
   * Mails a magic link and code (`POST /otp`), creating the account for a new address unless
   * `createUser: false`. Resolves the same whether or not the address has an account.
   * @see https://supabase.com/docs/reference/javascript/auth-signinwithotp
   */
  signInWithOtp(input: SignInWithOtpInput, ctx?: AuthCallContext): Promise<void>
  /**
   * Verifies an emailed code (`email` + `token`) or link token (`token_hash`) (`POST /verify`).
   * Single use; any miss is 403 `otp_expired`.
   * @see https://supabase.com/docs/reference/javascript/auth-verifyotp
   */
  verifyOtp(input: VerifyOtpInput, ctx?: AuthCallContext): Promise<VerifyOtpResult>
  /**
   * Verifies the `token` of a mailed link (`GET /verify`): a session, or for a `pkce_` link the
   * auth code `exchangeCodeForSession` takes.
   * @see https://github.com/supabase/auth/blob/master/internal/api/verify.go
   */
  verifyLink(
    input: { type: EmailVerifyType; token: string },
    ctx?: AuthCallContext,
  ): Promise<VerifyLinkResult>
  /**
   * Mails a password-recovery link and code (`POST /recover`). Resolves the same whether or not
   * the address has an account.
   * @see https://supabase.com/docs/reference/javascript/auth-resetpasswordforemail
   */
  resetPasswordForEmail(email: string, options?: ResetPasswordOptions, ctx?: AuthCallContext): Promise<void>
  /**
   * Sends the sign-up confirmation or the email-change mails again (`POST /resend`).
   * @see https://supabase.com/docs/reference/javascript/auth-resend
   */
  resend(input: ResendInput, ctx?: AuthCallContext): Promise<void>
  /**
   * Trades the auth code of a PKCE link and its verifier for a session
   * (`POST /token?grant_type=pkce`).
   * @see https://supabase.com/docs/reference/javascript/auth-exchangecodeforsession
   * @see https://www.rfc-editor.org/rfc/rfc7636#section-4.6
   */
  exchangeCodeForSession(authCode: string, codeVerifier: string, ctx?: AuthCallContext): Promise<Session>
}

/** Builds {@link EmailApi}. */
export function createEmailApi(services: AuthServices): EmailApi {
  return {
    signInWithOtp: (input, ctx = {}) => signInWithOtp(services, input, ctx),
    verifyOtp: (input, ctx = {}) => verifyOtp(services, input, ctx),
    verifyLink: (input, ctx = {}) => verifyLink(services, input, ctx),
    resetPasswordForEmail: (email, options = {}, ctx = {}) =>
      resetPasswordForEmail(services, email, options, ctx),
    resend: (input, ctx = {}) => resend(services, input, ctx),
    exchangeCodeForSession: (authCode, codeVerifier, ctx = {}) =>
      exchangeCodeForSession(services, authCode, codeVerifier, ctx),
  }
}
