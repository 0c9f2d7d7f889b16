import type { Transaction } from '@groundwork/core'
import type { AuthCallContext } from '../api/context'
import { AuthError } from '../errors'
import { parsePkce } from '../flows/pkce'
import { sendLinkMail } from '../flows/send'
import type { AuthServices } from '../services'
import type { Session } from '../sessions/types'
import { toUser, type User, unsavedUser } from '../users/json'
import type { UserRecord } from '../users/record'
import { assertSingleScript, isValidEmail, normalizeEmail, stringParam } from '../users/validation'

/** Input of `auth.api.signUp` (GoTrue's `POST /signup` body). */
export interface SignUpInput {
  /** Neither `email` nor `phone`: an anonymous user (with `anonymousSignIns`). */
  email?: string
  /** Phone sign-ups are refused (400 `phone_provider_disabled`): no SMS provider. */
  phone?: string
  password?: string
  /** `user_metadata` of the new account. */
  data?: Record<string, unknown>
  /** Where the confirmation link lands (must pass the allow-list; else `siteUrl`). */
  redirectTo?: string
  /** PKCE (RFC 7636): the confirmation link then answers `?code=` for `exchangeCodeForSession`. */
  codeChallenge?: string
  /** `s256` or `plain`. */
  codeChallengeMethod?: string
}

/**
 * What a sign-up answers: a session when the account is usable at once (`mailerAutoconfirm`,
 * anonymous users), else the user awaiting confirmation — for an address that already has an
 * account a never-stored user rendered exactly like a new one (`unsavedUser`), so the answer does
 * not tell them apart.
 */
export interface SignUpResult {
  user: User
  session: Session | null
}

function plainObject(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {}
}

/**
 * GoTrue's `POST /signup`: email + password (a confirmation mail, or a session with
 * `mailerAutoconfirm`), or an anonymous user when neither email nor phone is given.
 *
 * Anti-enumeration (without `mailerAutoconfirm`): the same status, body and time for a new
 * address, a pending one and a confirmed one — the password is hashed and the mail limits counted
 * per address (`countMailRequest`) before the lookup, the lookup and what follows run in
 * `services.uniform`, and an existing account's answer is an {@link unsavedUser}. With
 * `mailerAutoconfirm` a new address gets a session and a confirmed one cannot (422
 * `user_already_exists`, as GoTrue): that mode tells them apart by design.
 */
