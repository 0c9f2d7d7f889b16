import type { Transaction } from '@groundwork/core'
import { AuthError } from '../errors'
import type { AuthServices } from '../services'
import type { UserRecord } from '../users/record'
import { deleteOneTimeTokens } from './one-time-tokens'

/** GoTrue's message when the other address still has to confirm (secure email change). */
export const SINGLE_CONFIRMATION_MESSAGE =
  'Confirmation link accepted. Please proceed to confirm link sent to the other email'

/** GoTrue's `DuplicateEmailMsg`. */
export const DUPLICATE_EMAIL_MESSAGE = 'A user with this email address has already been registered'

/**
 * Applies a confirmed email change (GoTrue's `ConfirmEmailChange`): `email ← email_change`,
 * confirmed, the `email` identity updated (or created, e.g. for an anonymous account, which thereby
 * stops being anonymous), pending change tokens dropped.
 */
export async function completeEmailChange(
  services: AuthServices,
  tx: Transaction,
  userId: string,
): Promise<UserRecord> {
  const user = await services.users.findById(tx, userId, { forUpdate: true })
  const next = user?.email_change
  if (!user || !next)
    throw new AuthError('otp_expired', 'Email link is invalid or has expired', { status: 403 })
  const taken = await services.users.findByEmail(tx, next)
  if (taken && taken.id !== user.id)
    throw new AuthError('email_exists', DUPLICATE_EMAIL_MESSAGE, { status: 422 })
  await tx.query(
    `update auth.users set email = email_change, email_change = null, email_change_confirm_status = 0,
       email_confirmed_at = coalesce(email_confirmed_at, now()), is_anonymous = false, updated_at = now()
     where id = $1`,
    [user.id],
  )
  const identity = user.identities.find((candidate) => candidate.provider === 'email')
  if (identity) {
    await tx.query(
      `update auth.identities set identity_data = identity_data || $2::jsonb, updated_at = now() where id = $1`,
      [identity.id, JSON.stringify({ email: next, email_verified: true })],
    )
  } else {
    await tx.query(
      `insert into auth.identities (provider_id, user_id, identity_data, provider, last_sign_in_at)
       values ($1::text, $1::uuid, $2, 'email', now())`,
      [user.id, JSON.stringify({ sub: user.id, email: next, email_verified: true, phone_verified: false })],
    )
    const providers = new Set([
      ...((user.raw_app_meta_data.providers as string[] | undefined) ?? []),
      'email',
    ])
    await services.users.updateAppMetadata(tx, user.id, {
      provider: user.raw_app_meta_data.provider ?? 'email',
      providers: [...providers],
    })
  }
  await deleteOneTimeTokens(tx, user.id, ['email_change_token_new', 'email_change_token_current'])
  return (await services.users.findById(tx, user.id)) as UserRecord
}
