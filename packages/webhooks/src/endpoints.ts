import {
  type Database,
  isGroundworkError,
  type Principal,
  recordAudit,
  type SecretBox,
  type Transaction,
} from '@groundwork/core'
import { assertOutboundUrl, type OutboundPolicy } from '@groundwork/core/kit'
import { type FilterCondition, parseFilter } from '@groundwork/realtime'
import { webhooksError } from './errors'
import { secretContext } from './sealed-columns'
import { generateAsymmetricKeys, generateSymmetricSecret } from './signing'

/** A database operation a webhook fires on. */
export type WebhookEvent = 'INSERT' | 'UPDATE' | 'DELETE'

/** The signature scheme of a secret: `v1` HMAC-SHA256 (`whsec_`), `v1a` ed25519 (`whsk_` / `whpk_`). */
export type SecretType = 'v1' | 'v1a'

/** What `webhooks.api.create` takes. */
export interface EndpointInput {
  /** Where deliveries are POSTed; `http:` or `https:`, public unless its host is allowed. */
  url: string
  /** The table to watch, `schema.table` (`orders` means `public.orders`). Realtime capture is enabled on it. */
  table: string
  /** @default ['INSERT', 'UPDATE', 'DELETE'] */
  events?: WebhookEvent[] | undefined
  /** Only rows matching it, in realtime's grammar: `status=eq.paid,total=gte.100` (the old row for DELETE). */
  filter?: string | null | undefined
  /** Extra request headers (`authorization` for the receiver…); `webhook-*`, `content-*`, `host` are refused. */
  headers?: Record<string, string> | undefined
  /** @default true */
  enabled?: boolean | undefined
  description?: string | null | undefined
  /** Deliver one row's changes in commit order (one in flight per row). @default false */
  ordered?: boolean | undefined
  /** Deliveries in flight to this endpoint at once, across all workers. @default the service's `maxConcurrency` */
  maxConcurrency?: number | undefined
  /** The first secret's scheme. @default 'v1' */
  secretType?: SecretType | undefined
}

/** What `webhooks.api.update` takes: any field of {@link EndpointInput} but the secret type. */
export type EndpointPatch = Partial<Omit<EndpointInput, 'secretType'>>

/** A secret as listed: never its value (only the public key of a `v1a` one). */
export interface SecretInfo {
  id: string
  type: SecretType
  /** `whpk_…` for `v1a` secrets (what receivers verify with), else null. */
  publicKey: string | null
  createdAt: string
  /** When it stops signing; null: until it is deleted. */
  expiresAt: string | null
}

/** A new secret, with its value (shown once). */
export interface NewSecret extends SecretInfo {
  /** `whsec_…` or `whsk_…`. */
  secret: string
}

/** A webhook endpoint. */
export interface Endpoint {
  id: string
  url: string
  /** `schema.table`. */
  table: string
  events: WebhookEvent[]
  filter: string | null
  headers: Record<string, string>
  description: string | null
  ordered: boolean
  maxConcurrency: number
  enabled: boolean
  /** Why it was disabled (`410 Gone`, `disabled by an admin`), or null. */
  disabledReason: string | null
  disabledAt: string | null
  createdAt: string
  updatedAt: string
  /** Secrets that sign now (unexpired). */
  secrets: SecretInfo[]
}

/** What `webhooks.api.create` returns: the endpoint and its first secret's value. */
export interface CreatedEndpoint extends Endpoint {
  secret: NewSecret
}

/** Who asks, for the audit log (the handler passes the request's principal and address). */
export interface AdminContext {
  actor?: Principal | string | undefined
  ipAddress?: string | undefined
}

const EVENTS: readonly WebhookEvent[] = ['INSERT', 'UPDATE', 'DELETE']
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,100}$/
const RESERVED_HEADER =
  /^(webhook-|content-|host$|connection$|transfer-encoding$|user-agent$|keep-alive$|te$|trailer$|upgrade$|expect$)/i
