import type { Database, OnError } from '@groundwork/core'
import { z } from 'zod'
import type { AuthHooks } from './hooks'
import type { AuthMailer } from './mailer'

/** One asymmetric signing key: a private JWK (ES256 or RS256) with a `kid`. */
export interface SigningJwk {
  kty: 'EC' | 'RSA'
  kid?: string
  alg?: 'ES256' | 'RS256'
  [parameter: string]: unknown
}

/** How access tokens are signed. */
export interface JwtOptions {
  /** HS256 shared secret (≥ 32 characters), the one REST/realtime verify with. Signs when `keys` is absent; with `keys` it only verifies (legacy anon/service-role keys). */
  secret?: string
  /**
   * ES256/RS256 private JWKs; the first signs, all are published (public parts) at
   * `GET /.well-known/jwks.json`. At least one of `secret` and `keys` is required.
   */
  keys?: SigningJwk[]
  /** Access-token lifetime in seconds. @default 3600 */
  expiresIn?: number
  /** The `iss` claim. @default externalUrl */
  issuer?: string
  /** The `aud` claim of user tokens (GoTrue's `JWT_AUD`). @default 'authenticated' */
  audience?: string
}

/** Password policy (GoTrue's `PASSWORD_MIN_LENGTH` and `PASSWORD_REQUIRED_CHARACTERS`). */
export interface PasswordPolicy {
  /** In characters. @default 6 */
  minLength?: number
  /** In UTF-8 bytes (GoTrue's bcrypt-era cap; longer is 400 `validation_failed`). @default 72 */
  maxLength?: number
  /**
   * Character sets a password must each contain one of, e.g. `['abcdefghijklmnopqrstuvwxyz',
   * 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', '0123456789']`. @default []
   */
  requiredCharacters?: string[]
}

/** One fixed-window limit: at most `max` requests per `windowSeconds`. */
export interface RateLimit {
  max: number
  windowSeconds: number
}

/**
 * Rate limits, stored in Postgres (`auth.rate_limits`) so every instance shares them. Per IP
 * unless named `…PerEmail`. Set one to `false` to disable it.
 */
export interface RateLimitOptions {
  /** `POST /token` (password grant) per IP. @default { max: 30, windowSeconds: 300 } */
  signIn?: RateLimit | false
  /** `POST /token` (password grant) per email. @default { max: 10, windowSeconds: 300 } */
  signInPerEmail?: RateLimit | false
  /** `POST /signup` per IP. @default { max: 30, windowSeconds: 3600 } */
  signUp?: RateLimit | false
  /** `POST /token` refresh per IP (GoTrue: 150 per 5 min). @default { max: 150, windowSeconds: 300 } */
  tokenRefresh?: RateLimit | false
  /** `POST /verify` per IP (GoTrue: 30 per 5 min). @default { max: 30, windowSeconds: 300 } */
  verify?: RateLimit | false
  /** `POST /otp`, `/magiclink`, `/recover`, `/resend` per IP. @default { max: 30, windowSeconds: 300 } */
  otp?: RateLimit | false
  /** Emails sent to one address (GoTrue: `RATE_LIMIT_EMAIL_SENT`). @default { max: 4, windowSeconds: 3600 } */
  emailSent?: RateLimit | false
  /** Minimum seconds between two mails of one kind to one user (GoTrue's `SMTP_MAX_FREQUENCY`). @default 60 */
  emailFrequencySeconds?: number
}

