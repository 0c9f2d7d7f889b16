import type { Transaction } from '@groundwork/core'

/** The mail templates auth sends (the built-in keys of `@groundwork/mail`, GoTrue's flows). */
export type AuthMailTemplate =
  | 'confirm_signup'
  | 'invite'
  | 'magic_link'
  | 'otp'
  | 'recovery'
  | 'email_change'
  | 'reauthentication'

/** Variables the templates receive (snake_case of GoTrue's template variables). */
export interface AuthMailVariables {
  confirmation_url?: string
  token?: string
  token_hash?: string
  site_url?: string
  email?: string
  new_email?: string
  redirect_to?: string
  data?: Record<string, unknown>
  [name: string]: unknown
}

/** A message as `Mail.send` takes it. */
export interface AuthMailMessage {
  template: AuthMailTemplate
  to: string
  locale?: string
  variables: AuthMailVariables
}

/**
 * The part of `@groundwork/mail`'s `Mail` that auth uses: `send(tx, message)` enqueues the
 * delivery job in the caller's transaction (a rolled-back sign-up sends nothing). Structural, so
 * any object with this shape works (tests, custom senders).
 */
export interface AuthMailer {
  send(tx: Transaction, message: AuthMailMessage): Promise<unknown>
}