export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
const MAX_HEADERS = 20

interface EndpointRow {
  id: string
  url: string
  schema_name: string
  table_name: string
  events: WebhookEvent[]
  filter: string | null
  headers: Record<string, string>
  description: string | null
  ordered: boolean
  max_concurrency: number
  enabled: boolean
  disabled_reason: string | null
  disabled_at: Date | null
  created_at: Date
  updated_at: Date
  secrets: {
    id: string
    kind: SecretType
    public_key: string | null
    created_at: string
    expires_at: string | null
  }[]
}

export const ENDPOINT_SELECT = `select e.id::text, e.url, e.schema_name, e.table_name, e.events, e.filter, e.headers,
    e.description, e.ordered, e.max_concurrency, e.enabled, e.disabled_reason, e.disabled_at, e.created_at, e.updated_at,
    coalesce((select json_agg(json_build_object('id', s.id, 'kind', s.kind, 'public_key', s.public_key,
        'created_at', s.created_at, 'expires_at', s.expires_at) order by s.created_at)
      from webhooks.secrets s where s.endpoint_id = e.id and (s.expires_at is null or s.expires_at > now())), '[]') as secrets
  from webhooks.endpoints e`

function iso(value: string | Date | null): string | null {
  if (value === null) return null
  return (value instanceof Date ? value : new Date(value)).toISOString()
}

export function toEndpoint(row: EndpointRow): Endpoint {
  return {
    id: row.id,
    url: row.url,
    table: `${row.schema_name}.${row.table_name}`,
    events: row.events,
    filter: row.filter,
    headers: row.headers,
    description: row.description,
    ordered: row.ordered,
    maxConcurrency: row.max_concurrency,
    enabled: row.enabled,
    disabledReason: row.disabled_reason,
    disabledAt: iso(row.disabled_at),
    createdAt: iso(row.created_at) as string,
    updatedAt: iso(row.updated_at) as string,
    secrets: row.secrets.map((s) => ({
      id: s.id,
      type: s.kind,
      publicKey: s.public_key,
      createdAt: iso(s.created_at) as string,
      expiresAt: iso(s.expires_at),
    })),
  }
}

function invalid(message: string, cause?: unknown) {
  return webhooksError('WEBHOOKS_INVALID_ENDPOINT', message, cause === undefined ? {} : { cause })
}

function checkUrl(url: unknown, policy: OutboundPolicy): string {
  if (typeof url !== 'string' || url.length > 2048)
    throw invalid('`url` must be a URL of at most 2048 characters')
  try {
    return assertOutboundUrl(url, policy).href
  } catch (error) {
    throw invalid(isGroundworkError(error) ? error.message : '`url` is not a valid URL', error)
  }
}

function checkEvents(events: unknown): WebhookEvent[] {
  if (!Array.isArray(events) || events.length === 0) {
    throw invalid('`events` must be a non-empty list of INSERT, UPDATE, DELETE')
  }
  const upper = events.map((event) => (typeof event === 'string' ? event.toUpperCase() : event))
  for (const event of upper) {
    if (!EVENTS.includes(event as WebhookEvent)) {
      throw invalid(`\`events\`: "${String(event)}" is not one of INSERT, UPDATE, DELETE`)
    }
  }
  return [...new Set(upper as WebhookEvent[])]
}

function checkFilter(filter: unknown): { filter: string | null; conditions: FilterCondition[] } {
  if (filter === null || filter === undefined || filter === '') return { filter: null, conditions: [] }
  if (typeof filter !== 'string' || filter.length > 2000) {
    throw invalid('`filter` must be a string of at most 2000 characters')
  }
  try {
    return { filter, conditions: parseFilter(filter) }
  } catch (error) {
    throw invalid(isGroundworkError(error) ? `\`filter\`: ${error.message}` : '`filter` is invalid', error)
  }
}