export async function signUp(
  services: AuthServices,
  input: SignUpInput,
  ctx: AuthCallContext,
): Promise<SignUpResult> {
  const { options } = services
  await services.rateLimit(`signup:ip:${ctx.ip ?? ''}`, options.rateLimits.signUp)
  if (options.disableSignup)
    throw new AuthError('signup_disabled', 'Signups not allowed for this instance', { status: 422 })
  const rawEmail = stringParam(input.email).trim()
  const phone = stringParam(input.phone).trim()
  const password = stringParam(input.password)
  const data = plainObject(input.data)
  if (rawEmail === '' && phone === '') return signUpAnonymously(services, data, ctx)
  // GoTrue's order: password, strength, one identifier, provider, address format.
  if (password === '')
    throw new AuthError('validation_failed', 'Signup requires a valid password', { status: 400 })
  services.passwords.checkPolicy(password)
  if (rawEmail !== '' && phone !== '') {
    throw new AuthError(
      'validation_failed',
      'Only an email address or phone number should be provided on signup.',
      {
        status: 400,
      },
    )
  }
  if (phone !== '')
    throw new AuthError('phone_provider_disabled', 'Phone signups are disabled', { status: 400 })
  const email = normalizeEmail(rawEmail)
  if (!isValidEmail(email)) {
    throw new AuthError('email_address_invalid', 'Unable to validate email address: invalid format', {
      status: 400,
    })
  }
  assertSingleScript(email)
  const redirectTo = services.redirects.resolve(input.redirectTo)
  const pkce = parsePkce(input)
  const hooked = await options.hooks.beforeSignUp?.({
    email,
    phone: null,
    userMetadata: data,
    isAnonymous: false,
    ...(ctx.request ? { request: ctx.request } : {}),
  })
  const userMetadata = hooked?.userMetadata ?? data
  const passwordHash = await services.passwords.hash(password)
  if (!options.mailerAutoconfirm) await services.countMailRequest('confirmation', email)
  // What an existing account's sign-up answers: a user exactly like a new one, stored nowhere.
  const unsaved = (): SignUpResult => ({
    user: unsavedUser({
      email,
      audience: options.jwt.audience,
      role: services.roles.defaultUserRole,
      userMetadata,
      ...(hooked?.appMetadata ? { appMetadata: hooked.appMetadata } : {}),
    }),
    session: null,
  })

  return services.uniform.run('signup', (reference) =>
    services.transact(async (tx): Promise<SignUpResult> => {
      const existing = await services.users.findByEmail(tx, email, { forUpdate: true })
      if (!existing) reference()
      return signUpIn(tx, existing)
    }),
  )

  async function signUpIn(tx: Transaction, existing: UserRecord | null): Promise<SignUpResult> {
    if (existing?.email_confirmed_at) {
      if (options.mailerAutoconfirm) {
        throw new AuthError('user_already_exists', 'User already registered', { status: 422 })
      }
      await services.audit(tx, 'user_repeated_signup', existing, {
        ip: ctx.ip,
        traits: { provider: 'email' },
      })
      return unsaved()
    }
    let user = existing
    if (user && options.mailerAutoconfirm) {
      // A pending account from before autoconfirm was on: GoTrue confirms it and signs the caller
      // in; we first require its password, so nobody takes over an address they do not hold.
      const check = await services.passwords.verify(password, user.encrypted_password)
      if (!check.valid) throw new AuthError('user_already_exists', 'User already registered', { status: 422 })
      user = await services.users.confirmEmail(tx, user.id)
    }
    // An existing unconfirmed account is not updated (the caller's claim to the address is
    // unproven, as GoTrue says); it only gets the confirmation mail again.
    if (!user) {
      user = await services.users.create(tx, {
        email,
        passwordHash,
        userMetadata,
        emailConfirmed: options.mailerAutoconfirm,
        ...(hooked?.appMetadata ? { appMetadata: hooked.appMetadata } : {}),
      })
      await options.hooks.afterSignUp?.({ user, tx })
      await services.audit(tx, 'user_signedup', user, { ip: ctx.ip, traits: { provider: 'email' } })
    }
    if (options.mailerAutoconfirm) {
      const session = await services.sessions.issue(tx, user, {
        amr: 'password',
        ip: ctx.ip,
        userAgent: ctx.userAgent,
      })
      return { user: session.user, session }
    }
    await sendLinkMail(services, tx, user, 'confirmation', { redirectTo, pkce, counted: true })
    await services.audit(tx, 'user_confirmation_requested', user, {
      ip: ctx.ip,
      traits: { provider: 'email' },
    })
    if (existing) return unsaved()
    return { user: toUser((await services.users.findById(tx, user.id)) ?? user), session: null }
  }
}

/** An anonymous user and its session (GoTrue's `EXTERNAL_ANONYMOUS_USERS_ENABLED`). */
async function signUpAnonymously(
  services: AuthServices,
  data: Record<string, unknown>,
  ctx: AuthCallContext,
): Promise<SignUpResult> {
  const { options } = services
  if (!options.anonymousSignIns) {
    throw new AuthError('anonymous_provider_disabled', 'Anonymous sign-ins are disabled', { status: 422 })
  }
  const hooked = await options.hooks.beforeSignUp?.({
    email: null,
    phone: null,
    userMetadata: data,
    isAnonymous: true,
    ...(ctx.request ? { request: ctx.request } : {}),
  })
  const session = await services.transact(async (tx) => {
    const user = await services.users.create(tx, {
      isAnonymous: true,
      userMetadata: hooked?.userMetadata ?? data,
      ...(hooked?.appMetadata ? { appMetadata: hooked.appMetadata } : {}),
    })
    await options.hooks.afterSignUp?.({ user, tx })
    await services.audit(tx, 'user_signedup', user, { ip: ctx.ip, traits: { provider: 'anonymous' } })
    return services.sessions.issue(tx, user, { amr: 'anonymous', ip: ctx.ip, userAgent: ctx.userAgent })
  })
  return { user: session.user, session }
}
