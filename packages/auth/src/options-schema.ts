import { encryptionKeysOption, type OnError } from '@groundwork/core'
import {
  basePathOption,
  DEFAULT_MAX_JSON_DEPTH,
  databaseOption,
  functionOption,
  maxBodyBytesOption,
  optionsSchema,
} from '@groundwork/core/kit'
import { z } from 'zod'
import type { AuthHooks } from './hooks'
import type { AuthMailer } from './mailer'
import type { AuthOptions } from './options'
import { parseRedirectPattern } from './redirect'
import { mfaOptionsSchema, socialOptionsSchema } from './social/options'

/** Default {@link AuthOptions.maxBodyBytes}. */
export const DEFAULT_AUTH_MAX_BODY_BYTES = 64 * 1024

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

/** An `additionalRedirectUrls` entry: parsed once here, so a bad one is a `ConfigError` naming it. */
const redirectPattern = z
  .string()
  .min(1)
  .superRefine((pattern, ctx) => {
    try {
      parseRedirectPattern(pattern)
    } catch (error) {
      ctx.addIssue({ code: 'custom', message: (error as Error).message })
    }
  })

/** Roles no user may have: superusers, `none` (which falls back to the connecting user), Postgres' own. */
const RESERVED_ROLES = new Set([
  'postgres',
  'none',
  'public',
  'authenticator',
  'supabase_admin',
  'supabase_auth_admin',
  'supabase_storage_admin',
  'pgbouncer',
])

const hook = <K extends keyof AuthHooks>() => functionOption<NonNullable<AuthHooks[K]>>().optional()

/** The zod schema {@link AuthOptions} is validated with (tied to the interface by `optionsSchema`). */
export const authOptionsSchema = optionsSchema<AuthOptions>()(
  z
    .object({
      db: databaseOption,
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
      additionalRedirectUrls: z.array(redirectPattern).default([]),
      externalUrl: z.url().optional(),
      mail: z
        .custom<AuthMailer>(
          (value) =>
            typeof value === 'object' && value !== null && typeof (value as AuthMailer).send === 'function',
          'must be an object with send(tx, message), e.g. `mail.api` of @groundwork/mail',
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
          mfaVerify: rateLimit.default({ max: 10, windowSeconds: 300 }),
        })
        .prefault({}),
      allowedRoles: z.array(z.string().min(1).max(63)).optional(),
      uniformResponseMs: z.number().int().min(0).max(10_000).default(100),
      otpExpiresIn: z.number().int().positive().default(3600),
      otpLength: z.number().int().min(6).max(10).default(6),
      hooks: z
        .object({
          beforeSignUp: hook<'beforeSignUp'>(),
          afterSignUp: hook<'afterSignUp'>(),
          customAccessTokenClaims: hook<'customAccessTokenClaims'>(),
        })
        .default({}),
      verifySessions: z.boolean().default(true),
      clientIp: functionOption<(request: Request) => string>().optional(),
      cors: z.union([z.boolean(), z.array(z.url())]).default(true),
      basePath: basePathOption,
      maxBodyBytes: maxBodyBytesOption(DEFAULT_AUTH_MAX_BODY_BYTES),
      maxJsonDepth: z.number().int().positive().max(100_000).default(DEFAULT_MAX_JSON_DEPTH),
      onError: functionOption<OnError>().optional(),
      apiKeys: z
        .object({
          cacheTtl: z.number().positive().max(86_400).default(60),
          cacheSize: z.number().int().min(1).max(10_000_000).default(10_000),
          lastUsedInterval: z.number().positive().max(3600).default(5),
        })
        .prefault({}),
      social: socialOptionsSchema,
      mfa: mfaOptionsSchema,
      encryptionKeys: encryptionKeysOption,
    })
    .superRefine((options, ctx) => {
      // The request roles of `db` are known only here, next to `allowedRoles`.
      const { anon, service } = options.db.roles
      for (const [index, role] of (options.allowedRoles ?? []).entries()) {
        if (RESERVED_ROLES.has(role) || role.startsWith('pg_') || role === anon || role === service) {
          ctx.addIssue({
            code: 'custom',
            path: ['allowedRoles', index],
            message: `"${role}" can never be a user's role`,
          })
        }
      }
    }),
)

/** {@link AuthOptions} after validation and defaults. */
export type ResolvedAuthOptions = z.output<typeof authOptionsSchema>