function checkHeaders(headers: unknown): Record<string, string> {
  if (headers === undefined || headers === null) return {}
  if (typeof headers !== 'object' || Array.isArray(headers))
    throw invalid('`headers` must be an object of strings')
  const entries = Object.entries(headers as Record<string, unknown>)
  if (entries.length > MAX_HEADERS) throw invalid(`\`headers\`: at most ${MAX_HEADERS}`)
  const out: Record<string, string> = {}
  for (const [name, value] of entries) {
    if (!HEADER_NAME.test(name)) throw invalid(`\`headers\`: "${name.slice(0, 100)}" is not a header name`)
    if (RESERVED_HEADER.test(name)) throw invalid(`\`headers\`: "${name}" is set by the webhook sender`)
    if (typeof value !== 'string' || value.length > 4096 || /[\r\n\0]/.test(value)) {
      throw invalid(`\`headers.${name}\` must be a string of at most 4096 characters without line breaks`)
    }
    out[name.toLowerCase()] = value
  }
  return out
}

function checkConcurrency(value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > 1000) {
    throw invalid('`max_concurrency` must be an integer from 1 to 1000')
  }
  return value
}

function checkDescription(value: unknown): string | null {
  if (value === null || value === undefined) return null
  if (typeof value !== 'string' || value.length > 1000) {
    throw invalid('`description` must be a string of at most 1000 characters')
  }
  return value
}

function checkBoolean(value: unknown, field: string): boolean {
  if (typeof value !== 'boolean') throw invalid(`\`${field}\` must be true or false`)
  return value
}

/** Resolves `schema.table`, enabling realtime capture on it when it is not yet published. */
async function watchTable(tx: Transaction, table: unknown): Promise<{ schema: string; table: string }> {
  if (typeof table !== 'string' || table.length === 0 || table.length > 200) {
    throw invalid('`table` must be "schema.table"')
  }
  let target: { schema_name: string; table_name: string; relid: number | null } | undefined
  try {
    await tx.query('savepoint webhooks_table')
    const { rows } = await tx.query<{ schema_name: string; table_name: string; relid: number | null }>(
      'select t.schema_name, t.table_name, t.relid from realtime._parse_target($1) t',
      [table],
    )
    target = rows[0]
    await tx.query('release savepoint webhooks_table')
  } catch (error) {
    await tx.query('rollback to savepoint webhooks_table')
    throw webhooksError(
      'WEBHOOKS_INVALID_TABLE',
      `\`table\`: "${table}" is not a table name (schema.table)`,
      {
        cause: error,
      },
    )
  }
  if (!target?.relid) {
    throw webhooksError('WEBHOOKS_INVALID_TABLE', `\`table\`: "${table}" does not exist`)
  }
  const { rows: published } = await tx.query(
    'select 1 from realtime.published where schema_name = $1 and table_name = $2',
    [target.schema_name, target.table_name],
  )
  if (published.length === 0) {
    try {
      await tx.query('savepoint webhooks_enable')
      await tx.query('select realtime.enable($1)', [
        `${quoteIdentPart(target.schema_name)}.${quoteIdentPart(target.table_name)}`,
      ])
      await tx.query('release savepoint webhooks_enable')
    } catch (error) {
      await tx.query('rollback to savepoint webhooks_enable')
      const message = (error as { message?: string }).message ?? ''
      throw webhooksError(
        'WEBHOOKS_INVALID_TABLE',
        /primary key/.test(message)
          ? `\`table\`: ${target.schema_name}.${target.table_name} has no primary key (change capture identifies rows by it)`
          : `\`table\`: change capture cannot be enabled on ${target.schema_name}.${target.table_name}`,
        { cause: error },
      )
    }
  }
  return { schema: target.schema_name, table: target.table_name }
}

/** parse_ident's quoting for one part (realtime.enable parses `schema.table` with parse_ident). */
function quoteIdentPart(name: string): string {
  return `"${name.replaceAll('"', '""')}"`
}

