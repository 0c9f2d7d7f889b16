import { functionOption } from '@groundwork/core/kit'
import { z } from 'zod'
import type { ExternalProfile } from './profile'

/**
 * One external identity provider. A preset name (`google`, `github`, `gitlab`, `azure`, `apple`,
 * `discord`, `keycloak`, `auth0`, `okta`) needs only `clientId` and `secret` (and `url` where the
 * preset has no fixed host); any other name is a generic OIDC provider (`issuer`, found through
 * its discovery document) or a generic OAuth 2 provider (`authorizationUrl`, `tokenUrl`,
 * `userinfoUrl` and a `profile` mapper).
 */
export interface ExternalProviderOptions {
  /** The client id registered with the provider. Required. */
  clientId: string
  /** The client secret (server-side only; Apple: the generated client-secret JWT). @default none (the provider then only verifies id_tokens for `grant_type=id_token`) */
  secret?: string
  /** Where the provider sends the user back (GoTrue's `…_REDIRECT_URI`). @default `${externalUrl}/callback` */
  redirectUri?: string
  /**
   * The provider's base URL where a preset has one to choose (GoTrue's `…_URL`): GitHub
   * Enterprise, a self-hosted GitLab, the Keycloak realm, the Auth0/Okta domain, the Entra tenant
   * (`https://login.microsoftonline.com/<tenant-id>`). @default the preset's public host
   */
  url?: string
  /** Generic OIDC: the issuer whose `/.well-known/openid-configuration` describes it. @default none */
  issuer?: string
  /** Scopes requested besides the preset's (the `scopes` query parameter of `/authorize` adds more). @default the preset's */
  scopes?: string[]
  /** Generic OAuth 2: the authorization endpoint. @default none */
  authorizationUrl?: string
  /** Generic OAuth 2: the token endpoint. @default none */
  tokenUrl?: string
  /** Generic OAuth 2: the endpoint answering the user's profile as JSON. @default none */
  userinfoUrl?: string
  /** Generic OAuth 2: maps the userinfo JSON to the identity. @default OIDC claim names (`sub`, `email`, `email_verified`, `name`, `picture`) */
  profile?: (userinfo: Record<string, unknown>) => ExternalProfile
  /** More `aud` values accepted in id_tokens for `grant_type=id_token` (e.g. the iOS and Android client ids). @default [] */
  additionalClientIds?: string[]
  /** Accept id_tokens without a nonce check (GoTrue's `…_SKIP_NONCE_CHECK`). @default false */
  skipNonceCheck?: boolean
}

/** Social sign-in (GoTrue's `EXTERNAL_*` settings). */
export interface SocialOptions {
  /** Enabled providers by name (`signInWithOAuth({ provider: name })`). @default {} */
  providers?: Record<string, ExternalProviderOptions>
  /**
   * `linkIdentity`/`GET /user/identities/authorize` and `unlinkIdentity` for signed-in users
   * (GoTrue's `SECURITY_MANUAL_LINKING_ENABLED`). @default false
   */
  manualLinking?: boolean
  /** Seconds a started external sign-in may take before its callback. @default 600 */
  stateTtl?: number
}

/** MFA (GoTrue's `MFA_*` settings), TOTP factors. */
export interface MfaOptions {
  /** Allow enrolling new TOTP factors (GoTrue's `MFA_TOTP_ENROLL_ENABLED`). @default true */
  totpEnroll?: boolean
  /** Allow verifying TOTP factors (GoTrue's `MFA_TOTP_VERIFY_ENABLED`). @default true */
  totpVerify?: boolean
  /** Most factors a user may have, verified or not (GoTrue's `MFA_MAX_ENROLLED_FACTORS`). @default 10 */
  maxEnrolledFactors?: number
  /** Seconds a challenge stays valid (GoTrue's `MFA_CHALLENGE_EXPIRY_DURATION`). @default 300 */
  challengeExpiry?: number
  /** The `issuer` of `otpauth://` URIs when the enroll request names none. @default the site URL's host */
  issuer?: string
}

const PROVIDER_NAME = /^[a-z0-9][a-z0-9_-]{0,63}$/

const providerSchema = z
  .object({
    clientId: z.string().min(1),
    secret: z.string().min(1).optional(),
    redirectUri: z.url().optional(),
    url: z.url().optional(),
    issuer: z.url().optional(),
    scopes: z.array(z.string().min(1)).optional(),
    authorizationUrl: z.url().optional(),
    tokenUrl: z.url().optional(),
    userinfoUrl: z.url().optional(),
    profile: functionOption<(userinfo: Record<string, unknown>) => ExternalProfile>().optional(),
    additionalClientIds: z.array(z.string().min(1)).default([]),
    skipNonceCheck: z.boolean().default(false),
  })
  .strict()

/** The zod schema of {@link SocialOptions}. */
export const socialOptionsSchema = z
  .object({
    providers: z
      .record(
        z.string().regex(PROVIDER_NAME, 'provider names are lower-case letters, digits, - and _'),
        providerSchema,
      )
      .default({}),
    manualLinking: z.boolean().default(false),
    stateTtl: z.number().int().min(60).max(3600).default(600),
  })
  .prefault({})

/** The zod schema of {@link MfaOptions}. */
export const mfaOptionsSchema = z
  .object({
    totpEnroll: z.boolean().default(true),
    totpVerify: z.boolean().default(true),
    maxEnrolledFactors: z.number().int().min(1).max(100).default(10),
    challengeExpiry: z.number().int().min(30).max(3600).default(300),
    issuer: z.string().min(1).optional(),
  })
  .prefault({})

/** A provider after validation. */
export type ResolvedProviderOptions = z.output<typeof providerSchema>
