import type { Database } from '@groundwork/core'
import type { AuthCallContext } from '../api/context'
import { audit } from '../audit'
import { type Queryable, transact } from '../db'
import { AuthError } from '../errors'
import { appNotFound, invalidApiKey, keyNotFound } from './errors'
import { generateApiKey, keyMatches, parseApiKey } from './format'
import {
  type CreateApiKeyInput,
  type CreateUserApiKeyInput,
  createApiKeySchema,
  createUserApiKeySchema,
  idParam,
  type ListApiKeysParams,
  listApiKeysSchema,
  parseInput,
} from './inputs'
import { API_KEY_COLUMNS, type ApiKey, type ApiKeyRow, type CreatedApiKey, toApiKey } from './model'
import { findApp, type KeyChangeListener, requireUser } from './queries'

/** `auth.api.keys`: API keys (trusted in-process; over HTTP the admin routes). */
export interface ApiKeysApi {
  /**
   * Creates a key (`POST /admin/api-keys`). The result's `key` is the only time the plaintext is
   * available: only its hash is stored.
   *
   * @example
   * ```ts
   * const app = await auth.api.apps.create({ name: 'Reports', owner_id: user.id })
   * const { key } = await auth.api.keys.create({
   *   name: 'nightly export', type: 'app', app_id: app.id, scopes: ['read'], allowed_tables: ['public.orders'],
   * })
   * ```
   */
  create(input: CreateApiKeyInput, ctx?: AuthCallContext): Promise<CreatedApiKey>
  /** Keys, newest first, revoked ones included (`GET /admin/api-keys?app_id=&user_id=&type=`). */
  list(params?: ListApiKeysParams): Promise<ApiKey[]>
  /** One key (`GET /admin/api-keys/{id}`); 404 `api_key_not_found`. */
  get(id: string): Promise<ApiKey>
  /**
   * Revokes a key (`DELETE /admin/api-keys/{id}`): refused on the very next request on every
   * instance, and realtime streams opened with it end. Idempotent.
   */
  revoke(id: string, ctx?: AuthCallContext): Promise<ApiKey>
  /**
   * The key a plaintext `key` is, when it may be used now (one query); 401 `invalid_api_key`
   * otherwise (unknown, wrong, revoked, expired, or its user banned or deleted).
   */
  verify(key: string): Promise<ApiKey>
}

/** The self-service operations behind `/user/api-keys`, for an already verified user. */
export interface UserKeyStore {
  list(userId: string): Promise<ApiKey[]>
  create(userId: string, input: CreateUserApiKeyInput, ctx: AuthCallContext): Promise<CreatedApiKey>
  revoke(userId: string, id: string, ctx: AuthCallContext): Promise<void>
}

/** At most this many live (unrevoked) keys per user through self-service. */
export const MAX_USER_KEYS = 100

/** Audit `traits` of a key. */
function keyTraits(key: Pick<ApiKey, 'id' | 'prefix' | 'type' | 'app_id' | 'user_id'>) {
  return { key_id: key.id, prefix: key.prefix, type: key.type, app_id: key.app_id, user_id: key.user_id }
}

/** Inserts a key with a fresh random prefix (a prefix collision, ~2^-47, is retried). */
async function insertKey(
  tx: Queryable,
  row: {
    name: string
    type: ApiKeyRow['type']
    app_id: string | null
    user_id: string | null
    scopes: string[] | null
    allowed_tables: string[] | null
    rate_limit_requests: number | null
    rate_limit_window_seconds: number | null
    expires_at: Date | null
  },
): Promise<CreatedApiKey> {
  for (let attempt = 0; ; attempt++) {
    const generated = generateApiKey(row.type)
    const { rows } = await tx.query<ApiKeyRow>(
      `insert into auth.api_keys (name, type, app_id, user_id, prefix, secret_hash, scopes, allowed_tables,
         rate_limit_requests, rate_limit_window_seconds, expires_at)
       values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
       on conflict (prefix) do nothing
       returning ${API_KEY_COLUMNS}`,
      [
        row.name,
        row.type,
        row.app_id,
        row.user_id,
        generated.prefix,
        generated.hash,
        row.scopes,
        row.allowed_tables,
        row.rate_limit_requests,
        row.rate_limit_window_seconds,
        row.expires_at,
      ],
    )
    const inserted = rows[0]
    if (inserted) return { ...toApiKey(inserted), key: generated.key }
    if (attempt >= 3) throw new Error('could not allocate a unique API key prefix')
  }
}

/**
 * Builds {@link ApiKeysApi} and the self-service {@link UserKeyStore} on `db` (as the connecting
 * role); `listener` hears about keys this instance creates or revokes.
 */
