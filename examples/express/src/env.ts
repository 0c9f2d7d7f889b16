import { randomBytes } from 'node:crypto'
import { type SocialOptions, socialOptionsFromEnv } from '@groundwork/auth'
import { encryptionKeyOption } from '@groundwork/core'
import { type RestEnvOptions, restOptionsFromEnv } from '@groundwork/rest'
import { z } from 'zod'

/**
 * Where `/storage/v1` keeps bytes: the local folder `root` (`STORAGE_ROOT`, default
 * `.groundwork/storage`), or an S3-compatible bucket when `STORAGE_S3_ENDPOINT` and
 * `STORAGE_S3_BUCKET` are set (with `STORAGE_S3_REGION`, `STORAGE_S3_ACCESS_KEY_ID`,
 * `STORAGE_S3_SECRET_ACCESS_KEY`).
 */
export type DemoStorage =
  | { kind: 'local'; root: string }
  | {
      kind: 's3'
      endpoint: string
      bucket: string
      region: string
      accessKeyId: string
      secretAccessKey: string
    }

/**
 * Push delivery (`PUSH_*`): FCM with `PUSH_FCM_CREDENTIALS` (the service-account JSON itself;
 * `PUSH_FCM_URL` replaces https://fcm.googleapis.com), APNs with `PUSH_APNS_KEY` (the .p8 PEM),
 * `PUSH_APNS_KEY_ID`, `PUSH_APNS_TEAM_ID`, `PUSH_APNS_TOPIC` (and `PUSH_APNS_HOST` for both
 * gateways). Neither: the dev provider, with its page at `/push/dev` outside production.
 */
export interface DemoPush {
  fcm?: { credentials: string; url?: string | undefined }
  apns?: { key: string; keyId: string; teamId: string; topic: string; host?: string | undefined }
  devPage: boolean
}

/** SMTP settings for real mail delivery (`SMTP_*`), as `smtpTransport` takes them. */
export interface DemoSmtp {
  host: string
  port: number
  secure: boolean
  auth?: { user: string; pass: string }
}

/**
 * The demo's environment (DESIGN §6): `PORT`, `DATABASE_URL` (embedded when absent), `JWT_SECRET`
 * (generated when absent), `PUBLIC_URL`; real mail with `SMTP_HOST` (+ `SMTP_PORT`, `SMTP_USER`,
 * `SMTP_PASS`, `SMTP_SECURE`, `MAIL_FROM`); the dev mailbox only outside `NODE_ENV=production`
 * and without SMTP (`DEV_MAILBOX=false` turns it off there too).
 */
export interface DemoEnv {
  /** `/storage/v1`'s backend (`STORAGE_*`). */
  storage: DemoStorage
  port: number
  databaseUrl: string | undefined
  jwtSecret: string
  jwtSecretGenerated: boolean
  publicUrl: string | undefined
  production: boolean
  smtp: DemoSmtp | undefined
  mailFrom: string
  devMailbox: boolean
  /** `/rest/v1` settings from PostgREST's `PGRST_*` variables (`PGRST_DB_SCHEMAS`, `PGRST_DB_TX_END`, …). */
  rest: RestEnvOptions
  /** `/push/v1` providers (`PUSH_*`). */
  push: DemoPush
  /** `/auth/v1` social sign-in (`GOTRUE_EXTERNAL_<PROVIDER>_*`, `AUTH_OIDC_<NAME>_*`, `GOTRUE_SECURITY_MANUAL_LINKING_ENABLED`). */
  social: SocialOptions
  /** The OAuth provider (`OAUTH_DYNAMIC_REGISTRATION`: RFC 7591 registration at `/auth/v1/oauth/clients/register`). */
  oauth: { dynamicRegistration: boolean }
  /** `/admin/webhooks`: `WEBHOOKS_ALLOW_HOSTS`, comma-separated hosts exempt from the SSRF guard (`127.0.0.1` for local receivers). */
  webhooks: { allowHosts: string[] }
  /**
   * `GROUNDWORK_ENCRYPTION_KEYS`, comma-separated 32-byte keys (`openssl rand -base64 32`): TOTP
   * seeds, webhook signing secrets and id_token signing keys are encrypted at rest with the first;
   * every one decrypts.
   */
  encryptionKeys: string[]
}

