import { createSecretKey } from 'node:crypto'
import {
  createLocalJWKSet,
  createRemoteJWKSet,
  type JSONWebKeySet,
  type JWTPayload,
  type JWTVerifyGetKey,
  errors as joseErrors,
  jwtVerify,
} from 'jose'
import { z } from 'zod'
import type { JwtClaims } from './claims'
import { parseOptions } from './config'
import { ConfigError, GroundworkError } from './errors'
import { type HmacVerifyOptions, verifyHmacJwt } from './hmac-jwt'
import type { Authenticate, Principal } from './principal'
import { parseRoleClaimKey, type RoleClaimPath, roleFromClaims } from './role-claim-key'
import { DEFAULT_ROLES } from './roles'

/** HMAC algorithms accepted with a shared `secret`. */
const HMAC_ALGORITHMS = ['HS256', 'HS384', 'HS512']
/** Asymmetric algorithms accepted with a JWKS (never `none`, never HMAC: no algorithm confusion). */
const ASYMMETRIC_ALGORITHMS = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
]

/** Stable codes of the errors {@link createJwtAuthenticator} throws; each protocol renders them its own way. */
export const JWT_ERROR_CODES = {
  /** The token is malformed, its signature or algorithm is wrong, or it names no usable key. */
  invalid: 'CORE_JWT_INVALID',
  /** `exp` is in the past. */
  expired: 'CORE_JWT_EXPIRED',
  /** A registered claim failed its check: `aud`, `iss` or `nbf`. */
  claimInvalid: 'CORE_JWT_CLAIM_INVALID',
  /** The `Authorization` header is present but is not `Bearer <token>`. */
  malformedHeader: 'CORE_JWT_MALFORMED_HEADER',
  /** The remote JWKS could not be fetched. */
  jwksUnavailable: 'CORE_JWKS_UNAVAILABLE',
} as const

const commonShape = {
  /** Expected `aud` value(s); tokens without a matching audience are refused. */
  audience: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]).optional(),
  /** Expected `iss` value(s). */
  issuer: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]).optional(),
  /** The role of callers that present no token. */
  anonRole: z.string().min(1).default(DEFAULT_ROLES.anon),
  /**
   * Roles a token may name; any other (`postgres`, `none`…) is refused with 401, as is a role claim
   * that is not a string. `anonRole` is always allowed.
   */
  allowedRoles: z
    .array(z.string().min(1).max(63))
    .default([DEFAULT_ROLES.anon, DEFAULT_ROLES.authenticated, DEFAULT_ROLES.service]),
  /** Seconds of clock skew tolerated for `exp`/`nbf`. */
  clockTolerance: z.number().int().min(0).max(300).default(0),
  /**
   * Where the role is in the claims (PostgREST's `jwt-role-claim-key`), e.g.
   * `.realm_access.roles[0]` or `."https://example.com/claims".role`. See role-claim-key.ts.
   */
  roleClaimKey: z
    .string()
    .default('.role')
    .transform((expression, ctx): RoleClaimPath => {
      try {
        return parseRoleClaimKey(expression)
      } catch (error) {
        ctx.addIssue({ code: 'custom', message: (error as Error).message })
        return z.NEVER
      }
    }),
}

const secretSchema = z.object({
  ...commonShape,
  secret: z
    .string()
    .min(32, 'must be at least 32 characters (as for Supabase, PostgREST and GoTrue JWT secrets)'),
})
const jwksSchema = z.object({
  ...commonShape,
  jwks: z.object({ keys: z.array(z.record(z.string(), z.unknown())).min(1, 'must hold at least one key') }),
})
const jwksUrlSchema = z.object({
  ...commonShape,
  jwksUrl: z.union([z.url(), z.instanceof(URL)]),
  /** Milliseconds a fetched key set is trusted before it is fetched again. */
  cacheMaxAge: z.number().int().positive().default(600_000),
  /** Minimum milliseconds between fetches triggered by an unknown `kid` (key rotation). */
  cooldownDuration: z.number().int().min(0).default(30_000),
  /** Milliseconds to wait for the key set. */
  timeoutDuration: z.number().int().positive().default(5_000),
})
const optionsSchema = z.union([secretSchema, jwksSchema, jwksUrlSchema])

