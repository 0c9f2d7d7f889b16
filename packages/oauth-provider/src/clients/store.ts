import type { Auth } from '@groundwork/auth'
import { type Database, type Principal, recordAudit } from '@groundwork/core'
import { OAuthProviderError } from '../errors'
import { randomSecret, sha256Hex } from '../internal/secrets'
import { type ClientMetadata, parseCreate, parseUpdate } from './inputs'
import { CLIENT_COLUMNS, type ClientRow, type OAuthClient, toClient } from './model'

/** A page of clients. */
export interface ClientPage {
  clients: OAuthClient[]
  total: number
}

/** Who changes a client, for auth's audit log (`log_type` `oauth`). */
export interface AdminContext {
  /** The request's principal, or a label for scripts (`cli`). @default 'system' */
  actor?: Principal | string | undefined
  /** The client address of the request. */
  ip?: string | undefined
}

/**
 * Clients: registration, admin CRUD, secrets (hashed at rest, shown once). Every change is
 * recorded in auth's audit log in its own transaction (`oauth.client_created`, `…_updated`,
 * `…_deleted`, `…_secret_regenerated`; never a secret).
 */
export interface ClientStore {
  create(input: unknown, registrationType: 'dynamic' | 'manual', ctx?: AdminContext): Promise<OAuthClient>
  list(params?: { page?: number; perPage?: number }): Promise<ClientPage>
  get(clientId: string): Promise<OAuthClient>
  /** The row, or null (token endpoint, authorization endpoint). */
  find(clientId: string): Promise<ClientRow | null>
  update(clientId: string, input: unknown, ctx?: AdminContext): Promise<OAuthClient>
  delete(clientId: string, ctx?: AdminContext): Promise<void>
  regenerateSecret(clientId: string, ctx?: AdminContext): Promise<OAuthClient>
}

type AuditExecutor = Parameters<typeof recordAudit>[0]