/** Inserts a new secret for an endpoint (sealed when encryption keys are set); returns it with its value. */
export async function insertSecret(
  tx: Transaction,
  endpointId: string,
  type: SecretType,
  box: SecretBox,
): Promise<NewSecret> {
  const generated =
    type === 'v1' ? { secret: generateSymmetricSecret(), publicKey: null } : generateAsymmetricKeys()
  const { rows } = await tx.query<{ id: string; created_at: Date }>(
    `insert into webhooks.secrets (endpoint_id, kind, secret, public_key) values ($1, $2, $3, $4)
     returning id::text, created_at`,
    [endpointId, type, box.seal(generated.secret, secretContext(endpointId)), generated.publicKey],
  )
  const row = rows[0] as { id: string; created_at: Date }
  return {
    id: row.id,
    type,
    publicKey: generated.publicKey,
    createdAt: row.created_at.toISOString(),
    expiresAt: null,
    secret: generated.secret,
  }
}

/** Settings the endpoint functions share. */
export interface EndpointSettings {
  db: Database
  policy: OutboundPolicy
  defaultConcurrency: number
  /** Seals signing secrets at rest. */
  box: SecretBox
}

/** The audit-log fields every webhooks admin action shares (core's `recordAudit`). */
export function auditOf(context: AdminContext | undefined) {
  return { actor: context?.actor ?? 'system', ipAddress: context?.ipAddress, logType: 'webhooks' }
}

/** `webhooks.api.create`. */
export async function createEndpoint(
  settings: EndpointSettings,
  input: EndpointInput,
  context?: AdminContext,
): Promise<CreatedEndpoint> {
  if (typeof input !== 'object' || input === null) throw invalid('the endpoint must be an object')
  const url = checkUrl(input.url, settings.policy)
  const events = checkEvents(input.events ?? EVENTS)
  const { filter, conditions } = checkFilter(input.filter)
  const headers = checkHeaders(input.headers)
  const enabled = input.enabled === undefined ? true : checkBoolean(input.enabled, 'enabled')
  const ordered = input.ordered === undefined ? false : checkBoolean(input.ordered, 'ordered')
  const maxConcurrency =
    input.maxConcurrency === undefined ? settings.defaultConcurrency : checkConcurrency(input.maxConcurrency)
  const description = checkDescription(input.description)
  const secretType = input.secretType ?? 'v1'
  if (secretType !== 'v1' && secretType !== 'v1a') throw invalid('`secret_type` must be v1 or v1a')
  return settings.db.transaction(async (tx) => {
    const target = await watchTable(tx, input.table)
    const { rows } = await tx.query<{ id: string }>(
      `insert into webhooks.endpoints (url, schema_name, table_name, events, filter, conditions, headers, description,
         ordered, max_concurrency, enabled, disabled_reason, disabled_at)
       values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, case when $11 then null else 'disabled by an admin' end,
         case when $11 then null else now() end)
       returning id::text`,
      [
        url,
        target.schema,
        target.table,
        events,
        filter,
        JSON.stringify(conditions),
        JSON.stringify(headers),
        description,
        ordered,
        maxConcurrency,
        enabled,
      ],
    )
    const id = (rows[0] as { id: string }).id
    const secret = await insertSecret(tx, id, secretType, settings.box)
    await recordAudit(tx, {
      ...auditOf(context),
      action: 'webhooks.endpoint_created',
      traits: { endpoint_id: id, url: redactUrl(url), table: `${target.schema}.${target.table}`, events },
    })
    const endpoint = (await readEndpoint(tx, id)) as Endpoint
    return { ...endpoint, secret }
  })
}

/** An endpoint by id, or null. */
export async function readEndpoint(
  executor: Pick<Database, 'query'> | Transaction,
  id: string,
): Promise<Endpoint | null> {
  if (!UUID.test(id)) return null
  const { rows } = await executor.query<EndpointRow>(`${ENDPOINT_SELECT} where e.id = $1`, [id])
  return rows[0] ? toEndpoint(rows[0]) : null
}

