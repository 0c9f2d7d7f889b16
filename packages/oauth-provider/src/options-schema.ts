import { encryptionKeysOption } from '@groundwork/core'
import {
  basePathOption,
  databaseOption,
  functionOption,
  maxBodyBytesOption,
  optionsSchema,
} from '@groundwork/core/kit'
import { z } from 'zod'
import type { OAuthProviderOptions } from './options'

const seconds = (fallback: number) => z.number().int().positive().max(31_536_000).default(fallback)

const authOption = z.custom<OAuthProviderOptions['auth']>(
  (value) =>
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { authenticate?: unknown }).authenticate === 'function' &&
    typeof (value as { api?: { oauthGrants?: unknown } }).api?.oauthGrants === 'object',
  'must be the service createAuth() returns',
)

const absoluteUrl = z
  .string()
  .refine((value) => URL.canParse(value) && !value.includes('#'), 'must be an absolute URL')

/** The zod schema of {@link OAuthProviderOptions}, tied to it at compile time. */
export const oauthProviderOptionsSchema = optionsSchema<OAuthProviderOptions>()(
  z.object({
    db: databaseOption,
    auth: authOption,
    issuer: absoluteUrl.transform((value) => value.replace(/\/+$/, '')),
    consentUrl: z.string().min(1).default('/oauth/consent'),
    authorizationLifetime: seconds(600),
    codeLifetime: seconds(60),
    clientCredentialsLifetime: seconds(3600),
    idTokenLifetime: seconds(3600),
    idTokenAlgorithm: z.enum(['RS256', 'ES256']).default('RS256'),
    encryptionKeys: encryptionKeysOption,
    allowPlainPkce: z.boolean().default(false),
    dynamicRegistration: z.boolean().default(false),
    scopes: z
      .array(z.string().regex(/^[\x21\x23-\x5b\x5d-\x7e]+$/, 'must be a scope token'))
      .default(['openid', 'profile', 'email', 'phone', 'offline_access']),
    resources: z.array(absoluteUrl).optional(),
    tokenRateLimit: z.number().int().min(0).default(120),
    registrationRateLimit: z.number().int().min(0).default(10),
    clientIp: functionOption<(request: Request) => string | undefined>().optional(),
    basePath: basePathOption,
    maxBodyBytes: maxBodyBytesOption(65_536),
    onError: functionOption<NonNullable<OAuthProviderOptions['onError']>>().optional(),
  }),
)

/** The validated options. */
export type ResolvedOAuthProviderOptions = z.output<typeof oauthProviderOptionsSchema>

/** Scopes of client-credentials tokens: they narrow the principal as an app key's scopes do. */
export const DATA_SCOPES = ['read', 'write', 'admin'] as const
