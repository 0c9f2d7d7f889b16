import type { Database, OnError } from '@groundwork/core'
import type { AuthHooks } from './hooks'
import type { AuthMailer } from './mailer'
import type { MfaOptions, SocialOptions } from './social/options'

/** One asymmetric signing key: a private JWK (ES256 or RS256), optionally with a `kid`. */
export interface SigningJwk {
  kty: 'EC' | 'RSA'
  /** @default `key-<n>` (its position, from 1) */
  kid?: string
  /** @default ES256 for EC keys, RS256 for RSA keys */
  alg?: 'ES256' | 'RS256'
  /** The private part (required: this key signs). */
  d: string
  /** EC: the curve (`P-256`). */
  crv?: string
  x?: string
  y?: string
  /** RSA: modulus and exponent. */
  n?: string
  e?: string
  [parameter: string]: unknown
}

/** How access tokens are signed. */
export interface JwtOptions {
  /**
   * HS256 shared secret (≥ 32 characters), the one REST/realtime verify with. Signs when `keys` is
   * absent; with `keys` it only verifies (legacy anon/service-role keys). @default none (then `keys`
   * is required)
   */
  secret?: string
  /**
   * ES256/RS256 private JWKs; the first signs, all are published (public parts) at
   * `GET /.well-known/jwks.json`. At least one of `secret` and `keys` is required. @default none
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
  /** Requests allowed per window. Required. */
  max: number
  /** The window, in seconds. Required. */
  windowSeconds: number
}

/**
 * Rate limits, stored in Postgres (`auth.rate_limits`) so every instance shares them. Per IP
 * unless named `…PerEmail`. Set one to `false` to disable it.
 */
export interface RateLimitOptions {
  /** `POST /token` (password grant) per IP. @default { max: 30, windowSeconds: 300 } */
  signIn?: RateLimit | false
  /**
   * `POST /token` (password grant) per client address and email together, so failures from one
   * address never lock the account out for another (without a known client address: per email).
   * @default { max: 10, windowSeconds: 300 }
   */
  signInPerEmail?: RateLimit | false
  /** `POST /signup` per IP. @default { max: 30, windowSeconds: 3600 } */
  signUp?: RateLimit | false
  /** `POST /token` refresh per IP (GoTrue: 150 per 5 min). @default { max: 150, windowSeconds: 300 } */
  tokenRefresh?: RateLimit | false
  /** `POST /verify` per IP (GoTrue: 30 per 5 min). @default { max: 30, windowSeconds: 300 } */
  verify?: RateLimit | false
  /** `POST /otp`, `/magiclink`, `/recover`, `/resend` per IP. @default { max: 30, windowSeconds: 300 } */
  otp?: RateLimit | false
  /**
   * Mail requests per recipient address (GoTrue: `RATE_LIMIT_EMAIL_SENT`). `/signup`, `/otp`,
   * `/magiclink`, `/recover` and `/resend` count every request for the address, whether or not it
   * has an account (so the 429 tells nothing about it); other mails count when sent.
   * @default { max: 4, windowSeconds: 3600 }
   */
  emailSent?: RateLimit | false
  /**
   * Minimum seconds between two link mails of one kind for one address (GoTrue's
   * `SMTP_MAX_FREQUENCY`): sign-up confirmations (`/signup`, `/resend`) and magic links or
   * recoveries (`/otp`, `/magiclink`, `/recover`), counted per requested address whether or not it
   * has an account; email changes and reauthentication per user. @default 60
   */
  emailFrequencySeconds?: number
  /**
   * `POST /factors/{id}/verify` per factor (GoTrue's `RATE_LIMIT_VERIFY` is per IP; a factor's own
   * limit stops guessing its 10⁶ codes from many addresses). @default { max: 10, windowSeconds: 300 }
   */
  mfaVerify?: RateLimit | false
}

/** The in-memory side of API keys (see docs/auth.md#apps-and-api-keys). */
export interface ApiKeysOptions {
  /**
   * Seconds a key read from the database is reused by this instance. The cache holds only what
   * never changes (hash, type, user, app, scopes, allowed tables, expiry) and the app's budget:
   * whether a key may be used is decided by Postgres in every request's transaction, so this
   * bounds only how long another instance's change of an app's `rate_limit` takes to apply here.
   * @default 60
   */
  cacheTtl?: number
  /** Keys held in memory at most (least recently used evicted). @default 10000 */
  cacheSize?: number
  /** Seconds between the batched writes of `last_used_at`. @default 5 */
  lastUsedInterval?: number
}