/** Options for {@link createAuth}. */
export interface AuthOptions {
  /** The core database; `auth.*` tables live in it. */
  db: Database
  /** Access-token signing. */
  jwt: JwtOptions
  /** Where links in mail and `/verify` redirects go by default (GoTrue's `SITE_URL`). @default 'http://localhost:3000' */
  siteUrl?: string
  /**
   * `redirect_to` values accepted besides `siteUrl` (GoTrue's `URI_ALLOW_LIST`): exact URLs or
   * globs where `*` matches within a path segment / host label and `**` matches anything.
   * @default []
   */
  additionalRedirectUrls?: string[]
  /** The public URL this handler is mounted at, used to build `/verify` links. @default `${new URL(siteUrl).origin}/auth/v1` */
  externalUrl?: string
  /** Sends confirmation, magic-link and recovery mail (a `Mail` from `@groundwork/mail`). */
  mail?: AuthMailer
  /** Sign-ups are confirmed at once and get a session (GoTrue's `MAILER_AUTOCONFIRM`). @default false */
  mailerAutoconfirm?: boolean
  /** Email changes need confirming from both the current and the new address (GoTrue's `MAILER_SECURE_EMAIL_CHANGE_ENABLED`). @default true */
  secureEmailChange?: boolean
  /**
   * A password change in a session older than 24 h needs the `nonce` mailed by `GET
   * /reauthenticate` (GoTrue's `SECURITY_UPDATE_PASSWORD_REQUIRE_REAUTHENTICATION`). @default false
   */
  securePasswordChange?: boolean
  /** Refuse new accounts (GoTrue's `DISABLE_SIGNUP`). @default false */
  disableSignup?: boolean
  /** Allow `POST /signup` without email or phone (GoTrue's `EXTERNAL_ANONYMOUS_USERS_ENABLED`). @default false */
  anonymousSignIns?: boolean
  /** Password policy. */
  passwordPolicy?: PasswordPolicy
  /**
   * scrypt cost for new password hashes (stored in each PHC string, so it can change any time;
   * weaker stored hashes are upgraded on sign-in). @default { N: 131072, r: 8, p: 1 } (OWASP)
   */
  scrypt?: { N?: number; r?: number; p?: number }
  /** Seconds after rotation during which the previous refresh token still answers with the current one. @default 10 */
  refreshTokenReuseInterval?: number
  /** Session lifetime in seconds; 0 = unlimited (GoTrue's `SESSIONS_TIMEBOX`). @default 0 */
  sessionTimebox?: number
  /** A session not refreshed for this many seconds ends; 0 = never (GoTrue's `SESSIONS_INACTIVITY_TIMEOUT`). @default 0 */
  sessionInactivityTimeout?: number
  /** `auth.cleanup()` deletes audit log entries older than this many seconds; 0 keeps them (GoTrue keeps them). @default 0 */
  auditRetention?: number
  /** Rate limits. */
  rateLimits?: RateLimitOptions
  /** Lifetime of one-time tokens (confirmation, magic link, recovery, OTP) in seconds. @default 3600 */
  otpExpiresIn?: number
  /** Number of digits of emailed OTP codes. @default 6 */
  otpLength?: number
  /** Typed hooks around sign-up and token issuance. */
  hooks?: AuthHooks
  /**
   * `authenticate()` also checks, in one indexed query per request, that a user token's session
   * still exists (not signed out, not revoked by refresh-token reuse) and that the user is neither
   * banned nor deleted. Turn off to trust the signature alone until `exp`. @default true
   */
  verifySessions?: boolean
  /** Reads the client address from a request (rate limits, audit log). @default core's `clientAddress(request)` (the adapter's view: socket, `req.ip`, or `X-Forwarded-For` only with `trustProxy`) */
  clientIp?: (request: Request) => string
  /**
   * CORS for browser clients on other origins: `true` allows any origin (GoTrue's default),
   * a list allows those origins only, `false` sends no CORS headers (same-origin hosting, or the
   * host's own CORS middleware). @default true
   */
  cors?: boolean | string[]
  /** Stripped from request paths before routing, for hosts that pass absolute URLs. @default '' */
  basePath?: string
  /** Receives errors the handler could not map (it answers a generic 500). */
  onError?: OnError
}

const rateLimit = z.union([
  z.literal(false),
  z.object({ max: z.number().int().positive(), windowSeconds: z.number().int().positive() }),
])

const jwkSchema = z
  .object({
    kty: z.enum(['EC', 'RSA']),
    kid: z.string().optional(),
    alg: z.enum(['ES256', 'RS256']).optional(),
    d: z.string({ error: 'must be a private JWK (with `d`)' }),
    crv: z.string().optional(),
    x: z.string().optional(),
    y: z.string().optional(),
    n: z.string().optional(),
    e: z.string().optional(),
  })
  .loose()
  .refine((jwk) => jwk.kty !== 'EC' || (jwk.crv === 'P-256' && jwk.x && jwk.y), {
    message: 'EC keys must be P-256 with x and y (ES256)',
  })
  .refine((jwk) => jwk.kty !== 'RSA' || (jwk.n && jwk.e), { message: 'RSA keys need n and e' })
  .refine((jwk) => !jwk.alg || (jwk.alg === 'ES256') === (jwk.kty === 'EC'), {
    message: 'alg must be ES256 for EC keys and RS256 for RSA keys',
  })

