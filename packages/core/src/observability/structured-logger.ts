import type { Logger } from '../logger'
import { redact, redactText } from './redact'
import { currentRequest } from './request-context'

/** The part of a pino logger (or anything shaped like it) Groundwork writes to. */
export interface PinoLike {
  debug(object: object, message?: string): void
  info(object: object, message?: string): void
  warn(object: object, message?: string): void
  error(object: object, message?: string): void
}

/**
 * Adapts a pino-compatible logger to core's `Logger` (`db.logger`, every package's `logger`
 * option): each line is an object carrying `request_id` and `service` of the request being
 * handled (from `observe`), the message and its arguments with secrets and tokens redacted.
 *
 * @example
 * ```ts
 * import pino from 'pino'
 * const logger = structuredLogger(pino())
 * const db = createDatabase({ connectionString, logger })
 * ```
 * @see https://getpino.io/#/docs/api?id=logging-method-parameters
 */
export function structuredLogger(target: PinoLike): Logger {
  const write =
    (level: keyof PinoLike) =>
    (message: string, ...args: unknown[]) => {
      const scope = currentRequest()
      const fields: Record<string, unknown> = {}
      if (scope) {
        fields.request_id = scope.requestId
        fields.service = scope.service
      }
      const error = args.find((arg) => arg instanceof Error)
      if (error) fields.err = redact(error)
      const rest = args.filter((arg) => arg !== error)
      if (rest.length === 1 && typeof rest[0] === 'object' && rest[0] !== null)
        Object.assign(fields, redact(rest[0]))
      else if (rest.length > 0) fields.args = redact(rest)
      target[level](fields, redactText(String(message)))
    }
  return { debug: write('debug'), info: write('info'), warn: write('warn'), error: write('error') }
}
