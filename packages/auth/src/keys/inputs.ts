import { z } from 'zod'
import { AuthError } from '../errors'
import { isUuid } from '../users/validation'
import type { ApiKeyType } from './format'
import type { ApiKeyScope, ApiRateLimit } from './model'

/** Input of `apps.create` (the body of `POST /admin/apps`). */
export interface CreateAppInput {
  /** 1–255 characters. */
  name: string
  description?: string | null
  /** The user the app's keys act as by default (must exist); deleting them is then refused. */
  owner_id?: string | null
  /** A budget shared by every key of the app, across every instance. @default none */
  rate_limit?: ApiRateLimit | null
}

/** Input of `apps.update` (`PUT /admin/apps/{id}`): the fields given change; `null` clears. */
export type UpdateAppInput = Partial<CreateAppInput>

/** Input of `keys.create` (the body of `POST /admin/api-keys`). */
export interface CreateApiKeyInput {
  /** 1–255 characters, to recognise the key in lists. */
  name: string
  type: ApiKeyType
  /** The app whose budget the key spends and whose id its requests carry (`app_id` claim). */
  app_id?: string | null
  /**
   * For `app` keys: the user the key acts as. @default the app's owner (an app key needs one of
   * the two). Publishable and secret keys have none.
   */
  user_id?: string | null
  /**
   * `read`, `write`, `admin`. @default ['read'] for app keys (least privilege); not narrowed for
   * publishable keys. Secret keys are never narrowed (use an app key for a narrowed server key).
   */
  scopes?: ApiKeyScope[] | null
  /** Schema-qualified tables (and RPC functions) the key may touch, e.g. `['public.todos']`. @default any */
  allowed_tables?: string[] | null
  /** An ISO 8601 date-time with offset (or a `Date`), in the future. @default never */
  expires_at?: string | Date | null
  /** A budget of the key's own, on top of its app's. @default none */
  rate_limit?: ApiRateLimit | null
}

/** Input of the self-service `POST /user/api-keys`: an `app` key acting as the signed-in user. */
export interface CreateUserApiKeyInput {
  name: string
  /** One of the user's own apps. @default none */
  app_id?: string | null
  /** @default ['read'] */
  scopes?: ApiKeyScope[] | null
  allowed_tables?: string[] | null
  expires_at?: string | Date | null
}

/** Filters of `keys.list` (`GET /admin/api-keys?app_id=&user_id=&type=`). */
export interface ListApiKeysParams {
  app_id?: string
  user_id?: string
  type?: ApiKeyType
}

/** Filters of `apps.list` (`GET /admin/apps?owner_id=`). */
export interface ListAppsParams {
  owner_id?: string
}

const uuid = z.string().refine(isUuid, 'must be a UUID')
const text = (max: number) =>
  z
    .string()
    .trim()
    .min(1, 'must not be empty')
    .max(max, `must be at most ${max} characters`)
    .refine((value) => !value.includes('\u0000'), 'must not contain NUL characters')
const rateLimit = z.object({
  requests: z.number().int().min(1).max(1_000_000_000),
  window_seconds: z.number().int().min(1).max(31_622_400),
})
const scopes = z
  .array(z.enum(['read', 'write', 'admin']))
  .min(1, 'must name at least one scope')
  .max(3)
  .transform((list) => [...new Set(list)])
const allowedTables = z
  .array(
    text(255).refine(
      (name) => /^[^.]+\..+$/.test(name) && !name.endsWith('.'),
      'must be schema-qualified, e.g. "public.todos"',
    ),
  )
  .max(200)
  .transform((list) => [...new Set(list)])
const expiresAt = z
  .union([z.iso.datetime({ offset: true }).transform((value) => new Date(value)), z.date()])
  .refine((date) => !Number.isNaN(date.getTime()), 'must be a valid date')
  .refine((date) => date.getTime() > Date.now(), 'must be in the future')

export const createAppSchema = z.object({
  name: text(255),
  description: text(2000).nullish(),
  owner_id: uuid.nullish(),
  rate_limit: rateLimit.nullish(),
})

export const updateAppSchema = createAppSchema.partial()

export const createApiKeySchema = z.object({
  name: text(255),
  type: z.enum(['publishable', 'secret', 'app']),
  app_id: uuid.nullish(),
  user_id: uuid.nullish(),
  scopes: scopes.nullish(),
  allowed_tables: allowedTables.nullish(),
  expires_at: expiresAt.nullish(),
  rate_limit: rateLimit.nullish(),
})

export const createUserApiKeySchema = z.object({
  name: text(255),
  app_id: uuid.nullish(),
  scopes: scopes.nullish(),
  allowed_tables: allowedTables.nullish(),
  expires_at: expiresAt.nullish(),
})

export const listApiKeysSchema = z.object({
  app_id: uuid.optional(),
  user_id: uuid.optional(),
  type: z.enum(['publishable', 'secret', 'app']).optional(),
})

export const listAppsSchema = z.object({ owner_id: uuid.optional() })

/**
 * `value` parsed by `schema`; anything else is 400 `validation_failed` naming the field, e.g.
 * `rate_limit.requests: Too small: expected number to be >=1`. Unknown fields are ignored, as
 * GoTrue ignores them.
 */
export function parseInput<S extends z.ZodType>(schema: S, value: unknown): z.output<S> {
  const parsed = schema.safeParse(value ?? {})
  if (parsed.success) return parsed.data
  const issue = parsed.error.issues[0]
  const path = issue?.path.length ? `${issue.path.join('.')}: ` : ''
  throw new AuthError('validation_failed', `${path}${issue?.message ?? 'invalid input'}`, { status: 400 })
}

/** A uuid path parameter: a malformed one is the 404 of whatever it names. */
export function idParam(value: unknown, notFound: () => AuthError): string {
  if (typeof value !== 'string' || !isUuid(value)) throw notFound()
  return value
}