function audit(tx: AuditExecutor, action: string, row: ClientRow, ctx: AdminContext = {}) {
  return recordAudit(tx, {
    action: `oauth.${action}`,
    actor: ctx.actor,
    logType: 'oauth',
    ipAddress: ctx.ip,
    traits: { client_id: row.id, client_name: row.client_name, registration_type: row.registration_type },
  })
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

function notFound(): OAuthProviderError {
  return new OAuthProviderError('OAUTH_NOT_FOUND', 'OAuth client not found')
}

/** Builds the {@link ClientStore}. */
export function createClientStore(deps: {
  db: Database
  auth: Pick<Auth, 'api'>
  scopes: readonly string[]
}): ClientStore {
  const { db, auth, scopes } = deps

  async function find(clientId: string): Promise<ClientRow | null> {
    if (typeof clientId !== 'string' || !UUID.test(clientId)) return null
    // Prepared (named): every token, revocation and introspection request starts here.
    const { rows } = await db.query<ClientRow>({
      name: 'groundwork_oauth_client_by_id',
      text: `select ${CLIENT_COLUMNS} from oauth.clients where id = $1`,
      values: [clientId],
    })
    return rows[0] ?? null
  }

  async function requireClient(clientId: string): Promise<ClientRow> {
    const row = await find(clientId)
    if (!row) throw notFound()
    return row
  }

  return {
    async create(input, registrationType, ctx) {
      const { app_id, ...metadata } = parseCreate(input, scopes)
      let appId = app_id
      let createdApp = false
      if (appId)
        await auth.api.apps.get(appId).catch(() => {
          throw new OAuthProviderError('OAUTH_INVALID_CLIENT_METADATA', 'app_id: no such app')
        })
      else {
        appId = (await auth.api.apps.create({ name: metadata.client_name, description: 'OAuth client' })).id
        createdApp = true
      }
      const secret = metadata.client_type === 'confidential' ? randomSecret() : undefined
      try {
        const row = await db.transaction(async (tx) => {
          const { rows } = await tx.query<ClientRow>(
            `insert into oauth.clients (app_id, client_name, client_uri, logo_uri, client_type, token_endpoint_auth_method,
             registration_type, redirect_uris, grant_types, scope, secret_hash, jwks, allowed_tables)
           values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) returning ${CLIENT_COLUMNS}`,
            [
              appId,
              ...values(metadata, registrationType),
              secret ? sha256Hex(secret) : null,
              ...extras(metadata),
            ],
          )
          await audit(tx, 'client_created', rows[0] as ClientRow, ctx)
          return rows[0] as ClientRow
        })
        return toClient(row, secret)
      } catch (error) {
        if (createdApp) await auth.api.apps.delete(appId).catch(() => {})
        throw error
      }
    },

    async list(params = {}) {
      const perPage = Math.min(Math.max(Math.trunc(params.perPage ?? 50) || 50, 1), 1000)
      const page = Math.max(Math.trunc(params.page ?? 1) || 1, 1)
      const { rows } = await db.query<ClientRow & { total: string }>(
        `select ${CLIENT_COLUMNS}, count(*) over () as total from oauth.clients
         order by created_at desc, id limit $1 offset $2`,
        [perPage, (page - 1) * perPage],
      )
      const total = rows[0]
        ? Number(rows[0].total)
        : (await db.query<{ n: string }>('select count(*) as n from oauth.clients')).rows[0]?.n
      return { clients: rows.map((row) => toClient(row)), total: Number(total ?? 0) }
    },

    get: async (clientId) => toClient(await requireClient(clientId)),
    find,

    async update(clientId, input, ctx) {
      const current = await requireClient(clientId)
      const merged = parseUpdate(input, current as unknown as ClientMetadata, scopes)
      const row = await db.transaction(async (tx) => {
        const { rows } = await tx.query<ClientRow>(
          `update oauth.clients set client_name = $2, client_uri = $3, logo_uri = $4, client_type = $5,
             token_endpoint_auth_method = $6, redirect_uris = $8, grant_types = $9, scope = $10, jwks = $11,
             allowed_tables = $12, updated_at = now()
           where id = $1 and registration_type = $7 returning ${CLIENT_COLUMNS}`,
          [clientId, ...values(merged, current.registration_type), ...extras(merged)],
        )
        if (!rows[0]) throw notFound()
        await audit(tx, 'client_updated', rows[0], ctx)
        return rows[0]
      })
      return toClient(row)
    },

    async delete(clientId, ctx) {
      await requireClient(clientId)
      await db.transaction(async (tx) => {
        const { rows } = await tx.query<ClientRow>(
          `delete from oauth.clients where id = $1 returning ${CLIENT_COLUMNS}`,
          [clientId],
        )
        if (!rows[0]) throw notFound()
        await audit(tx, 'client_deleted', rows[0], ctx)
      })
      // Its grants end with it: their sessions are auth's.
      await auth.api.oauthGrants.revokeClient(clientId)
    },

    async regenerateSecret(clientId, ctx) {
      const current = await requireClient(clientId)
      if (current.client_type !== 'confidential') {
        throw new OAuthProviderError('OAUTH_INVALID_CLIENT_METADATA', 'a public client has no secret')
      }
      const secret = randomSecret()
      const row = await db.transaction(async (tx) => {
        const { rows } = await tx.query<ClientRow>(
          `update oauth.clients set secret_hash = $2, updated_at = now() where id = $1 returning ${CLIENT_COLUMNS}`,
          [clientId, sha256Hex(secret)],
        )
        if (!rows[0]) throw notFound()
        await audit(tx, 'client_secret_regenerated', rows[0], ctx)
        return rows[0]
      })
      return toClient(row, secret)
    },
  }
}

function values(m: ClientMetadata, registrationType: string): unknown[] {
  return [
    m.client_name,
    m.client_uri,
    m.logo_uri,
    m.client_type,
    m.token_endpoint_auth_method,
    registrationType,
    m.redirect_uris,
    m.grant_types,
    m.scope,
  ]
}

function extras(m: ClientMetadata): unknown[] {
  return [m.jwks ? JSON.stringify(m.jwks) : null, m.allowed_tables]
}
