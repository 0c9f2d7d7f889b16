import { randomBytes } from 'node:crypto'
import type { Transaction } from '@groundwork/core'
import type { AuthCallContext } from '../api/context'
import { AuthError } from '../errors'
import { issueOneTimeToken, linkTokenKey, type OneTimeTokenType } from '../flows/one-time-tokens'
import type { AuthServices } from '../services'
import { toUser, type User } from '../users/json'
import type { UserRecord } from '../users/record'
import {
  assertSingleScript,
  isValidEmail,
  metadataParam,
  normalizeEmail,
  requireEmail,
} from '../users/validation'

const DUPLICATE_EMAIL = 'A user with this email address has already been registered'

/** `generateLink` types and what each issues. */
const LINK_TYPES = {
  signup: { token: 'confirmation_token', verify: 'signup', sentAt: 'confirmation_sent_at' },
  invite: { token: 'confirmation_token', verify: 'invite', sentAt: 'confirmation_sent_at' },
  magiclink: { token: 'recovery_token', verify: 'magiclink', sentAt: 'recovery_sent_at' },
  recovery: { token: 'recovery_token', verify: 'recovery', sentAt: 'recovery_sent_at' },
  email_change_current: {
    token: 'email_change_token_current',
    verify: 'email_change',
    sentAt: 'email_change_sent_at',
  },
  email_change_new: {
    token: 'email_change_token_new',
    verify: 'email_change',
    sentAt: 'email_change_sent_at',
  },
} as const satisfies Record<string, { token: OneTimeTokenType; verify: string; sentAt: string }>

/** A `generateLink` type. */
export type GenerateLinkType = keyof typeof LINK_TYPES

/** Parameters of `admin.generateLink` (auth-js' `GenerateLinkParams`, options flattened). */
export interface GenerateLinkParams {
  type: GenerateLinkType
  email: string
  /** For `signup`: the new account's password. */
  password?: string
  /** For `email_change_current` / `email_change_new`: the address to change to. */
  newEmail?: string
  /** `user_metadata` of an account this creates (or, for `signup`, merges in). */
  data?: Record<string, unknown>
  /** Where the link lands (must pass the allow-list; else `siteUrl`). */
  redirectTo?: string
}

/** What `generateLink` answers: the user and the link GoTrue would have mailed (auth-js' shape). */
export interface GenerateLinkResult {
  user: User
  properties: {
    action_link: string
    email_otp: string
    hashed_token: string
    verification_type: GenerateLinkType
    redirect_to: string
  }
}

/**
 * GoTrue's `POST /admin/generate_link`: issues the token of a sign-up, invite, magic link, recovery
 * or email change without sending mail. `signup`, `invite` and `magiclink` create the account when
 * needed (a magic link for a new address becomes a `signup` link, as in GoTrue).
 *
 * @see https://github.com/supabase/auth/blob/master/internal/api/mail.go
 */
export async function generateLink(
  services: AuthServices,
  params: GenerateLinkParams,
  ctx: AuthCallContext,
): Promise<GenerateLinkResult> {
  let type: string = typeof params.type === 'string' ? params.type : ''
  if (!Object.hasOwn(LINK_TYPES, type)) {
    throw new AuthError('validation_failed', `Invalid email action link type requested: ${type}`, {
      status: 400,
    })
  }
  const email = requireEmail(params.email, 'An email address is required')
  const data = metadataParam(params.data, 'data')
  const redirectTo = services.redirects.resolve(params.redirectTo)
  let password = typeof params.password === 'string' && params.password !== '' ? params.password : undefined
  let newEmail: string | undefined
  if (type === 'email_change_current' || type === 'email_change_new') {
    newEmail = normalizeEmail(typeof params.newEmail === 'string' ? params.newEmail : '')
    if (!isValidEmail(newEmail)) {
      throw new AuthError('validation_failed', 'Unable to validate email address: invalid format', {
        status: 400,
      })
    }
    assertSingleScript(newEmail)
    if (type === 'email_change_current' && !services.options.secureEmailChange) {
      throw new AuthError(
        'validation_failed',
        'Enable secure email change to generate link for current email',
        {
          status: 400,
        },
      )
    }
  }
  const existing = await services.users.findByEmail(services.db, email)
  if (!existing) {
    // The address is about to get an account (or the request fails with 404 below).
    if (type === 'signup' || type === 'invite' || type === 'magiclink') assertSingleScript(email)
    if (type === 'magiclink') {
      type = 'signup'
      password ??= randomBytes(32).toString('base64url')
    } else if (type !== 'signup' && type !== 'invite') {
      throw new AuthError('user_not_found', 'User with this email not found', { status: 404 })
    }
  }
  if (type === 'signup' && !existing) {
    if (!password)
      throw new AuthError('validation_failed', 'Signup requires a valid password', { status: 422 })
    services.passwords.checkPolicy(password)
  }
  const passwordHash =
    type === 'signup' && !existing && password ? await services.passwords.hash(password) : null
  const linkType = type as GenerateLinkType
  const spec = LINK_TYPES[linkType]

  const { user, issued } = await services.transact(async (tx) => {
    let user = existing ? await services.users.findById(tx, existing.id, { forUpdate: true }) : null
    if (user && (linkType === 'signup' || linkType === 'invite') && user.email_confirmed_at) {
      throw new AuthError('email_exists', DUPLICATE_EMAIL, { status: 422 })
    }
    if (!user) user = await createFor(services, tx, email, linkType, data, passwordHash)
    else if (linkType === 'signup' && data) await services.users.updateUserMetadata(tx, user.id, data)
    let address = email
    if (newEmail) {
      const taken = await services.users.findByEmail(tx, newEmail)
      if (taken && taken.id !== user.id) throw new AuthError('email_exists', DUPLICATE_EMAIL, { status: 422 })
      await services.users.update(tx, user.id, { email_change: newEmail, email_change_confirm_status: 0 })
      if (linkType === 'email_change_new') address = newEmail
    }
    const issued = await issueOneTimeToken(tx, {
      userId: user.id,
      type: spec.token,
      address,
      otpLength: services.options.otpLength,
      key: linkTokenKey(services.options.jwt),
    })
    await services.users.update(tx, user.id, {
      [spec.sentAt]: new Date(),
      ...(linkType === 'invite' ? { invited_at: new Date() } : {}),
    })
    if (linkType === 'invite') {
      await services.audit(tx, 'user_invited', ctx.actor ?? null, {
        ip: ctx.ip,
        traits: { user_id: user.id, user_email: user.email ?? '' },
      })
    } else if (linkType === 'magiclink' || linkType === 'recovery') {
      await services.audit(tx, 'user_recovery_requested', user, { ip: ctx.ip })
    }
    return { user: (await services.users.findById(tx, user.id)) as UserRecord, issued }
  })
  return {
    user: toUser(user),
    properties: {
      action_link: services.verifyUrl(spec.verify, issued.tokenHash, redirectTo),
      email_otp: issued.otp,
      hashed_token: issued.tokenHash,
      verification_type: linkType,
      redirect_to: redirectTo,
    },
  }
}

async function createFor(
  services: AuthServices,
  tx: Transaction,
  email: string,
  type: GenerateLinkType,
  data: Record<string, unknown> | undefined,
  passwordHash: string | null,
): Promise<UserRecord> {
  const user = await services.users.create(tx, {
    email,
    passwordHash,
    ...(data ? { userMetadata: data } : {}),
    ...(type === 'invite' ? { invitedAt: new Date() } : {}),
  })
  await services.audit(tx, 'user_signedup', user, { traits: { provider: 'email' } })
  return user
}
