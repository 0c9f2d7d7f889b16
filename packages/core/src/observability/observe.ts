import type { Logger } from '../logger'
import type { ServiceHandler } from '../service'
import type { Metrics } from './metrics'
import { redactText } from './redact'
import { requestIdOf, runInRequest } from './request-context'
import { fallbackRoute, matchedRoute } from './route'
import type { OtelModule } from './tracing'

/** Options of {@link observe}. */
export interface ObserveOptions {
  /** The package name used in metrics, logs and spans (`rest`, `auth`, `webhooks`). */
  service: string
  /** Counts requests and latency by route and status. @default none */
  metrics?: Pick<Metrics, 'recordRequest'> | undefined
  /** Logs one line per request (`structuredLogger(pino())` adds the request id to every line). @default none */
  logger?: Logger | undefined
  /** `await loadOpenTelemetry()`: a server span per request. @default none */
  otel?: OtelModule | null | undefined
}

/**
 * Wraps a package's handler with the observability every Groundwork service shares: a request id
 * (the incoming `X-Request-Id` when sane, else a UUID) on the response and on every log line
 * written while handling it, request metrics by route pattern and status, an OpenTelemetry
 * server span, and an access log line (method, route, status, duration — never headers, query
 * strings or bodies, which carry tokens).
 *
 * @example
 * ```ts
 * app.use('/rest/v1', toNodeHandler(observe(rest.handler, { service: 'rest', metrics, logger })))
 * ```
 */
export function observe(handler: ServiceHandler, options: ObserveOptions): ServiceHandler {
  const { service, metrics, logger } = options
  return async (request) => {
    // Read per request: a host may load @opentelemetry/api after mounting (a getter).
    const otel = options.otel
    const tracer = otel?.trace.getTracer('@groundwork/core')
    const requestId = requestIdOf(request)
    const started = performance.now()
    return runInRequest({ requestId, service }, async () => {
      const span = tracer?.startSpan(`${service} ${request.method}`, {
        kind: otel?.SpanKind.SERVER,
        attributes: {
          'http.request.method': request.method,
          'groundwork.service': service,
          'groundwork.request_id': requestId,
        },
      })
      const run = () => handler(request)
      let response: Response
      try {
        response =
          span && otel
            ? await otel.context.with(otel.trace.setSpan(otel.context.active(), span), run)
            : await run()
      } catch (error) {
        // Handlers answer errors themselves; this is a bug in one, so still answer with the id.
        logger?.error(`${service}: handler threw`, error)
        response = new Response(JSON.stringify({ code: 'INTERNAL_ERROR', message: 'Internal error' }), {
          status: 500,
          headers: { 'content-type': 'application/json' },
        })
      }
      const seconds = (performance.now() - started) / 1000
      const route = matchedRoute(request) ?? fallbackRoute(pathnameOf(request.url))
      metrics?.recordRequest({ service, method: request.method, route, status: response.status, seconds })
      if (span) {
        span.setAttribute('http.route', route)
        span.setAttribute('http.response.status_code', response.status)
        if (response.status >= 500) span.setStatus({ code: otel?.SpanStatusCode.ERROR ?? 2 })
        span.end()
      }
      logger?.[response.status >= 500 ? 'error' : 'info'](
        redactText(`${request.method} ${route} ${response.status} ${Math.round(seconds * 10_000) / 10} ms`),
        {
          method: request.method,
          route,
          status: response.status,
          duration_ms: Math.round(seconds * 10_000) / 10,
        },
      )
      return withRequestId(response, requestId)
    })
  }
}

function withRequestId(response: Response, requestId: string): Response {
  try {
    response.headers.set('X-Request-Id', requestId)
    return response
  } catch {
    // Immutable headers (a fetched Response passed through): copy.
    const headers = new Headers(response.headers)
    headers.set('X-Request-Id', requestId)
    return new Response(response.body, { status: response.status, statusText: response.statusText, headers })
  }
}

/** The path of an absolute URL without parsing it all (`new URL` per request is measurable). */
function pathnameOf(url: string): string {
  const start = url.indexOf('/', url.indexOf('//') + 2)
  if (start === -1) return '/'
  const end = url.slice(start).search(/[?#]/)
  return end === -1 ? url.slice(start) : url.slice(start, start + end)
}
