import type * as PromClient from 'prom-client'
import { ConfigError } from '../errors'
import type { ServiceHandler } from '../service'

/** The database pool a {@link Metrics} watches (a core `Database` fits). */
interface PoolOwner {
  readonly pool: { totalCount: number; idleCount: number; waitingCount: number }
  query(text: string, values?: unknown[]): Promise<{ rows: Record<string, unknown>[] }>
}

/** What a {@link Metrics} reads from a realtime service (`realtime.api` fits). */
interface RealtimeStatsSource {
  stats(): { connections: number; delivered: number }
}

/** graphile-worker's event emitter (`jobs.events`), as far as metrics listen to it. */
interface JobEventsSource {
  on(
    event: string,
    listener: (payload: {
      job: { task_identifier: string; run_at?: Date; created_at?: Date }
      error?: unknown
    }) => void,
  ): unknown
}

/** Options of {@link createMetrics}. */
export interface MetricsOptions {
  /** prom-client's module (`import * as client from 'prom-client'`): an optional peer dependency, installed by hosts that want metrics. Required. */
  client: typeof PromClient
  /** The registry to register on. @default a new one */
  registry?: PromClient.Registry
  /** Metric name prefix. @default 'groundwork_' */
  prefix?: string
  /** Also collect Node's default metrics (CPU, memory, event loop lag, GC). @default true */
  defaultMetrics?: boolean
  /** Histogram buckets (seconds) of request latency. @default [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] */
  buckets?: number[]
}

/** A request as {@link Metrics.recordRequest} counts it. */
export interface RequestSample {
  /** The package (`rest`, `auth`, `webhooks`). */
  service: string
  method: string
  /** The route pattern (`/:id/deliveries`), never the raw path (bounded cardinality). */
  route: string
  status: number
  seconds: number
}

/**
 * Prometheus metrics for every Groundwork package, through `prom-client`: HTTP requests and
 * latency per package, route and status (recorded by `observe`), rate-limit refusals, pool
 * usage, realtime subscribers and deliveries, jobs queued/running/failed and their latency, mail
 * and push outcomes, webhook deliveries and failures. `handler` serves the text exposition format
 * (mount it at `/metrics`).
 *
 * @see https://prometheus.io/docs/instrumenting/exposition_formats/
 */
export interface Metrics {
  /** The prom-client registry (add your own metrics to it). */
  readonly registry: PromClient.Registry
  /** `GET` → the exposition text (`text/plain; version=0.0.4`). */
  readonly handler: ServiceHandler
  /** Counts a handled request (called by `observe`). */
  recordRequest(sample: RequestSample): void
  /** Counts one webhook delivery attempt (called by `@groundwork/webhooks`). */
  recordWebhookDelivery(outcome: 'delivered' | 'retry' | 'failed' | 'gone', seconds: number): void
  /** Samples a database's pool at each scrape, and the queue tables of jobs, mail, push and webhooks. */
  watchDatabase(db: PoolOwner, name?: string): void
  /** Samples a realtime service's subscribers and deliveries at each scrape. */
  watchRealtime(realtime: RealtimeStatsSource): void
  /** Counts job outcomes and latency from a jobs runner's events (`jobs.events`); mail sends are the `mail:` tasks. */
  watchJobs(events: JobEventsSource): void
  /** The exposition text. */
  render(): Promise<string>
}

const DEFAULT_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

/**
 * Creates the {@link Metrics} on prom-client, an optional peer dependency the host installs
 * (`pnpm add prom-client`) and passes in, so nothing is loaded unless metrics are wanted.
 *
 * @example
 * ```ts
 * import * as client from 'prom-client'
 * const metrics = createMetrics({ client })
 * metrics.watchDatabase(db)
 * app.use('/rest/v1', toNodeHandler(observe(rest.handler, { service: 'rest', metrics, logger })))
 * app.use('/metrics', toNodeHandler(metrics.handler))
 * ```
 */