export function createApiKeys(
  db: Database,
  listener?: KeyChangeListener,
): { keys: ApiKeysApi; user: UserKeyStore } {
  const keys: ApiKeysApi = {
    async create(input, ctx = {}) {
      const parsed = parseInput(createApiKeySchema, input)
      const { type } = parsed
      if (type !== 'app' && parsed.user_id) {
        throw new AuthError('validation_failed', 'user_id: only app keys act as a user', { status: 400 })
      }
      if (type === 'secret' && (parsed.scopes || parsed.allowed_tables)) {
        throw new AuthError(
          'validation_failed',
          'scopes: secret keys are never narrowed (they run as the service role); create an app key with scopes instead',
          { status: 400 },
        )
      }
      const key = await transact(db, async (tx) => {
        let userId: string | null = null
        if (parsed.app_id) {
          const app = await findApp(tx, parsed.app_id)
          if (!app) throw appNotFound()
          if (type === 'app') userId = parsed.user_id ?? app.owner_id
        } else if (type === 'app') {
          userId = parsed.user_id ?? null
        }
        if (type === 'app' && !userId) {
          throw new AuthError(
            'validation_failed',
            'user_id: an app key acts as a user; pass user_id, or app_id of an app with an owner',
            { status: 400 },
          )
        }
        if (userId) await requireUser(tx, userId)
        const created = await insertKey(tx, {
          name: parsed.name,
          type,
          app_id: parsed.app_id ?? null,
          user_id: userId,
          // Least privilege: an app key without scopes may only read.
          scopes: parsed.scopes ?? (type === 'app' ? ['read'] : null),
          allowed_tables: parsed.allowed_tables ?? null,
          rate_limit_requests: parsed.rate_limit?.requests ?? null,
          rate_limit_window_seconds: parsed.rate_limit?.window_seconds ?? null,
          expires_at: parsed.expires_at ?? null,
        })
        await audit(tx, 'api_key_created', ctx.actor ?? null, { ip: ctx.ip, traits: keyTraits(created) })
        return created
      })
      // A prefix someone guessed before it existed is cached as unknown: forget it.
      listener?.keyChanged(key.prefix)
      return key
    },
    async list(params = {}) {
      const filter = parseInput(listApiKeysSchema, params)
      const { rows } = await db.query<ApiKeyRow>(
        `select ${API_KEY_COLUMNS} from auth.api_keys
         where ($1::uuid is null or app_id = $1) and ($2::uuid is null or user_id = $2)
           and ($3::text is null or type = $3)
         order by created_at desc, id desc`,
        [filter.app_id ?? null, filter.user_id ?? null, filter.type ?? null],
      )
      return rows.map(toApiKey)
    },
    async get(id) {
      const { rows } = await db.query<ApiKeyRow>(
        `select ${API_KEY_COLUMNS} from auth.api_keys where id = $1`,
        [idParam(id, keyNotFound)],
      )
      if (!rows[0]) throw keyNotFound()
      return toApiKey(rows[0])
    },
    revoke: (id, ctx = {}) => revokeWhere(idParam(id, keyNotFound), null, ctx),
    async verify(key) {
      const parsed = typeof key === 'string' ? parseApiKey(key.trim()) : null
      if (!parsed) throw invalidApiKey()
      const { rows } = await db.query<ApiKeyRow & { secret_hash: string; refusal: string | null }>(
        `select ${API_KEY_COLUMNS}, secret_hash, auth.api_key_refusal(id) as refusal
           from auth.api_keys where prefix = $1`,
        [parsed.prefix],
      )
      const row = rows[0]
      if (!row || !keyMatches(parsed.key, row.secret_hash)) throw invalidApiKey()
      if (row.refusal) throw invalidApiKey(row.refusal)
      const { secret_hash: _hash, refusal: _refusal, ...rest } = row
      return toApiKey(rest)
    },
  }

  /** Revokes key `id` (of `userId` when given); 404 when there is none. */
  async function revokeWhere(id: string, userId: string | null, ctx: AuthCallContext): Promise<ApiKey> {
    const key = await transact(db, async (tx) => {
      const { rows } = await tx.query<ApiKeyRow>(
        `update auth.api_keys set revoked_at = coalesce(revoked_at, now()), updated_at = now()
         where id = $1 and ($2::uuid is null or user_id = $2) returning ${API_KEY_COLUMNS}`,
        [id, userId],
      )
      if (!rows[0]) throw keyNotFound()
      const revoked = toApiKey(rows[0])
      await audit(tx, 'api_key_revoked', ctx.actor ?? null, { ip: ctx.ip, traits: keyTraits(revoked) })
      return revoked
    })
    listener?.keyChanged(key.prefix)
    return key
  }

  const user: UserKeyStore = {
    list: (userId) => keys.list({ user_id: userId, type: 'app' }),
    async create(userId, input, ctx) {
      const parsed = parseInput(createUserApiKeySchema, input)
      const key = await transact(db, async (tx) => {
        // The user's row, locked: concurrent creations count one after the other.
        await tx.query('select 1 from auth.users where id = $1 for update', [userId])
        if (parsed.app_id) {
          const app = await findApp(tx, parsed.app_id)
          // Someone else's app is as unknown as a missing one.
          if (!app || app.owner_id !== userId) throw appNotFound()
        }
        const { rows } = await tx.query<{ live: number }>(
          `select count(*)::int as live from auth.api_keys
            where user_id = $1 and revoked_at is null and (expires_at is null or expires_at > now())`,
          [userId],
        )
        if ((rows[0]?.live ?? 0) >= MAX_USER_KEYS) {
          throw new AuthError(
            'validation_failed',
            `A user may hold at most ${MAX_USER_KEYS} API keys; revoke one first`,
            { status: 422 },
          )
        }
        const created = await insertKey(tx, {
          name: parsed.name,
          type: 'app',
          app_id: parsed.app_id ?? null,
          user_id: userId,
          scopes: parsed.scopes ?? ['read'],
          allowed_tables: parsed.allowed_tables ?? null,
          rate_limit_requests: null,
          rate_limit_window_seconds: null,
          expires_at: parsed.expires_at ?? null,
        })
        await audit(tx, 'api_key_created', ctx.actor ?? null, { ip: ctx.ip, traits: keyTraits(created) })
        return created
      })
      listener?.keyChanged(key.prefix)
      return key
    },
    async revoke(userId, id, ctx) {
      await revokeWhere(idParam(id, keyNotFound), userId, ctx)
    },
  }

  return { keys, user }
}
