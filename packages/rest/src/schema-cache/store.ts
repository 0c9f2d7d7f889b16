import type { Database, Logger } from '@groundwork/core'
import pg from 'pg'
import { buildSchemaCache, type CatalogRows } from './build'
import {
  ATTRIBUTES_SQL,
  COLUMNS_SQL,
  CONSTRAINTS_SQL,
  FUNCTIONS_SQL,
  RELATIONS_SQL,
  SCHEMAS_SQL,
  VIEW_RULES_SQL,
} from './queries'
import type { SchemaCache } from './types'
import { viewColumnOrigins } from './view-columns'

/** PostgREST's notification channel; `NOTIFY pgrst, 'reload schema'` reloads the cache. */
export const RELOAD_CHANNEL = 'pgrst'

/** Holds the current schema cache; reloads it on notifications (debounced). */
export interface SchemaCacheStore {
  /** The current cache (loads it, and starts listening, on first use). */
  get(): Promise<SchemaCache>
  /** Re-reads the catalogs now. */
  reload(): Promise<SchemaCache>
  /** Stops listening. */
  close(): Promise<void>
}

/**
 * Runs a catalog query whose `format_type()` output becomes SQL (column definitions of
 * `json_to_recordset`, RPC argument lists) with `search_path` = `pg_catalog`: `format_type` leaves
 * out the schema of any type visible on the current search_path, and requests run under their own
 * (the exposed schema first), so `mood` could name another schema's type or none at all. With only
 * `pg_catalog` visible every other type comes out qualified (`public.mood`, `extensions.vector`).
 */
function withQualifiedTypeNames(db: Database, text: string, values: unknown[]) {
  return db.transaction(async (tx) => {
    await tx.query("select set_config('search_path', 'pg_catalog', true)")
    return tx.query(text, values)
  })
}

/** Reads the catalogs once and builds a {@link SchemaCache}. */
export async function loadSchemaCache(
  db: Database,
  schemas: readonly string[],
  version: number,
): Promise<SchemaCache> {
  const params = [schemas]
  const [relations, columns, constraints, rules, functions, schemaRows] = await Promise.all([
    db.query(RELATIONS_SQL, params),
    withQualifiedTypeNames(db, COLUMNS_SQL, params),
    db.query(CONSTRAINTS_SQL),
    db.query<{ relid: string; action: string }>(VIEW_RULES_SQL, params),
    withQualifiedTypeNames(db, FUNCTIONS_SQL, params),
    db.query(SCHEMAS_SQL, params),
  ])
  const viewOrigins = new Map<string, Map<string, { relid: number; attnum: number }>>()
  const baseOids = new Set<number>()
  for (const rule of rules.rows) {
    const origins = viewColumnOrigins(rule.action)
    viewOrigins.set(String(rule.relid), origins)
    for (const origin of origins.values()) baseOids.add(origin.relid)
  }
  const attributes = new Map<string, string>()
  if (baseOids.size > 0) {
    const attrs = await db.query<{ relid: string; position: number; name: string }>(ATTRIBUTES_SQL, [
      [...baseOids],
    ])
    for (const a of attrs.rows) attributes.set(`${a.relid}:${a.position}`, a.name)
  }
  const rows: CatalogRows = {
    relations: relations.rows as CatalogRows['relations'],
    columns: columns.rows as CatalogRows['columns'],
    constraints: constraints.rows as CatalogRows['constraints'],
    viewOrigins,
    attributes,
    functions: functions.rows as CatalogRows['functions'],
    schemas: schemaRows.rows as CatalogRows['schemas'],
  }
  return buildSchemaCache(rows, schemas, version)
}

/**
 * Creates the store. Listening uses a dedicated connection (not one of the pool's) opened with
 * the pool's own settings; on connection loss it reconnects with backoff and reloads, since
 * notifications sent meanwhile are lost.
 */
export function createSchemaCacheStore(settings: {
  db: Database
  schemas: readonly string[]
  debounce: number
  listen: boolean
  logger: Logger
}): SchemaCacheStore {
  const { db, schemas, debounce, logger } = settings
  let version = 0
  let current: Promise<SchemaCache> | null = null
  let latest: SchemaCache | null = null
  let listener: pg.Client | null = null
  let closed = false
  let timer: NodeJS.Timeout | null = null
  let reconnectDelay = 500

  const load = (): Promise<SchemaCache> => {
    const next = loadSchemaCache(db, schemas, ++version).then((cache) => {
      latest = cache
      return cache
    })
    // Keep serving the previous cache if a reload fails.
    current = latest
      ? next.catch((error) => {
          logger.error('groundwork/rest: schema cache reload failed', error)
          return latest as SchemaCache
        })
      : next
    if (!latest)
      next.catch(() => {
        current = null
      })
    return current
  }

  const scheduleReload = () => {
    if (closed) return
    if (timer) clearTimeout(timer)
    timer = setTimeout(() => {
      timer = null
      void load()
    }, debounce)
    timer.unref?.()
  }

  const startListening = async () => {
    if (!settings.listen || closed || listener) return
    const options = (db.pool as pg.Pool & { options?: pg.ClientConfig }).options
    if (!options) return
    const client = new pg.Client(options)
    listener = client
    client.on('error', (error) => {
      logger.warn?.('groundwork/rest: schema listener connection lost', error)
      void restart(client)
    })
    client.on('end', () => void restart(client))
    client.on('notification', (message) => {
      const payload = (message.payload ?? '').trim()
      if (payload === '' || payload === 'reload schema') scheduleReload()
    })
    try {
      await client.connect()
      await client.query(`LISTEN ${RELOAD_CHANNEL}`)
      reconnectDelay = 500
    } catch (error) {
      logger.warn?.('groundwork/rest: could not LISTEN for schema changes', error)
      void restart(client)
    }
  }

  const restart = async (client: pg.Client) => {
    if (listener !== client || closed) return
    listener = null
    client.removeAllListeners('end')
    client.end().catch(() => {})
    const delay = reconnectDelay
    reconnectDelay = Math.min(reconnectDelay * 2, 30_000)
    const retry = setTimeout(() => {
      if (closed) return
      void startListening().then(scheduleReload)
    }, delay)
    retry.unref?.()
  }

  return {
    get() {
      if (!current) {
        void startListening()
        return load()
      }
      return current
    },
    reload() {
      return load()
    },
    async close() {
      closed = true
      if (timer) clearTimeout(timer)
      const client = listener
      listener = null
      if (client) {
        client.removeAllListeners('end')
        await client.end().catch(() => {})
      }
      await current?.catch(() => {})
    },
  }
}
