import { randomBytes } from 'node:crypto'
import { z } from 'zod'

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
  port: number
  databaseUrl: string | undefined
  jwtSecret: string
  jwtSecretGenerated: boolean
  publicUrl: string | undefined
  production: boolean
  smtp: DemoSmtp | undefined
  mailFrom: string
  devMailbox: boolean
}

const flag = z.enum(['true', 'false', '1', '0']).transform((value) => value === 'true' || value === '1')

const envSchema = z.object({
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
  }
}