/** `webhooks.api.update`: the fields given; re-enabling wakes the endpoint's backlog. */
export async function updateEndpoint(
  settings: EndpointSettings,
  id: string,
  patch: EndpointPatch,
  context?: AdminContext,
): Promise<Endpoint | null> {
  if (!UUID.test(id)) return null
  if (typeof patch !== 'object' || patch === null) throw invalid('the patch must be an object')
  const sets: string[] = []
  const values: unknown[] = [id]
  const set = (column: string, value: unknown) => {
    values.push(value)
    sets.push(`${column} = $${values.length}`)
  }
  if (patch.url !== undefined) set('url', checkUrl(patch.url, settings.policy))
  if (patch.events !== undefined) set('events', checkEvents(patch.events))
  if (patch.filter !== undefined) {
    const { filter, conditions } = checkFilter(patch.filter)
    set('filter', filter)
    set('conditions', JSON.stringify(conditions))
  }
  if (patch.headers !== undefined) set('headers', JSON.stringify(checkHeaders(patch.headers)))
  if (patch.description !== undefined) set('description', checkDescription(patch.description))
  if (patch.ordered !== undefined) set('ordered', checkBoolean(patch.ordered, 'ordered'))
  if (patch.maxConcurrency !== undefined) set('max_concurrency', checkConcurrency(patch.maxConcurrency))
  let enabled: boolean | undefined
  if (patch.enabled !== undefined) {
    enabled = checkBoolean(patch.enabled, 'enabled')
    set('enabled', enabled)
    sets.push(
      enabled
        ? 'disabled_reason = null, disabled_at = null'
        : `disabled_reason = case when e.enabled then 'disabled by an admin' else e.disabled_reason end,
           disabled_at = case when e.enabled then now() else e.disabled_at end`,
    )
  }
  return settings.db.transaction(async (tx) => {
    if (patch.table !== undefined) {
      const target = await watchTable(tx, patch.table)
      set('schema_name', target.schema)
      set('table_name', target.table)
    }
    if (sets.length === 0) return readEndpoint(tx, id)
    const { rows } = await tx.query(
      `update webhooks.endpoints e set ${sets.join(', ')}, updated_at = now() where e.id = $1 returning 1`,
      values,
    )
    if (rows.length === 0) return null
    if (enabled === true) await tx.query('select webhooks.wake($1)', [id])
    await recordAudit(tx, {
      ...auditOf(context),
      action: 'webhooks.endpoint_updated',
      traits: { endpoint_id: id, fields: Object.keys(patch) },
    })
    return readEndpoint(tx, id)
  })
}

/** `webhooks.api.delete`: the endpoint, its secrets and deliveries. */
export async function deleteEndpoint(
  settings: EndpointSettings,
  id: string,
  context?: AdminContext,
): Promise<boolean> {
  if (!UUID.test(id)) return false
  return settings.db.transaction(async (tx) => {
    const { rows } = await tx.query('delete from webhooks.endpoints where id = $1 returning 1', [id])
    if (rows.length === 0) return false
    await recordAudit(tx, {
      ...auditOf(context),
      action: 'webhooks.endpoint_deleted',
      traits: { endpoint_id: id },
    })
    return true
  })
}

/** Filters of `webhooks.api.list`. */
export interface ListEndpointsOptions {
  /** Only endpoints watching this table (`schema.table`). */
  table?: string | undefined
  /** @default 100, at most 1000 */
  limit?: number | undefined
}