/** Options for {@link createAuth}. */
export interface AuthOptions {
  /** The core database; `auth.*` tables live in it. Required. */
  db: Database
  /** Access-token signing. Required. */
  jwt: JwtOptions
  /** Where links in mail and `/verify` redirects go by default (GoTrue's `SITE_URL`). @default 'http://localhost:3000' */
  siteUrl?: string
  /**
   * `redirect_to` values accepted besides `siteUrl` and its sub-paths (GoTrue's `URI_ALLOW_LIST`):
   * `scheme://host[:port][/path]` entries compared on the parsed URL, scheme, host, port and path
   * separately. `*` matches within one host label or one path segment, `**` across path segments,
   * and `*` as the port any port (`http://localhost:*` with the path `/**` allows every local
   * port and path), `https://pr-*.preview.example.com` with a path, `myapp://callback` (a custom
   * scheme is allowed only where an entry names it). See docs/auth.md. A redirect with
   * userinfo (`user@`), a fragment or a backslash is never allowed. An invalid entry is a
   * `ConfigError`. @default []
   */
  additionalRedirectUrls?: string[]
  /** The public URL this handler is mounted at, used to build `/verify` links. @default `${new URL(siteUrl).origin}/auth/v1` */
  externalUrl?: string
  /**
   * Sends confirmation, magic-link, recovery, invite and email-change mail: any object with
   * `send(tx, { template, to, variables })` — typically `mail.api` of `@groundwork/mail`. Without
   * it, flows that mail answer 500 `unexpected_failure` (reported to `onError`). @default none
   */
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
  /** Password policy. @default { minLength: 6, maxLength: 72, requiredCharacters: [] } */
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
  /** Rate limits (each one defaults separately; see {@link RateLimitOptions}). @default {} */
  rateLimits?: RateLimitOptions
  /** Lifetime of one-time tokens (confirmation, magic link, recovery, OTP) in seconds. @default 3600 */
  otpExpiresIn?: number
  /** Number of digits of emailed OTP codes. @default 6 */
  otpLength?: number
  /**
   * Roles users may have besides `db.roles.authenticated` (the `role` of `admin.createUser` /
   * `updateUserById`, and of the `customAccessTokenClaims` hook's result; anything else is 422
   * `validation_failed`), which `authenticate()` also accepts in tokens besides the three API
   * roles. Never `postgres`, `none`, the anon or service role, or a `pg_*` role (a `ConfigError`).
   * @default db.allowedRoles (what `createDatabase({ allowedRoles })` was given)
   */
  allowedRoles?: string[]
  /**
   * Anti-enumeration: milliseconds that the part of `/signup`, `/otp`, `/magiclink`, `/recover`
   * and `/resend` which depends on whether the address has an account takes at least; an answer
   * about an unknown address also waits as long as a recent one about a known address took. 0
   * keeps only the latter. @default 100
   */
  uniformResponseMs?: number
  /** Typed hooks around sign-up and token issuance. @default {} */
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
  /**
   * Largest request body read, in bytes; a longer one is refused with 413 `validation_failed`
   * while streaming, before the rest is read. GoTrue's bodies are small JSON documents.
   * @default 65536 (64 KiB)
   */
  maxBodyBytes?: number
  /** Deepest JSON nesting a request body may have (400 `bad_json` past it). @default 128 */
  maxJsonDepth?: number
  /** Receives unexpected errors (the caller gets a generic 500 `unexpected_failure`). @default none */
  onError?: OnError
  /** The API-key cache and `last_used_at` batching. @default { cacheTtl: 60, cacheSize: 10000, lastUsedInterval: 5 } */
  apiKeys?: ApiKeysOptions
  /**
   * Social sign-in: OAuth 2 / OIDC providers (presets for Google, GitHub, GitLab, Entra, Apple,
   * Discord, Keycloak, Auth0, Okta, or generic ones), identity linking. See docs/auth.md#social-sign-in.
   * @default { providers: {}, manualLinking: false, stateTtl: 600 }
   */
  social?: SocialOptions
  /** MFA with TOTP factors. @default { totpEnroll: true, totpVerify: true, maxEnrolledFactors: 10, challengeExpiry: 300 } */
  mfa?: MfaOptions
  /**
   * Keys (32 bytes, base64 or hex: `openssl rand -base64 32`) that encrypt the secrets auth must
   * read back — TOTP seeds — at rest with AES-256-GCM (core's `createSecretBox`; GoTrue's
   * `SECURITY_DB_ENCRYPTION`). The first seals new seeds, every one opens (list a new key first to
   * rotate); seeds stored before a key was set stay readable. The demo reads them from
   * `GROUNDWORK_ENCRYPTION_KEYS` (comma-separated).
   * @default [] (stored as generated, in `auth`, which only the connecting role reads)
   */
  encryptionKeys?: string[]
}

export type { ResolvedAuthOptions } from './options-schema'
