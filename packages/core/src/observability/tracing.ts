import type * as OtelApi from '@opentelemetry/api'

/** The part of `@opentelemetry/api` Groundwork uses. */
export type OtelModule = Pick<typeof OtelApi, 'trace' | 'context' | 'SpanKind' | 'SpanStatusCode'>

/**
 * `@opentelemetry/api` when the host has it installed (it is an optional peer: no SDK is
 * bundled; without a registered SDK its tracer is a no-op), else null.
 *
 * @see https://opentelemetry.io/docs/languages/js/instrumentation/
 */
export async function loadOpenTelemetry(): Promise<OtelModule | null> {
  try {
    const loaded = (await import('@opentelemetry/api')) as unknown as OtelModule & { default?: OtelModule }
    return loaded.trace ? loaded : (loaded.default ?? null)
  } catch {
    return null
  }
}

interface QueryablePool {
  query: (...args: never[]) => unknown
  on(event: 'connect', listener: (client: { query: (...args: never[]) => unknown }) => void): unknown
}

const TRACED = Symbol.for('groundwork.traced')

/**
 * Wraps a `pg.Pool`'s queries (and those of every client it connects) in `db.query` spans with
 * the statement's first 200 characters (`db.statement`, parameters never recorded), children
 * of the active span — so SQL shows under the request span `observe` opened.
 *
 * @see https://opentelemetry.io/docs/specs/semconv/database/database-spans/
 */
export function traceSql(pool: QueryablePool, otel: OtelModule, tracerName = '@groundwork/core'): void {
  const tracer = otel.trace.getTracer(tracerName)
  const wrap = (target: { query: (...args: never[]) => unknown }) => {
    const flagged = target as unknown as Record<symbol, boolean>
    if (flagged[TRACED]) return
    flagged[TRACED] = true
    const original = target.query.bind(target) as (...args: unknown[]) => unknown
    ;(target as { query: unknown }).query = (...args: unknown[]) => {
      const first = args[0] as string | { text?: string; submit?: unknown } | undefined
      // Submittables (cursors, pipelined queries) and callback-style calls pass through untouched.
      if (
        (first && typeof first === 'object' && 'submit' in first) ||
        typeof args[args.length - 1] === 'function'
      ) {
        return original(...args)
      }
      const text = typeof first === 'string' ? first : (first?.text ?? '')
      const span = tracer.startSpan('db.query', {
        kind: otel.SpanKind.CLIENT,
        attributes: { 'db.system': 'postgresql', 'db.statement': text.slice(0, 200) },
      })
      const result = original(...args) as Promise<unknown>
      return result.then(
        (value) => {
          span.end()
          return value
        },
        (error: unknown) => {
          span.setStatus({ code: otel.SpanStatusCode.ERROR, message: (error as Error)?.message })
          span.end()
          throw error
        },
      )
    }
  }
  wrap(pool)
  pool.on('connect', (client) => wrap(client))
}
