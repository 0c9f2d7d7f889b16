import type { Authenticate, Database, Logger, OnError } from '@groundwork/core'
import {
  basePathOption,
  DEFAULT_MAX_JSON_DEPTH,
  databaseOption,
  functionOption,
  maxBodyBytesOption,
  optionsSchema,
} from '@groundwork/core/kit'
import { z } from 'zod'
import type { TemplateSource } from './templates/builtin'
import type { Transport } from './transports/transport'

/** Liquid engine settings (limits guard against templates written to exhaust the server). */
export interface LiquidOptions {
  /** Rendering an undefined variable is an error (a stored template then falls back to the built-in one). @default false */
  strictVariables?: boolean
  /** Longest template source accepted, in characters (liquidjs `parseLimit`). @default 100000 */
  parseLimit?: number
  /** Longest render, in ms (liquidjs `renderLimit`). @default 1000 */
  renderLimit?: number
  /** Allocation budget of one render (liquidjs `memoryLimit`). @default 10000000 */
  memoryLimit?: number
  /** Parsed templates kept in memory. @default 500 */
  cacheSize?: number
}

/** Options for {@link createMail}. */
export interface MailOptions {
  /** The core database: stored templates and the outbox live in its schema `mail`. Required. */
  db: Database
  /** Delivers rendered messages: `smtpTransport(…)`, `outboxTransport()` or your own `{ send(message) }`. Required. */
  transport: Transport
  /** Default sender, `Name <address>` or an address. Required. */
  from: string
  /** Default `site_url` template variable (your app's URL). @default none */
  siteUrl?: string
  /** Code-level templates by key: override built-ins (`confirm_signup`, …) or add your own. Validated at creation. @default {} */
  templates?: Record<string, TemplateSource>
  /** Liquid engine settings. @default see {@link LiquidOptions} */
  liquid?: LiquidOptions
  /** How long (ms) this instance trusts its cache of stored templates before re-checking for changes made elsewhere. @default 2000 */
  cacheTtl?: number
  /** Delivery attempts before a message is given up (retried with exponential backoff). @default 10 */
  maxAttempts?: number
  /** Delivery jobs go to this graphile-worker queue (run one at a time). @default none (parallel) */
  queue?: string
  /** Where fallbacks and delivery failures are logged. @default db.logger */
  logger?: Logger
  /** Resolves the caller of an admin request; only the service role is let in. Without it the admin handler answers 403. @default none (admin API closed) */
  authenticate?: Authenticate
  /**
   * Serve `mailboxHandler`, the dev mailbox: a page and JSON of every mail the outbox caught,
   * sign-in links and OTP codes included. Every route requires the service-role key (through
   * `authenticate`, which is then required). Refused with a `ConfigError` when `NODE_ENV` is
   * `production` at `createMail`; off, the handler answers 404.
   * @default false
   */
  devMailbox?: boolean
  /** Receives errors the handlers could not map (they answer a generic 500). @default none */
  onError?: OnError
  /** Stripped from request paths (at a segment boundary) before routing, for frameworks that hand over the full URL. @default '' */
  basePath?: string
  /** Largest admin request body read, in bytes (templates are the large ones); a longer one is refused with 413 `HTTP_PAYLOAD_TOO_LARGE` while streaming. @default 1048576 (1 MiB) */
  maxBodyBytes?: number
  /** Deepest JSON nesting an admin request body (template variables) may have (400 `HTTP_JSON_TOO_DEEP` past it). @default 128 */
  maxJsonDepth?: number
}

const positiveInt = z.number().int().positive()

/** A template key: lower-case letters, digits and `_ . : -`. */
export const TEMPLATE_KEY = /^[a-z0-9][a-z0-9_.:-]{0,99}$/
/** A BCP 47 language tag, loosely (`en`, `pt-BR`, `zh-Hant-TW`). */
export const LOCALE = /^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*$/

const templateSourceSchema = z.object({
  subject: z.string().min(1),
  html: z.string().min(1),
  text: z.string().nullish(),
})

/** Default {@link MailOptions.maxBodyBytes}: room for templates (the Liquid `parseLimit` is 100,000 characters per part). */
export const DEFAULT_MAIL_MAX_BODY_BYTES = 1024 * 1024

/** The zod schema {@link MailOptions} is validated with. */
export const mailOptionsSchema = optionsSchema<MailOptions>()(
  z
    .object({
      db: databaseOption,
      transport: z.custom<Transport>(
        (value) =>
          typeof value === 'object' && value !== null && typeof (value as Transport).send === 'function',
        'must be a transport: smtpTransport(…), outboxTransport() or an object with send(message)',
      ),
      from: z
        .string()
        .min(3)
        .max(320)
        .regex(/^[^\r\n]*@[^\r\n]*$/, 'must be an address or `Name <address>`'),
      siteUrl: z.url().optional(),
      templates: z
        .record(
          z.string().regex(TEMPLATE_KEY, 'template keys are lower-case letters, digits, _ . : -'),
          templateSourceSchema,
        )
        .default({}),
      liquid: z
        .object({
          strictVariables: z.boolean().default(false),
          parseLimit: positiveInt.default(100_000),
          renderLimit: positiveInt.default(1000),
          memoryLimit: positiveInt.default(10_000_000),
          cacheSize: positiveInt.default(500),
        })
        .default({
          strictVariables: false,
          parseLimit: 100_000,
          renderLimit: 1000,
          memoryLimit: 10_000_000,
          cacheSize: 500,
        }),
      cacheTtl: z.number().int().nonnegative().default(2000),
      maxAttempts: positiveInt.max(100).default(10),
      queue: z.string().min(1).optional(),
      logger: z.custom<Logger>((value) => typeof value === 'object' && value !== null).optional(),
      authenticate: functionOption<Authenticate>().optional(),
      devMailbox: z.boolean().default(false),
      onError: functionOption<OnError>().optional(),
      basePath: basePathOption,
      maxBodyBytes: maxBodyBytesOption(DEFAULT_MAIL_MAX_BODY_BYTES),
      maxJsonDepth: positiveInt.max(100_000).default(DEFAULT_MAX_JSON_DEPTH),
    })
    .refine((o) => !o.devMailbox || o.authenticate !== undefined, {
      message: 'is required with devMailbox: true (the dev mailbox answers the service role only)',
      path: ['authenticate'],
    }),
)

/** {@link MailOptions} after validation and defaults. */
export type ResolvedMailOptions = z.output<typeof mailOptionsSchema>
