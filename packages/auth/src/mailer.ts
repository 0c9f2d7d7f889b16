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

/** A message as `mail.api.send` of `@groundwork/mail` takes it. */
export interface AuthMailMessage {
  template: AuthMailTemplate
  to: string
  locale?: string
  variables: AuthMailVariables
}

/**
 * The mailer auth needs: `send(tx, message)` enqueues the delivery in the caller's transaction (a
 * rolled-back sign-up sends nothing). Structural — auth does not depend on `@groundwork/mail`:
 * pass its `mail.api`, or any object of this shape (tests, custom senders).
 */
export interface AuthMailer {
  send(tx: Transaction, message: AuthMailMessage): Promise<unknown>
}