/** `webhooks.api.list`: newest first. */
export async function listEndpoints(
  settings: EndpointSettings,
  options: ListEndpointsOptions = {},
): Promise<Endpoint[]> {
  const limit = Math.min(Math.max(Math.trunc(options.limit ?? 100), 1), 1000)
  const [schema, table] = options.table?.includes('.')
    ? (options.table.split('.', 2) as [string, string])
    : options.table
      ? ['public', options.table]
      : [null, null]
  const { rows } = await settings.db.query<EndpointRow>(
    `${ENDPOINT_SELECT} where ($1::text is null or (e.schema_name = $1 and e.table_name = $2))
     order by e.created_at desc, e.id limit $3`,
    [schema, table, limit],
  )
  return rows.map(toEndpoint)
}

/** Options of `webhooks.api.rotateSecret`. */
export interface RotateSecretOptions {
  /** The new secret's scheme. @default 'v1' */
  type?: SecretType | undefined
  /** Seconds the current secrets keep signing (null: until deleted). @default the service's `rotationOverlap` */
  previousExpiresIn?: number | null | undefined
}

/** `webhooks.api.rotateSecret`: adds a secret; the current ones keep signing until they expire or are deleted. */
export async function rotateSecret(
  settings: EndpointSettings & { rotationOverlapSeconds: number | null },
  id: string,
  options: RotateSecretOptions = {},
  context?: AdminContext,
): Promise<NewSecret | null> {
  if (!UUID.test(id)) return null
  const type = options.type ?? 'v1'
  if (type !== 'v1' && type !== 'v1a') throw invalid('`type` must be v1 or v1a')
  const overlap =
    options.previousExpiresIn === undefined ? settings.rotationOverlapSeconds : options.previousExpiresIn
  if (
    overlap !== null &&
    (typeof overlap !== 'number' || !Number.isInteger(overlap) || overlap < 0 || overlap > 31_536_000)
  ) {
    throw invalid('`previous_expires_in` must be a number of seconds from 0 to 31536000, or null')
  }
  return settings.db.transaction(async (tx) => {
    const { rows } = await tx.query('select 1 from webhooks.endpoints where id = $1 for update', [id])
    if (rows.length === 0) return null
    if (overlap !== null) {
      await tx.query(
        `update webhooks.secrets set expires_at = least(coalesce(expires_at, 'infinity'), now() + make_interval(secs => $2))
         where endpoint_id = $1 and (expires_at is null or expires_at > now())`,
        [id, overlap],
      )
    }
    const secret = await insertSecret(tx, id, type, settings.box)
    await recordAudit(tx, {
      ...auditOf(context),
      action: 'webhooks.secret_rotated',
      traits: { endpoint_id: id, secret_id: secret.id, type },
    })
    return secret
  })
}

/** `webhooks.api.deleteSecret`: stops signing with it at once. The last active secret cannot go. */
export async function deleteSecret(
  settings: EndpointSettings,
  id: string,
  secretId: string,
  context?: AdminContext,
): Promise<boolean> {
  if (!UUID.test(id) || !UUID.test(secretId)) return false
  return settings.db.transaction(async (tx) => {
    const { rows } = await tx.query<{ id: string; active: boolean }>(
      `select s.id::text, (s.expires_at is null or s.expires_at > now()) as active
         from webhooks.secrets s where s.endpoint_id = $1 for update`,
      [id],
    )
    const target = rows.find((row) => row.id === secretId)
    if (!target) return false
    if (target.active && rows.filter((row) => row.active).length === 1) {
      throw webhooksError(
        'WEBHOOKS_LAST_SECRET',
        'This is the endpoint’s only active secret: rotate first, then delete it',
        {
          hint: 'POST /{id}/secrets adds a new secret.',
        },
      )
    }
    await tx.query('delete from webhooks.secrets where id = $1', [secretId])
    await recordAudit(tx, {
      ...auditOf(context),
      action: 'webhooks.secret_deleted',
      traits: { endpoint_id: id, secret_id: secretId },
    })
    return true
  })
}

/** A URL for the audit log: origin and path, never a query string or credentials (tokens live there). */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url)
    return `${parsed.origin}${parsed.pathname}`
  } catch {
    return ''
  }
}
