import pg from 'pg'
import type { MigrationSet } from '../migrations'
import type { ServiceHandler } from '../service'

/** A readiness check: true (or resolves) when ready; false, a throw or a timeout means not ready. */
export type HealthCheck = () => boolean | Promise<boolean>

/** Options of {@link createHealth}. */
export interface HealthOptions {
  /** The database whose reachability is checked, over a dedicated connection (not a pooled one). */
  db: { readonly pool: pg.Pool }
  /** Migration sets that must all be applied (`groundwork.migrations`) for readiness. @default [] */
  migrations?: readonly MigrationSet[]
  /** More named checks: `{ jobs: () => jobs.running, realtime: … }`. @default {} */
  checks?: Record<string, HealthCheck>
  /** Milliseconds each check may take. @default 2000 */
  timeout?: number
  /** Milliseconds after the dedicated connection is lost before it is reopened (not ready meanwhile). @default 1000 */
  reconnectDelay?: number
}

/** What {@link createHealth} returns. */
export interface Health {
  /** `GET /` liveness (the process answers: 200 `{ status: 'ok' }`); `GET /ready` readiness (200 or 503 with each check). */
  readonly handler: ServiceHandler
  /** Runs every readiness check. */
  ready(): Promise<{ ready: boolean; checks: Record<string, { ok: boolean; error?: string }> }>
  /** Closes the dedicated connection. */
  close(): Promise<void>
}

/**
 * Health endpoints a load balancer can poll, for any host: liveness (`GET /`) never touches the
 * database; readiness (`GET /ready`) checks that Postgres answers on a dedicated connection
 * (so a dead or terminated backend is seen at once, not hidden by the pool), that every given
 * migration is applied, and the host's own checks (job runner running, realtime listening).
 * The connection is reopened on the next check after it is lost, so readiness recovers by itself.
 *
 * @example
 * ```ts
 * const health = createHealth({ db, migrations: sets, checks: { jobs: () => jobs.running } })
 * app.use('/health', toNodeHandler(health.handler))   // GET /health, GET /health/ready
 * ```
 */
export function createHealth(options: HealthOptions): Health {
  const timeout = options.timeout ?? 2000
  let client: pg.Client | null = null
  let connecting: Promise<pg.Client> | null = null
  let closed = false
  let lostAt = Number.NEGATIVE_INFINITY
  const reconnectDelay = options.reconnectDelay ?? 1000

  function connect(): Promise<pg.Client> {
    if (Date.now() - lostAt < reconnectDelay) {
      return Promise.reject(new Error('database connection lost; reconnecting'))
    }
    connecting ??= (async () => {
      const config = (options.db.pool as pg.Pool & { options?: pg.ClientConfig }).options ?? {}
      const fresh = new pg.Client({
        ...config,
        application_name: 'groundwork-health',
        connectionTimeoutMillis: timeout,
      })
      const drop = () => {
        if (client === fresh) {
          client = null
          lostAt = Date.now()
        }
      }
      fresh.on('error', drop)
      fresh.on('end', drop)
      try {
        await fresh.connect()
      } catch (error) {
        await fresh.end().catch(() => {})
        throw error
      }
      if (closed) {
        await fresh.end().catch(() => {})
        throw new Error('closed')
      }
      client = fresh
      return fresh
    })().finally(() => {
      connecting = null
    })
    return connecting
  }

  async function query<R extends pg.QueryResultRow>(text: string, values?: unknown[]): Promise<R[]> {
    const current = client ?? (await connect())
    try {
      return (await current.query<R>(text, values)).rows
    } catch (error) {
      // A failed query on the dedicated connection: start over with a new one next time.
      if (client === current) {
        client = null
        lostAt = Date.now()
      }
      current.end().catch(() => {})
      throw error
    }
  }

  async function migrationsCurrent(): Promise<boolean> {
    const sets = options.migrations ?? []
    if (sets.length === 0) return true
    const rows = await query<{ set_name: string; id: number }>(
      "select set_name, id from groundwork.migrations where to_regclass('groundwork.migrations') is not null",
    )
    const applied = new Set(rows.map((row) => `${row.set_name}:${row.id}`))
    const missing = sets.flatMap((set) => set.migrations.filter((m) => !applied.has(`${set.name}:${m.id}`)))
    if (missing.length > 0) throw new Error(`${missing.length} migration(s) not applied`)
    return true
  }

  const checks: Record<string, HealthCheck> = {
    database: async () => (await query('select 1')).length === 1,
    migrations: migrationsCurrent,
    ...options.checks,
  }

  async function runCheck(check: HealthCheck): Promise<{ ok: boolean; error?: string }> {
    let timer: NodeJS.Timeout | undefined
    try {
      const ok = await Promise.race([
        Promise.resolve().then(check),
        new Promise<boolean>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`timed out after ${timeout} ms`)), timeout)
        }),
      ])
      return ok ? { ok: true } : { ok: false, error: 'not ready' }
    } catch (error) {
      return { ok: false, error: error instanceof Error ? error.message.slice(0, 200) : 'failed' }
    } finally {
      clearTimeout(timer)
    }
  }

  async function ready() {
    const names = Object.keys(checks)
    const database = await runCheck(checks.database as HealthCheck)
    const results = await Promise.all(
      names.map(async (name) =>
        name === 'database'
          ? database
          : name === 'migrations' && !database.ok
            ? { ok: false, error: 'database unreachable' }
            : runCheck(checks[name] as HealthCheck),
      ),
    )
    const out = Object.fromEntries(
      names.map((name, i) => [name, results[i] as { ok: boolean; error?: string }]),
    )
    return { ready: results.every((r) => r.ok), checks: out }
  }

  const json = (body: unknown, status: number) =>
    new Response(JSON.stringify(body), {
      status,
      headers: { 'content-type': 'application/json', 'cache-control': 'no-store' },
    })

  return {
    async handler(request) {
      const path = new URL(request.url).pathname.replace(/\/+$/, '')
      if (request.method !== 'GET' && request.method !== 'HEAD') {
        return new Response(null, { status: 405, headers: { allow: 'GET, HEAD' } })
      }
      if (path === '' || path === '/') return json({ status: 'ok' }, 200)
      if (path === '/ready') {
        const result = await ready()
        return json(
          { status: result.ready ? 'ready' : 'not_ready', checks: result.checks },
          result.ready ? 200 : 503,
        )
      }
      return json({ code: 'HTTP_NOT_FOUND', message: 'Not found' }, 404)
    },
    ready,
    async close() {
      closed = true
      const current = client
      client = null
      await current?.end().catch(() => {})
    },
  }
}