/** Options of {@link createJwtAuthenticator}: exactly one key source, plus the checks to apply. */
export type JwtAuthenticatorOptions = z.input<typeof optionsSchema>

/**
 * The Supabase/PostgREST authentication rule as a function: a `Authorization: Bearer <jwt>`
 * header (else an `apikey` header, as supabase-js sends its anon key) is verified with `jose`;
 * a verified token yields its `role` claim (or the claim `roleClaimKey` names; the anon role when
 * absent) and its claims, whose `role` is set to that role; no token
 * at all yields the anon role. A token that is present but fails verification is an error, never
 * a silent downgrade to anon.
 *
 * Key sources: an HMAC `secret` (≥ 32 characters; HS256/384/512), a JWKS object, or a
 * `jwksUrl` fetched and cached (refetched, at most once per `cooldownDuration`, when a token
 * names an unknown `kid`, which is how key rotation is picked up). `alg: none` is always refused,
 * and HMAC tokens are refused when a JWKS is configured (no algorithm confusion).
 *
 * @example
 * ```ts
 * const authenticate = createJwtAuthenticator({ secret: process.env.JWT_SECRET!, audience: 'authenticated' })
 * const principal = await authenticate(request) // { kind: 'jwt', role: 'authenticated', claims }
 * await db.withClaims(principal.claims, (tx) => tx.query('select * from todos'))
 * ```
 * @see https://docs.postgrest.org/en/v12/references/auth.html
 * @see https://supabase.com/docs/guides/auth/jwts
 * @see https://www.rfc-editor.org/rfc/rfc7519 (JWT), https://www.rfc-editor.org/rfc/rfc7517 (JWK)
 */
export function createJwtAuthenticator(options: JwtAuthenticatorOptions): Authenticate {
  // The key source picks the schema, so a bad field is named (a union would only say "invalid").
  if (typeof options !== 'object' || options === null) {
    throw new ConfigError('jwt', 'must be an object with a key source: secret, jwks or jwksUrl')
  }
  const source = options as Partial<Record<'secret' | 'jwks' | 'jwksUrl', unknown>>
  const given = (['secret', 'jwks', 'jwksUrl'] as const).filter((key) => source[key] !== undefined)
  if (given.length !== 1) {
    throw new ConfigError(
      'jwt',
      given.length === 0
        ? 'needs a key source: secret, jwks or jwksUrl'
        : `takes one key source, got ${given.join(' and ')}`,
    )
  }
  const schema = given[0] === 'secret' ? secretSchema : given[0] === 'jwks' ? jwksSchema : jwksUrlSchema
  const config: z.output<typeof optionsSchema> = parseOptions(schema, options, 'jwt')
  const anonymous: Principal = { kind: 'anonymous', role: config.anonRole, claims: { role: config.anonRole } }
  const verifyOptions = {
    algorithms: 'secret' in config ? HMAC_ALGORITHMS : ASYMMETRIC_ALGORITHMS,
    clockTolerance: config.clockTolerance,
    ...(config.audience === undefined ? {} : { audience: config.audience }),
    ...(config.issuer === undefined ? {} : { issuer: config.issuer }),
  }
  const verify = verifierFor(config)

  return async function authenticate(request: Request): Promise<Principal> {
    const token = tokenOf(request.headers)
    if (token === null) return { ...anonymous, claims: { ...anonymous.claims } }
    const payload = await verify(token, verifyOptions)
    const claims = payload as JwtClaims
    const found = roleFromClaims(claims, config.roleClaimKey)
    if (found === null) {
      throw new GroundworkError(JWT_ERROR_CODES.invalid, 'The JWT role claim is not a string', {
        status: 401,
      })
    }
    const role = found ?? config.anonRole
    if (role !== config.anonRole && !config.allowedRoles.includes(role)) {
      throw new GroundworkError(JWT_ERROR_CODES.invalid, 'The JWT role is not allowed', { status: 401 })
    }
    return { kind: 'jwt', role, claims: { ...claims, role }, token }
  }
}

type VerifyOptions = Parameters<typeof jwtVerify>[2]
type Verifier = (token: string, options: VerifyOptions) => Promise<JWTPayload>