const flag = z.enum(['true', 'false', '1', '0']).transform((value) => value === 'true' || value === '1')

const envSchema = z.object({
  STORAGE_ROOT: z.string().min(1).optional(),
  STORAGE_S3_ENDPOINT: z.url().optional(),
  STORAGE_S3_BUCKET: z.string().min(1).optional(),
  STORAGE_S3_REGION: z.string().min(1).default('us-east-1'),
  STORAGE_S3_ACCESS_KEY_ID: z.string().min(1).optional(),
  STORAGE_S3_SECRET_ACCESS_KEY: z.string().min(1).optional(),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  DATABASE_URL: z.string().min(1).optional(),
  JWT_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
  PUBLIC_URL: z.url().optional(),
  NODE_ENV: z.string().optional(),
  SMTP_HOST: z.string().min(1).optional(),
  SMTP_PORT: z.coerce.number().int().min(1).max(65535).optional(),
  SMTP_USER: z.string().min(1).optional(),
  SMTP_PASS: z.string().optional(),
  SMTP_SECURE: flag.optional(),
  MAIL_FROM: z.string().min(3).default('Groundwork demo <no-reply@groundwork.local>'),
  DEV_MAILBOX: flag.optional(),
  PUSH_FCM_CREDENTIALS: z
    .string()
    .min(1)
    .refine(isJsonObject, 'must be the service-account JSON itself (the key file content), not a path')
    .optional(),
  PUSH_FCM_URL: z.url().optional(),
  PUSH_APNS_KEY: z.string().min(1).optional(),
  PUSH_APNS_KEY_ID: z.string().min(1).optional(),
  PUSH_APNS_TEAM_ID: z.string().min(1).optional(),
  PUSH_APNS_TOPIC: z.string().min(1).optional(),
  PUSH_APNS_HOST: z.string().min(1).optional(),
  OAUTH_DYNAMIC_REGISTRATION: flag.optional(),
  WEBHOOKS_ALLOW_HOSTS: z.string().optional(),
  GROUNDWORK_ENCRYPTION_KEYS: z
    .string()
    .transform((value) =>
      value
        .split(',')
        .map((key) => key.trim())
        .filter((key) => key !== ''),
    )
    .pipe(z.array(encryptionKeyOption))
    .optional(),
})

/** Reads and checks the environment; a bad variable throws naming it. */
export function readEnv(env: NodeJS.ProcessEnv = process.env): DemoEnv {
  const result = envSchema.safeParse(env)
  if (!result.success) {
    const issue = result.error.issues[0]
    throw new Error(
      `Invalid environment variable ${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'}`,
    )
  }
  const parsed = result.data
  const jwtSecret = parsed.JWT_SECRET ?? randomBytes(32).toString('base64url')
  const production = parsed.NODE_ENV === 'production'
  const smtp: DemoSmtp | undefined = parsed.SMTP_HOST
    ? {
        host: parsed.SMTP_HOST,
        port: parsed.SMTP_PORT ?? (parsed.SMTP_SECURE ? 465 : 587),
        secure: parsed.SMTP_SECURE ?? parsed.SMTP_PORT === 465,
        ...(parsed.SMTP_USER ? { auth: { user: parsed.SMTP_USER, pass: parsed.SMTP_PASS ?? '' } } : {}),
      }
    : undefined
  return {
    storage: storageOf(parsed),
    port: parsed.PORT,
    databaseUrl: parsed.DATABASE_URL,
    jwtSecret,
    jwtSecretGenerated: parsed.JWT_SECRET === undefined,
    publicUrl: parsed.PUBLIC_URL,
    production,
    smtp,
    mailFrom: parsed.MAIL_FROM,
    // The dev mailbox shows every mail the demo sends (magic links included): development only.
    devMailbox: !production && !smtp && (parsed.DEV_MAILBOX ?? true),
    rest: restOptionsFromEnv(env),
    push: pushOf(parsed, production),
    social: socialOptionsFromEnv(env),
    oauth: { dynamicRegistration: parsed.OAUTH_DYNAMIC_REGISTRATION ?? false },
    webhooks: {
      allowHosts: (parsed.WEBHOOKS_ALLOW_HOSTS ?? '')
        .split(',')
        .map((host) => host.trim())
        .filter((host) => host !== ''),
    },
    encryptionKeys: parsed.GROUNDWORK_ENCRYPTION_KEYS ?? [],
  }
}

