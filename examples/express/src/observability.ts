import {
  migrations as coreMigrations,
  createHealth,
  type Database,
  type GroundworkService,
  loadOpenTelemetry,
  type Metrics,
  type OtelModule,
  observe,
  type ServiceHandler,
  traceSql,
} from '@groundwork/core'
import { toNodeHandler } from '@groundwork/core/node'
import type { Jobs } from '@groundwork/jobs'
import type { Realtime } from '@groundwork/realtime'
import type { Express } from 'express'

/** What {@link observability} returns: the handler wrapper, and `close` for shutdown. */
export interface Watch {
  (handler: ServiceHandler, service: string): ServiceHandler
  close(): Promise<void>
}

/**
 * The demo's observability (docs/observability.md): `GET /health/ready` (database on its own
 * connection, every migration applied, the jobs runner running, realtime's LISTEN connection
 * open), `GET /metrics` (Prometheus), and `watch(handler, name)` wrapping each mounted handler
 * with `observe` (X-Request-Id, request metrics, an OpenTelemetry span when the host registered an
 * SDK). The existing `GET /health` route keeps its contract and is registered before this.
 */
export function observability(settings: {
  app: Express
  db: Database
  metrics: Metrics
  jobs: Jobs
  realtime: Realtime
  services: readonly GroundworkService[]
}): Watch {
  const { app, db, metrics, jobs, realtime } = settings
  metrics.watchDatabase(db)
  metrics.watchRealtime(realtime.api)
  metrics.watchJobs(jobs.events as never)
  // @opentelemetry/api is optional: found, spans are opened (no-ops until an SDK is registered).
  let otel: OtelModule | null = null
  void loadOpenTelemetry().then((loaded) => {
    otel = loaded
    if (loaded) traceSql(db.pool as never, loaded)
  })
  const health = createHealth({
    db,
    migrations: [coreMigrations, ...settings.services.map((service) => service.migrations)],
    checks: {
      jobs: () => jobs.running,
      // Realtime's dedicated LISTEN session (same login role, so its row is visible).
      realtime: async () => {
        const { rows } = await db.query<{ listening: boolean }>(
          `select exists (select 1 from pg_stat_activity where datname = current_database()
             and pid <> pg_backend_pid() and query ilike 'listen%') as listening`,
        )
        return rows[0]?.listening === true
      },
    },
  })
  app.get(
    '/health/ready',
    toNodeHandler((request) => health.handler(rewrite(request, '/ready'))),
  )
  app.get('/metrics', toNodeHandler(metrics.handler))
  const watch = ((handler: ServiceHandler, service: string) =>
    observe(handler, {
      service,
      metrics,
      get otel() {
        return otel
      },
    })) as Watch
  watch.close = () => health.close()
  return watch
}

function rewrite(request: Request, path: string): Request {
  const url = new URL(request.url)
  url.pathname = path
  return new Request(url, request)
}