function verifierFor(config: z.output<typeof optionsSchema>): Verifier {
  if ('secret' in config) {
    // Synchronous node:crypto HMAC (see hmac-jwt.ts for the measured reason); jose for key sets.
    // A KeyObject, not bytes: createHmac re-validates a Uint8Array key on every call, measured 5×
    // slower (107k/s against 585k/s HS256 digests on this machine).
    const key = createSecretKey(Buffer.from(config.secret, 'utf8'))
    return async (token, options) => verifyHmacJwt(token, key, options as HmacVerifyOptions)
  }
  let keySet: JWTVerifyGetKey
  if ('jwks' in config) {
    keySet = createLocalJWKSet(config.jwks as unknown as JSONWebKeySet)
  } else {
    keySet = createRemoteJWKSet(new URL(String(config.jwksUrl)), {
      cacheMaxAge: config.cacheMaxAge,
      cooldownDuration: config.cooldownDuration,
      timeoutDuration: config.timeoutDuration,
    })
  }
  const remote = !('jwks' in config)
  return async (token, options) => guarded(() => jwtVerify(token, keySet, options), remote)
}

async function guarded(run: () => Promise<{ payload: JWTPayload }>, remote: boolean): Promise<JWTPayload> {
  try {
    return (await run()).payload
  } catch (error) {
    throw jwtError(error, remote)
  }
}

/** The bearer token of a request: `Authorization: Bearer …` first, then the `apikey` header. */
function tokenOf(headers: Headers): string | null {
  const authorization = headers.get('authorization')
  if (authorization !== null && authorization.trim() !== '') {
    const match = /^Bearer[ \t]+(\S+)\s*$/i.exec(authorization)
    if (!match?.[1]) {
      throw new GroundworkError(
        JWT_ERROR_CODES.malformedHeader,
        'The Authorization header must be "Bearer <token>"',
        {
          status: 401,
        },
      )
    }
    return match[1]
  }
  const apikey = headers.get('apikey')?.trim()
  return apikey ? apikey : null
}

/** Maps jose's error classes to stable codes; the message names the reason, never the key. */
function jwtError(error: unknown, remote: boolean): GroundworkError {
  const status = 401
  if (error instanceof joseErrors.JWTExpired) {
    return new GroundworkError(JWT_ERROR_CODES.expired, 'JWT expired', { status, cause: error })
  }
  if (error instanceof joseErrors.JWTClaimValidationFailed) {
    return new GroundworkError(
      JWT_ERROR_CODES.claimInvalid,
      `JWT claim "${error.claim}" is invalid: ${error.reason}`,
      {
        status,
        cause: error,
      },
    )
  }
  if (error instanceof joseErrors.JWKSTimeout || (remote && isKeySetFailure(error))) {
    return new GroundworkError(JWT_ERROR_CODES.jwksUnavailable, 'The JSON Web Key Set could not be fetched', {
      status: 503,
      cause: error,
    })
  }
  if (error instanceof joseErrors.JWSSignatureVerificationFailed) {
    return new GroundworkError(JWT_ERROR_CODES.invalid, 'JWT signature is invalid', { status, cause: error })
  }
  if (error instanceof joseErrors.JOSEAlgNotAllowed) {
    return new GroundworkError(JWT_ERROR_CODES.invalid, 'JWT algorithm is not allowed', {
      status,
      cause: error,
    })
  }
  if (error instanceof joseErrors.JWKSNoMatchingKey || error instanceof joseErrors.JWKSMultipleMatchingKeys) {
    return new GroundworkError(JWT_ERROR_CODES.invalid, 'No key matches the JWT', { status, cause: error })
  }
  return new GroundworkError(JWT_ERROR_CODES.invalid, 'JWT is malformed or invalid', { status, cause: error })
}

/** A remote key set that could not be fetched or parsed (network error, non-200, bad JSON). */
function isKeySetFailure(error: unknown): boolean {
  if (error instanceof joseErrors.JOSEError)
    return error.code === 'ERR_JOSE_GENERIC' || error.code === 'ERR_JWKS_INVALID'
  return error instanceof TypeError || (error instanceof Error && error.name === 'AbortError')
}