function isJsonObject(text: string): boolean {
  try {
    const value = JSON.parse(text)
    return typeof value === 'object' && value !== null
  } catch {
    return false
  }
}

/** The push providers the `PUSH_*` variables configure; APNs needs its four settings together. */
function pushOf(parsed: z.output<typeof envSchema>, production: boolean): DemoPush {
  const fcm = parsed.PUSH_FCM_CREDENTIALS
    ? { credentials: parsed.PUSH_FCM_CREDENTIALS, url: parsed.PUSH_FCM_URL }
    : undefined
  const apnsVars = {
    PUSH_APNS_KEY: parsed.PUSH_APNS_KEY,
    PUSH_APNS_KEY_ID: parsed.PUSH_APNS_KEY_ID,
    PUSH_APNS_TEAM_ID: parsed.PUSH_APNS_TEAM_ID,
    PUSH_APNS_TOPIC: parsed.PUSH_APNS_TOPIC,
  }
  const missing = Object.entries(apnsVars).filter(([, value]) => value === undefined)
  if (missing.length > 0 && missing.length < 4) {
    throw new Error(
      `Invalid environment variable ${missing[0]?.[0]}: APNs needs PUSH_APNS_KEY, PUSH_APNS_KEY_ID, PUSH_APNS_TEAM_ID and PUSH_APNS_TOPIC together`,
    )
  }
  const apns =
    missing.length === 0
      ? {
          key: parsed.PUSH_APNS_KEY as string,
          keyId: parsed.PUSH_APNS_KEY_ID as string,
          teamId: parsed.PUSH_APNS_TEAM_ID as string,
          topic: parsed.PUSH_APNS_TOPIC as string,
          host: parsed.PUSH_APNS_HOST,
        }
      : undefined
  // The dev page shows device tokens: only with the dev provider, never in production.
  return { ...(fcm ? { fcm } : {}), ...(apns ? { apns } : {}), devPage: !production && !fcm && !apns }
}

/** The storage backend the `STORAGE_*` variables name; S3 needs all of its settings. */
function storageOf(parsed: z.output<typeof envSchema>): DemoStorage {
  const s3 = [
    parsed.STORAGE_S3_ENDPOINT,
    parsed.STORAGE_S3_BUCKET,
    parsed.STORAGE_S3_ACCESS_KEY_ID,
    parsed.STORAGE_S3_SECRET_ACCESS_KEY,
  ]
  if (s3.every((value) => value === undefined)) {
    return { kind: 'local', root: parsed.STORAGE_ROOT ?? '.groundwork/storage' }
  }
  const [endpoint, bucket, accessKeyId, secretAccessKey] = s3
  if (!endpoint || !bucket || !accessKeyId || !secretAccessKey) {
    throw new Error(
      'Invalid environment variable STORAGE_S3_*: set STORAGE_S3_ENDPOINT, STORAGE_S3_BUCKET, STORAGE_S3_ACCESS_KEY_ID and STORAGE_S3_SECRET_ACCESS_KEY together',
    )
  }
  return { kind: 's3', endpoint, bucket, region: parsed.STORAGE_S3_REGION, accessKeyId, secretAccessKey }
}