/** The zod schema {@link AuthOptions} is validated with. */
export const authOptionsSchema = z.object({
  db: z.custom<Database>(
    (value) => typeof value === 'object' && value !== null && 'pool' in value && 'transaction' in value,
    'must be a Database from createDatabase()',
  ),
  jwt: z
    .object({
      secret: z.string().min(32, 'must be at least 32 characters').optional(),
      keys: z.array(jwkSchema).min(1).optional(),
      expiresIn: z.number().int().positive().default(3600),
      issuer: z.string().min(1).optional(),
      audience: z.string().min(1).default('authenticated'),
    })
    .refine((o) => Boolean(o.secret) || Boolean(o.keys), {
      message: 'pass `secret` (HS256) or `keys` (ES256/RS256), or both',
      path: ['secret'],
    }),
  siteUrl: z.url().default('http://localhost:3000'),
  additionalRedirectUrls: z.array(z.string().min(1)).default([]),
  externalUrl: z.url().optional(),
  mail: z
    .custom<AuthMailer>(
      (value) =>
        typeof value === 'object' && value !== null && typeof (value as AuthMailer).send === 'function',
      'must be a Mail from @groundwork/mail (an object with send())',
    )
    .optional(),
  mailerAutoconfirm: z.boolean().default(false),
  secureEmailChange: z.boolean().default(true),
  securePasswordChange: z.boolean().default(false),
  disableSignup: z.boolean().default(false),
  anonymousSignIns: z.boolean().default(false),
  passwordPolicy: z
    .object({
      minLength: z.number().int().min(1).max(72).default(6),
      maxLength: z.number().int().min(8).max(1024).default(72),
      requiredCharacters: z.array(z.string().min(1)).default([]),
    })
    .default({ minLength: 6, maxLength: 72, requiredCharacters: [] }),
  scrypt: z
    .object({
      N: z
        .number()
        .int()
        .min(2)
        .refine((n) => (n & (n - 1)) === 0, 'must be a power of two')
        .default(2 ** 17),
      r: z.number().int().positive().default(8),
      p: z.number().int().positive().default(1),
    })
    .prefault({}),
  refreshTokenReuseInterval: z.number().int().nonnegative().default(10),
  sessionTimebox: z.number().int().nonnegative().default(0),
  sessionInactivityTimeout: z.number().int().nonnegative().default(0),
  auditRetention: z.number().int().nonnegative().default(0),
  rateLimits: z
    .object({
      signIn: rateLimit.default({ max: 30, windowSeconds: 300 }),
      signInPerEmail: rateLimit.default({ max: 10, windowSeconds: 300 }),
      signUp: rateLimit.default({ max: 30, windowSeconds: 3600 }),
      tokenRefresh: rateLimit.default({ max: 150, windowSeconds: 300 }),
      verify: rateLimit.default({ max: 30, windowSeconds: 300 }),
      otp: rateLimit.default({ max: 30, windowSeconds: 300 }),
      emailSent: rateLimit.default({ max: 4, windowSeconds: 3600 }),
      emailFrequencySeconds: z.number().int().nonnegative().default(60),
    })
    .prefault({}),
  otpExpiresIn: z.number().int().positive().default(3600),
  otpLength: z.number().int().min(6).max(10).default(6),
  hooks: z
    .object({
      beforeSignUp: z
        .custom<NonNullable<AuthHooks['beforeSignUp']>>((v) => typeof v === 'function')
        .optional(),
      afterSignUp: z.custom<NonNullable<AuthHooks['afterSignUp']>>((v) => typeof v === 'function').optional(),
      customAccessTokenClaims: z
        .custom<NonNullable<AuthHooks['customAccessTokenClaims']>>((v) => typeof v === 'function')
        .optional(),
    })
    .default({}),
  verifySessions: z.boolean().default(true),
  clientIp: z
    .custom<(request: Request) => string>((v) => typeof v === 'function', 'must be a function')
    .optional(),
  cors: z.union([z.boolean(), z.array(z.url())]).default(true),
  basePath: z
    .string()
    .regex(/^(\/[^/]+)*$/, 'must be empty or start with / and not end with /')
    .default(''),
  onError: z.custom<OnError>((value) => typeof value === 'function', 'must be a function').optional(),
})

/** {@link AuthOptions} after validation and defaults. */
export type ResolvedAuthOptions = z.output<typeof authOptionsSchema>
