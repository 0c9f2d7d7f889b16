import type { Route } from '../context'
import { AuthError } from '../errors'
import { parsePkceParams } from '../flows/pkce'
import { sendConfirmation } from '../flows/send'
import { json } from '../http'
import { isValidEmail, normalizeEmail, toUserJson } from '../users'

function metadataOf(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {}
}

/**
 * `POST /signup`: email + password (confirmation mail, or a session with `mailerAutoconfirm`), or
 * an anonymous user when neither email nor phone is given.
 *
 * @see https://github.com/supabase/auth/blob/master/internal/api/signup.go
 * @see https://supabase.com/docs/reference/javascript/auth-signup
 */
export const signupRoute: Route = {
  method: 'POST',
  path: '/signup',
  async handler(ctx) {
    const { services, body } = ctx
    const { options } = services
    await services.rateLimit(`signup:ip:${ctx.ip}`, options.rateLimits.signUp)
    if (options.disableSignup)
      throw new AuthError('signup_disabled', 'Signups not allowed for this instance', { status: 422 })
    const rawEmail = typeof body.email === 'string' ? body.email.trim() : ''
    const phone = typeof body.phone === 'string' ? body.phone.trim() : ''
    const password = typeof body.password === 'string' ? body.password : ''
    let userMetadata = metadataOf(body.data)

    if (rawEmail === '' && phone === '') {
      if (!options.anonymousSignIns) {
        throw new AuthError('anonymous_provider_disabled', 'Anonymous sign-ins are disabled', { status: 422 })
      }
      const hooked = await options.hooks.beforeSignUp?.({
        email: null,
        phone: null,
        userMetadata,
        isAnonymous: true,
        request: ctx.request,
      })
      userMetadata = hooked?.userMetadata ?? userMetadata
      const session = await services.transact(async (tx) => {
        const user = await services.users.create(tx, {
          isAnonymous: true,
          userMetadata,
          ...(hooked?.appMetadata ? { appMetadata: hooked.appMetadata } : {}),
        })
        await options.hooks.afterSignUp?.({ user, tx })
        await services.audit(tx, 'user_signedup', user, { ip: ctx.ip, traits: { provider: 'anonymous' } })
        return services.issueSession(tx, user, { amr: 'anonymous', ip: ctx.ip, userAgent: ctx.userAgent })
      })
      return json(session)
    }
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
    if (!isValidEmail(rawEmail)) {
      throw new AuthError('email_address_invalid', 'Unable to validate email address: invalid format', {
        status: 400,
      })
    }
    const email = normalizeEmail(rawEmail)
    const redirectTo = services.redirects.resolve(ctx.query.get('redirect_to') ?? body.redirect_to)
    const pkce = parsePkceParams(body)

    const hooked = await options.hooks.beforeSignUp?.({
      email,
      phone: null,
      userMetadata,
      isAnonymous: false,
      request: ctx.request,
    })
    userMetadata = hooked?.userMetadata ?? userMetadata
    const passwordHash = await services.passwords.hash(password)

    const result = await services.transact(async (tx) => {
      const existing = await services.users.findByEmail(tx, email, { forUpdate: true })
      if (existing?.email_confirmed_at) {
        if (options.mailerAutoconfirm) {
          throw new AuthError('user_already_exists', 'User already registered', { status: 422 })
        }
        // Anti-enumeration: answer as for a new sign-up, with a user that exists nowhere.
        await services.audit(tx, 'user_repeated_signup', existing, {
          ip: ctx.ip,
          traits: { provider: 'email' },
        })
        return { kind: 'obfuscated' as const, user: existing }
      }
      let user = existing
      if (user && options.mailerAutoconfirm) {
        // A pending account from before autoconfirm was on: GoTrue confirms it and signs the caller
        // in; we first require its password, so nobody takes over an address they do not hold.
        const check = await services.passwords.verify(password, user.encrypted_password)
        if (!check.valid)
          throw new AuthError('user_already_exists', 'User already registered', { status: 422 })
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
        return {
          kind: 'session' as const,
          session: await services.issueSession(tx, user, {
            amr: 'password',
            ip: ctx.ip,
            userAgent: ctx.userAgent,
          }),
        }
      }
      await sendConfirmation(services, tx, user, { redirectTo, pkce })
      await services.audit(tx, 'user_confirmation_requested', user, {
        ip: ctx.ip,
        traits: { provider: 'email' },
      })
      return { kind: 'user' as const, user: (await services.users.findById(tx, user.id)) ?? user }
    })
    if (result.kind === 'session') return json(result.session)
    if (result.kind === 'user') return json(toUserJson(result.user))
    return json(obfuscatedUser(result.user.email ?? email, userMetadata))
  },
}

/**
 * What GoTrue answers a sign-up for an already confirmed address (without autoconfirm): a
 * plausible, never-stored user with no identities, so the response does not reveal the account.
 */
function obfuscatedUser(email: string, userMetadata: Record<string, unknown>): Record<string, unknown> {
  const now = new Date().toISOString()
  return {
    id: crypto.randomUUID(),
    aud: 'authenticated',
    role: '',
    email,
    phone: '',
    confirmation_sent_at: now,
    app_metadata: { provider: 'email', providers: ['email'] },
    user_metadata: userMetadata,
    identities: [],
    created_at: now,
    updated_at: now,
    is_anonymous: false,
  }
}
