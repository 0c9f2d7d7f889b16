import type { Transaction } from '@groundwork/core'
import type { AuthCallContext } from '../api/context'
import type { Queryable } from '../db'
import { AuthError } from '../errors'
import { sendLinkMail } from '../flows/send'
import type { AuthServices } from '../services'
import { isBanned, type UserRecord } from '../users/record'
import { type ExternalProfile, identityData } from './profile'

/** Recomputes `app_metadata.providers` from the user's identities (GoTrue's `UpdateAppMetaDataProviders`). */
export async function refreshProviders(tx: Queryable, userId: string): Promise<void> {
  await tx.query(
    `update auth.users set raw_app_meta_data = raw_app_meta_data || jsonb_build_object('providers',
       coalesce((select jsonb_agg(provider order by first) from
         (select provider, min(created_at) as first from auth.identities where user_id = $1 group by provider) p), '[]')),
       updated_at = now()
     where id = $1`,
    [userId],
  )
}

async function insertIdentity(
  tx: Queryable,
  userId: string,
  provider: string,
  data: Record<string, unknown>,
): Promise<void> {
  try {
    await tx.query(
      `insert into auth.identities (provider_id, user_id, identity_data, provider, last_sign_in_at)
       values ($1, $2, $3, $4, now())`,
      [data.sub, userId, JSON.stringify(data), provider],
    )
  } catch (error) {
    if ((error as { code?: string }).code === '23505') {
      throw new AuthError('identity_already_exists', 'Identity is already linked to another user', {
        status: 422,
        cause: error,
      })
    }
    throw error
  }
}

/**
 * The account an external identity signs in to, as GoTrue's `createAccountFromExternalIdentity`
 * decides it (`models.DetermineAccountLinking`):
 *
 * - the identity exists: its user (identity data and `user_metadata` refreshed);
 * - linking (`linkUserId`): the identity is added to that signed-in user, 422
 *   `identity_already_exists` when another user has it;
 * - else an account with the same email, **only when the provider verified that email** (never on
 *   an unverified one): the identity is linked to it, and since the owner of the address has now
 *   proven it, an unconfirmed account's password is removed (a pre-registered password could be an
 *   attacker's) and its email confirmed;
 * - else a new account (unless sign-ups are disabled).
 *
 * An account whose email nobody has confirmed — the provider did not verify it and mail is not
 * auto-confirmed — gets no session: as GoTrue, the account and identity are kept, a confirmation
 * mail is enqueued, that is committed, and the call fails with 422
 * `provider_email_needs_verification`; after the link is followed, signing in with the provider
 * again succeeds. When another account already holds that address it is refused without a mail
 * (the address's owner must never get mail for an account someone else started).
 *
 * @see https://github.com/supabase/auth/blob/master/internal/api/external.go — createAccountFromExternalIdentity
 */