export function createMetrics(options: MetricsOptions): Metrics {
  const client = options?.client
  if (!client || typeof client.Registry !== 'function') {
    throw new ConfigError(
      'createMetrics.client',
      "must be prom-client's module: `import * as client from 'prom-client'` (pnpm add prom-client)",
    )
  }
  const prefix = options.prefix ?? 'groundwork_'
  const registry = options.registry ?? new client.Registry()
  if (options.defaultMetrics ?? true) client.collectDefaultMetrics({ register: registry, prefix })
  const registers = [registry]

  const requests = new client.Counter({
    name: `${prefix}http_requests_total`,
    help: 'HTTP requests handled, per package, method, route and status.',
    labelNames: ['service', 'method', 'route', 'status'] as const,
    registers,
  })
  const latency = new client.Histogram({
    name: `${prefix}http_request_duration_seconds`,
    help: 'HTTP request latency (to the response head), per package, method, route and status.',
    labelNames: ['service', 'method', 'route', 'status'] as const,
    buckets: options.buckets ?? DEFAULT_BUCKETS,
    registers,
  })
  const refusals = new client.Counter({
    name: `${prefix}rate_limit_refusals_total`,
    help: 'Requests refused with 429 Too Many Requests, per package.',
    labelNames: ['service'] as const,
    registers,
  })
  const webhookDeliveries = new client.Counter({
    name: `${prefix}webhook_delivery_attempts_total`,
    help: 'Webhook delivery attempts by outcome (delivered, retry, failed: schedule exhausted, gone: 410 disabled the endpoint).',
    labelNames: ['outcome'] as const,
    registers,
  })
  const webhookLatency = new client.Histogram({
    name: `${prefix}webhook_delivery_duration_seconds`,
    help: 'Webhook delivery attempt latency (request to response end).',
    buckets: DEFAULT_BUCKETS,
    registers,
  })
  const jobOutcomes = new client.Counter({
    name: `${prefix}jobs_completed_total`,
    help: 'Job attempts finished on this instance, per task and outcome (success, error: will retry, failed: permanently).',
    labelNames: ['task', 'outcome'] as const,
    registers,
  })
  const jobLatency = new client.Histogram({
    name: `${prefix}job_latency_seconds`,
    help: 'Time from a job becoming due (run_at) to its start, per task.',
    labelNames: ['task'] as const,
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
    registers,
  })
  const mailSends = new client.Counter({
    name: `${prefix}mail_sends_total`,
    help: 'Mail send attempts on this instance by outcome (the mail:* tasks).',
    labelNames: ['outcome'] as const,
    registers,
  })

  const pools: { db: PoolOwner; name: string }[] = []
  new client.Gauge({
    name: `${prefix}db_pool_connections`,
    help: 'Database pool connections by state (total, idle, waiting: clients queued for a connection).',
    labelNames: ['pool', 'state'] as const,
    registers,
    collect() {
      this.reset()
      for (const { db, name } of pools) {
        this.set({ pool: name, state: 'total' }, db.pool.totalCount)
        this.set({ pool: name, state: 'idle' }, db.pool.idleCount)
        this.set({ pool: name, state: 'waiting' }, db.pool.waitingCount)
      }
    },
  })

  // Queue tables, read at scrape time (one round trip per watched database; missing schemas skipped).
  const QUEUES_SQL = `select 'jobs' as kind, case when locked_at is not null then 'running'
         when attempts >= max_attempts then 'failed' else 'queued' end as state, count(*)::int as n
       from graphile_worker.jobs where to_regclass('graphile_worker.jobs') is not null group by 2`
  const queueSql = async (db: PoolOwner) => {
    const { rows } = await db.query(
      `select
         (select to_regclass('graphile_worker._private_jobs') is not null) as jobs,
         (select to_regclass('push.deliveries') is not null) as push,
         (select to_regclass('webhooks.deliveries') is not null) as webhooks`,
    )
    const present = rows[0] ?? {}
    const parts: string[] = []
    if (present.jobs) parts.push(QUEUES_SQL)
    if (present.push) parts.push(`select 'push', status, count(*)::int from push.deliveries group by status`)
    if (present.webhooks)
      parts.push(`select 'webhooks', status, count(*)::int from webhooks.deliveries group by status`)
    if (parts.length === 0) return []
    return (await db.query(parts.join(' union all '))).rows as { kind: string; state: string; n: number }[]
  }
  let queues: { kind: string; state: string; n: number }[] = []
  new client.Gauge({
    name: `${prefix}jobs`,
    help: 'Jobs in the queue by state (queued, running, failed permanently).',
    labelNames: ['state'] as const,
    registers,
    async collect() {
      queues = []
      for (const { db } of pools) queues.push(...(await queueSql(db).catch(() => [])))
      this.reset()
      for (const q of queues.filter((q) => q.kind === 'jobs')) this.inc({ state: q.state }, q.n)
    },
  })
  new client.Gauge({
    name: `${prefix}push_deliveries`,
    help: 'Push deliveries by status (pending, sent, failed, pruned).',
    labelNames: ['status'] as const,
    registers,
    collect() {
      this.reset()
      for (const q of queues.filter((q) => q.kind === 'push')) this.inc({ status: q.state }, q.n)
    },
  })
  new client.Gauge({
    name: `${prefix}webhook_deliveries`,
    help: 'Webhook deliveries in the outbox by status (pending, sending, delivered, failed).',
    labelNames: ['status'] as const,
    registers,
    collect() {
      this.reset()
      for (const q of queues.filter((q) => q.kind === 'webhooks')) this.inc({ status: q.state }, q.n)
    },
  })

  const realtimes: RealtimeStatsSource[] = []
  new client.Gauge({
    name: `${prefix}realtime_subscribers`,
    help: 'Open realtime streams on this instance.',
    registers,
    collect() {
      this.set(realtimes.reduce((sum, r) => sum + r.stats().connections, 0))
    },
  })
  new client.Gauge({
    name: `${prefix}realtime_delivered_events`,
    help: 'Change events written to realtime streams since start (a counter sampled at scrape).',
    registers,
    collect() {
      this.set(realtimes.reduce((sum, r) => sum + r.stats().delivered, 0))
    },
  })

  const requestChildren = new Map<
    string,
    { count: PromClient.Counter.Internal; latency: PromClient.Histogram.Internal<string> }
  >()
  const text = async () => registry.metrics()
  return {
    registry,
    handler: async (request) => {
      if (request.method !== 'GET' && request.method !== 'HEAD') {
        return new Response(null, { status: 405, headers: { allow: 'GET, HEAD' } })
      }
      const body = await text()
      return new Response(request.method === 'HEAD' ? null : body, {
        headers: { 'content-type': registry.contentType, 'cache-control': 'no-store' },
      })
    },
    recordRequest(sample) {
      // Children cached per label set: prom-client hashes a labels object on every call otherwise.
      const key = `${sample.service}\u0000${sample.method}\u0000${sample.route}\u0000${sample.status}`
      let child = requestChildren.get(key)
      if (!child) {
        const labels = {
          service: sample.service,
          method: sample.method,
          route: sample.route,
          status: String(sample.status),
        }
        child = { count: requests.labels(labels), latency: latency.labels(labels) }
        requestChildren.set(key, child)
      }
      child.count.inc()
      child.latency.observe(sample.seconds)
      if (sample.status === 429) refusals.inc({ service: sample.service })
    },
    recordWebhookDelivery(outcome, seconds) {
      webhookDeliveries.inc({ outcome })
      webhookLatency.observe(seconds)
    },
    watchDatabase(db, name = 'main') {
      pools.push({ db, name })
    },
    watchRealtime(realtime) {
      realtimes.push(realtime)
    },
    watchJobs(events) {
      const outcome = (kind: string) => (payload: { job: { task_identifier: string } }) => {
        const task = payload.job.task_identifier
        jobOutcomes.inc({ task, outcome: kind })
        if (task.startsWith('mail:')) mailSends.inc({ outcome: kind })
      }
      events.on('job:success', outcome('success'))
      events.on('job:error', outcome('error'))
      events.on('job:failed', outcome('failed'))
      events.on('job:start', ({ job }) => {
        if (job.run_at)
          jobLatency.observe(
            { task: job.task_identifier },
            Math.max(0, (Date.now() - job.run_at.getTime()) / 1000),
          )
      })
    },
    render: text,
  }
}
