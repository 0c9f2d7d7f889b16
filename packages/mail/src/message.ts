import { z } from 'zod'
import { mailError } from './errors'
import { LOCALE, TEMPLATE_KEY } from './options'

// An address, bare or `Name <address>`; no CR/LF (header injection).
const address = z
  .string()
  .min(3)
  .max(320)
  .regex(
    /^(?:[^\r\n<>]*<[^\s<>@]+@[^\s<>@]+>|[^\s<>@]+@[^\s<>@]+)$/,
    'must be an email address or `Name <address>`',
  )
const addresses = z.union([address, z.array(address).min(1).max(50)])

/** The zod schema of {@link SendInput}. */
export const sendInputSchema = z.object({
  template: z.string().regex(TEMPLATE_KEY, 'must be a template key (lower-case letters, digits, _ . : -)'),
  to: addresses,
  cc: addresses.optional(),
  bcc: addresses.optional(),
  replyTo: address.optional(),
  from: address.optional(),
  locale: z.string().regex(LOCALE, 'must be a BCP 47 language tag such as `pt-BR`').optional(),
  variables: z.record(z.string(), z.unknown()).default({}),
  headers: z
    .record(
      z.string().regex(/^[A-Za-z0-9-]{1,100}$/, 'header names are letters, digits and -'),
      z
        .string()
        .max(2000)
        .regex(/^[^\r\n]*$/, 'header values are one line'),
    )
    .default({}),
})

/** A message to send: a template, its variables and the recipients. */
export type SendInput = z.input<typeof sendInputSchema>
/** {@link SendInput} after validation. */
export type ParsedSendInput = z.output<typeof sendInputSchema>

/** The zod schema of {@link RenderInput}. */
export const renderInputSchema = z.object({
  template: sendInputSchema.shape.template,
  locale: sendInputSchema.shape.locale,
  variables: sendInputSchema.shape.variables,
})

/** What `mail.render` takes. */
export type RenderInput = z.input<typeof renderInputSchema>

/** Parses with `schema`; a mismatch is `MAIL_INVALID_MESSAGE` naming the field. */
export function parseMessage<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const result = schema.safeParse(input)
  if (result.success) return result.data
  const issues = result.error.issues.map((issue) => ({
    path: issue.path.map(String).join('.') || '(root)',
    message: issue.message,
  }))
  throw mailError(
    'MAIL_INVALID_MESSAGE',
    `Invalid message: ${issues
      .slice(0, 5)
      .map((issue) => `${issue.path}: ${issue.message}`)
      .join('; ')}`,
    { details: issues },
  )
}

/** One address or a list → a list. */
export function toList(value: string | string[] | undefined): string[] | undefined {
  if (value === undefined) return undefined
  return Array.isArray(value) ? value : [value]
}

// Postgres `text` cannot store U+0000: refused here rather than failing in the database.
const storable = z
  .string()
  .refine((value) => !value.includes('\u0000'), 'must not contain NUL (\\u0000) characters')

/** The zod schema of a template upsert (`mail.api.templates.upsert`). */
export const templateInputSchema = z.object({
  key: sendInputSchema.shape.template,
  locale: z.string().regex(LOCALE, 'must be a BCP 47 language tag such as `pt-BR`').nullish(),
  subject: storable.min(1).max(998),
  html: storable.min(1),
  text: storable.nullish(),
  enabled: z.boolean().optional(),
  expectedVersion: z.number().int().nonnegative().optional(),
})