export async function accountForIdentity(
  services: AuthServices,
  tx: Transaction,
  input: {
    provider: string
    issuer: string
    profile: ExternalProfile
    linkUserId: string | null
    /** Where the confirmation link of an unverified email returns to (already allow-listed). */
    redirectTo: string
  },
  ctx: AuthCallContext,
): Promise<UserRecord> {
  const { provider, profile } = input
  const data = identityData(input.issuer, profile)
  const verifiedEmail = profile.email && profile.emailVerified ? profile.email.toLowerCase() : null
  const { rows } = await tx.query<{ id: string; user_id: string }>(
    'select id, user_id from auth.identities where provider = $1 and provider_id = $2 for update',
    [provider, profile.id],
  )
  const existing = rows[0]
  let user: UserRecord | null
  let action: 'login' | 'user_signedup' | 'identity_linked' = 'login'

  if (input.linkUserId) {
    if (existing && existing.user_id !== input.linkUserId) {
      throw new AuthError('identity_already_exists', 'Identity is already linked to another user', {
        status: 422,
      })
    }
    if (existing) {
      await tx.query(
        'update auth.identities set identity_data = $2, last_sign_in_at = now(), updated_at = now() where id = $1',
        [existing.id, JSON.stringify(data)],
      )
    } else {
      await insertIdentity(tx, input.linkUserId, provider, data)
      action = 'identity_linked'
    }
    await refreshProviders(tx, input.linkUserId)
    user = await services.users.findById(tx, input.linkUserId, { forUpdate: true })
    if (!user || user.deleted_at) throw new AuthError('user_not_found', 'User not found', { status: 404 })
  } else if (existing) {
    // A returning identity: its data and the user's metadata refreshed in one statement (the
    // providers are unchanged). Metadata keys set to null by the provider are dropped, as GoTrue.
    await tx.query(
      `with i as (update auth.identities set identity_data = $2, last_sign_in_at = now(), updated_at = now() where id = $1)
       update auth.users set raw_user_meta_data = (raw_user_meta_data || $2::jsonb)
           - coalesce((select array_agg(key) from jsonb_each($2::jsonb) where value = 'null'::jsonb), '{}'),
         updated_at = now()
       where id = $3`,
      [existing.id, JSON.stringify(data), existing.user_id],
    )
    user = await services.users.findById(tx, existing.user_id, { forUpdate: true })
    if (!user || user.deleted_at) throw new AuthError('user_not_found', 'User not found', { status: 404 })
  } else {
    const candidate = verifiedEmail
      ? await services.users.findByEmail(tx, verifiedEmail, { forUpdate: true })
      : null
    if (candidate && !candidate.is_sso_user) {
      await insertIdentity(tx, candidate.id, provider, data)
      if (!candidate.email_confirmed_at) {
        // GoTrue's `RemoveUnconfirmedIdentities`: the verified owner of the address now holds the
        // account. Nothing anyone else attached before it was confirmed stays a door into it: not
        // a password, and not another identity (an attacker's provider account that claimed the
        // address unverified); the metadata becomes the verified identity's.
        await tx.query(
          `with gone as (delete from auth.identities where user_id = $1 and not (provider = $2 and provider_id = $3))
           update auth.users set encrypted_password = null, email_confirmed_at = now(), updated_at = now(),
             raw_user_meta_data = $4::jsonb || '{"email_verified": true}'::jsonb where id = $1`,
          [candidate.id, provider, data.sub, JSON.stringify(data)],
        )
      }
      await refreshProviders(tx, candidate.id)
      user = await services.users.findById(tx, candidate.id, { forUpdate: true })
      action = 'identity_linked'
    } else {
      if (services.options.disableSignup) {
        throw new AuthError('signup_disabled', 'Signups not allowed for this instance', { status: 422 })
      }
      const unverified = Boolean(profile.email) && !verifiedEmail && !services.options.mailerAutoconfirm
      if (unverified && (await services.users.findByEmail(tx, profile.email as string))) {
        throw needsVerification(provider, false)
      }
      const created = await services.users.create(tx, {
        email: profile.email ?? null,
        emailConfirmed: Boolean(profile.email) && !unverified,
        userMetadata: data,
        appMetadata: { provider, providers: [provider] },
        identity: false,
      })
      await insertIdentity(tx, created.id, provider, data)
      user = await services.users.findById(tx, created.id, { forUpdate: true })
      action = 'user_signedup'
    }
  }
  if (!user) throw new AuthError('user_not_found', 'User not found', { status: 404 })
  if (isBanned(user)) throw new AuthError('user_banned', 'User is banned', { status: 403 })
  await services.audit(tx, action, user, { ip: ctx.ip, traits: { provider } })
  if (user.email && !user.email_confirmed_at) {
    if (verifiedEmail === user.email.toLowerCase() || services.options.mailerAutoconfirm) {
      // The provider verifies the address now (or nothing needs confirming): confirm it.
      await tx.query(
        `update auth.users set email_confirmed_at = now(), updated_at = now(),
           raw_user_meta_data = raw_user_meta_data || '{"email_verified": true}'::jsonb where id = $1`,
        [user.id],
      )
      const confirmed = await services.users.findById(tx, user.id)
      if (confirmed) user = confirmed
    } else {
      // GoTrue's `sendConfirmation` + `NewCommitWithError`: the account stays, the mail goes.
      let sent = true
      try {
        await sendLinkMail(services, tx, user, 'confirmation', { redirectTo: input.redirectTo })
      } catch (error) {
        // A confirmation went out moments ago (the per-user frequency limit): that one serves.
        if (!(error instanceof AuthError && error.status === 429)) throw error
        sent = false
      }
      throw needsVerification(provider, sent)
    }
  }
  return user
}

/** GoTrue's 422 `provider_email_needs_verification`; `commit` keeps the account and its mail. */
function needsVerification(provider: string, mailSent: boolean): AuthError {
  return new AuthError(
    'provider_email_needs_verification',
    mailSent
      ? `Unverified email with ${provider}. A confirmation email has been sent to your ${provider} email`
      : `Unverified email with ${provider}. Verify the email with ${provider} in order to sign in`,
    { status: 422, commit: mailSent },
  )
}

/**
 * Removes one of a signed-in user's identities (`DELETE /user/identities/{id}`): 404
 * `identity_not_found` when it is not theirs, 422 `single_identity_not_deletable` for the last one.
 * When the identity carried the user's email and no other does, the email moves to another
 * identity's (GoTrue's `UpdateUserEmailFromIdentities`), so the account never keeps an address
 * no remaining sign-in method proves.
 */
export async function unlinkIdentity(tx: Queryable, user: UserRecord, identityId: string): Promise<void> {
  if (user.identities.length <= 1) {
    throw new AuthError(
      'single_identity_not_deletable',
      'User must have at least 1 identity after unlinking',
      {
        status: 422,
      },
    )
  }
  const identity = user.identities.find((candidate) => candidate.id === identityId)
  if (!identity) throw new AuthError('identity_not_found', "Identity doesn't exist", { status: 404 })
  await tx.query('delete from auth.identities where id = $1 and user_id = $2', [identity.id, user.id])
  await refreshProviders(tx, user.id)
  const email = user.email?.toLowerCase() ?? null
  const remaining = user.identities.filter((candidate) => candidate.id !== identity.id)
  if (email && identity.email === email && !remaining.some((candidate) => candidate.email === email)) {
    const next = remaining.find((candidate) => candidate.email)?.email ?? null
    await tx.query('update auth.users set email = $2, updated_at = now() where id = $1', [user.id, next])
  }
}
