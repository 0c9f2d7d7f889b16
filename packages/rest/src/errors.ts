import { GroundworkError, isGroundworkError } from '@groundwork/core'
import { type HttpError, type HttpErrorCode, isHttpError } from '@groundwork/core/kit'

/**
 * PostgREST's own error codes (`PGRSTgxx`) and the HTTP status each answers with.
 *
 * @see https://docs.postgrest.org/en/v14/references/errors.html#postgrest-error-codes
 */
export const PGRST_STATUS = {
  PGRST000: 503,
  PGRST001: 503,
  PGRST002: 503,
  PGRST003: 504,
  PGRST100: 400,
  PGRST101: 405,
  PGRST102: 400,
  PGRST103: 416,
  PGRST105: 405,
  PGRST106: 406,
  /** 415 for a bad `Content-Type`; 406 when no `Accept`ed media type can be produced. */
  PGRST107: 415,
  PGRST108: 400,
  PGRST111: 500,
  PGRST112: 500,
  PGRST114: 400,
  PGRST115: 400,
  PGRST116: 406,
  PGRST117: 405,
  PGRST118: 400,
  PGRST119: 400,
  PGRST120: 400,
  PGRST121: 500,
  PGRST122: 400,
  PGRST123: 400,
  PGRST124: 400,
  PGRST125: 404,
  PGRST126: 404,
  PGRST127: 400,
  PGRST128: 400,
  PGRST200: 400,
  PGRST201: 300,
  PGRST202: 404,
  PGRST203: 300,
  PGRST204: 400,
  PGRST205: 404,
  PGRST301: 401,
  PGRST302: 401,
  PGRST303: 401,
  PGRSTX00: 500,
} as const

/** A PostgREST error code. */
export type PgrstCode = keyof typeof PGRST_STATUS

/** The JSON body every error answers with, exactly PostgREST's shape. */
export interface PostgrestErrorBody {
  code: string
  /** Text, or (PGRST201, PGRST203) a JSON array describing the candidates. */
  details: unknown
  hint: string | null
  message: string
}

/**
 * An error rendered as PostgREST's `{code, details, hint, message}`. `code` is the PGRST code (or
 * a SQLSTATE for database errors); `status` the HTTP status; `headers` extra response headers
 * (`WWW-Authenticate`, headers raised with `RAISE SQLSTATE 'PGRST'`).
 */
/**
 * A code `RestError` carries: a PostgREST `PGRST…` code, or the SQLSTATE of a database error
 * (`23505`, `42501`, `P0001`…), as PostgREST answers them.
 */
export type RestErrorCode = PgrstCode | (string & { readonly sqlState?: never })

export class RestError extends GroundworkError<RestErrorCode> {
  override readonly name = 'RestError'
  override readonly headers: Record<string, string>

  constructor(
    code: string,
    message: string,
    options: {
      status?: number
      details?: unknown
      hint?: string | null
      headers?: Record<string, string>
      cause?: unknown
    } = {},
  ) {
    super(code, message, {
      status: options.status ?? PGRST_STATUS[code as PgrstCode] ?? 400,
      ...(options.details != null ? { details: options.details } : {}),
      ...(options.hint != null ? { hint: options.hint } : {}),
      ...(options.cause !== undefined ? { cause: options.cause } : {}),
    })
    this.headers = options.headers ?? {}
  }

  /** The wire body. */
  toJSON(): PostgrestErrorBody {
    return {
      code: this.code,
      details: this.details ?? null,
      hint: this.hint ?? null,
      message: this.message,
    }
  }
}

/** Creates a PostgREST error with the status its code implies. */
export function pgrstError(
  code: PgrstCode,
  message: string,
  details: string | null = null,
  hint: string | null = null,
  status?: number,
): RestError {
  return new RestError(code, message, { details, hint, ...(status !== undefined ? { status } : {}) })
}

/** A query-string parse error (PGRST100), as PostgREST words it. */
export function parseError(message: string, details: string | null = null): RestError {
  return new RestError('PGRST100', `"failed to parse ${message}"`, { details })
}

/**
 * The HTTP status for a PostgreSQL SQLSTATE, per PostgREST's table. `42501` (insufficient
 * privilege) is 401 for the anonymous role and 403 otherwise.
 *
 * @see https://docs.postgrest.org/en/v14/references/errors.html#http-status-codes
 */
export function sqlStateStatus(sqlState: string, anonymous: boolean, message = ''): number {
  switch (sqlState) {
    case '23503':
    case '23505':
      return 409
    case '25006':
      return 405
    case '22023':
      // SET ROLE to a role that does not exist: the token's role is wrong.
      return message.startsWith('role') && message.endsWith('does not exist') ? 401 : 400
    case '53400':
      return 500
    case '57P01':
      return 503
    case 'P0001':
      return 400
    case '42883':
      return message.startsWith('function xmlagg(') ? 406 : 404
    case '42P01':
      return 404
    case '42P17':
      return 500
    case '42501':
      return anonymous ? 401 : 403
  }
  const klass = sqlState.slice(0, 2)
  switch (klass) {
    case '08':
    case '53':
      return 503
    case '0L':
    case '0P':
    case '28':
      return 403
    case '09':
    case '25':
    case '2D':
    case '38':
    case '39':
    case '3B':
    case '40':
    case '54':
    case '55':
    case '57':
    case '58':
    case 'F0':
    case 'HV':
    case 'P0':
    case 'XX':
      return 500
  }
  // RAISE SQLSTATE 'PT402' answers 402; a PT code that is not a status is a server error.
  if (sqlState.startsWith('PT')) {
    const status = Number(sqlState.slice(2))
    return /^PT\d{3}$/.test(sqlState) && status >= 100 && status <= 599 ? status : 500
  }
  return 400
}

interface PgDatabaseError {
  code: string
  message: string
  detail?: string
  hint?: string
}

function isDatabaseError(error: unknown): error is PgDatabaseError {
  return (
    error instanceof Error &&
    typeof (error as { code?: unknown }).code === 'string' &&
    (error as { name?: string }).name === 'error' &&
    'severity' in error
  )
}

/**
 * An error thrown by `authenticate` itself. A refused credential (a `GroundworkError`) maps as
 * usual (PGRST301/PGRST303); anything else — a failed session lookup, a bug — is the
 * authenticator's failure, not the request's SQL: never forwarded with its SQLSTATE (it would leak
 * internal names to an unauthenticated caller), but a 503 for a lost database and an opaque 500
 * otherwise, both reported to `onError`.
 */
export function authenticationError(error: unknown, onError?: (error: unknown) => void): RestError {
  if (isGroundworkError(error)) return toRestError(error, true, onError)
  onError?.(error)
  return (
    connectionError(error) ??
    new RestError('PGRSTX00', 'Internal server error', { status: 500, cause: error })
  )
}

/**
 * Converts anything thrown during a request into a {@link RestError}: Postgres errors keep their
 * SQLSTATE, message, detail and hint (as PostgREST forwards them); `RAISE SQLSTATE 'PGRST'` errors
 * use the JSON in their message/detail; anything unknown becomes an opaque 500 (`onError` sees it).
 */
export function toRestError(
  error: unknown,
  anonymous: boolean,
  onError?: (error: unknown) => void,
): RestError {
  if (error instanceof RestError) return error
  if (isHttpError(error)) return fromHttpError(error)
  if (isDatabaseError(error)) {
    if (error.code === 'PGRST') return raisedPgrstError(error)
    const status = sqlStateStatus(error.code, anonymous, error.message)
    const headers: Record<string, string> =
      error.code === '42501' && anonymous ? { 'WWW-Authenticate': 'Bearer' } : {}
    if (status >= 500 && !/^PT\d{3}$/.test(error.code)) onError?.(error)
    return new RestError(error.code, error.message, {
      status,
      details: error.detail ?? null,
      hint: error.hint ?? null,
      headers,
    })
  }
  const connection = connectionError(error)
  if (connection) {
    onError?.(error)
    return connection
  }
  if (isGroundworkError(error)) {
    // A credential refused by `authenticate` (core's CORE_JWT_*, auth's bad_jwt / session_not_found,
    // or any authenticator's 401) → PostgREST's PGRST303 (expired) / PGRST301, with WWW-Authenticate.
    if (error.code === 'CORE_JWT_INVALID' || error.code === 'CORE_JWT_EXPIRED' || error.status === 401) {
      return new RestError(isExpired(error) ? 'PGRST303' : 'PGRST301', error.message, {
        status: 401,
        headers: {
          'WWW-Authenticate': `Bearer error="invalid_token", error_description="${headerSafe(error.message)}"`,
        },
      })
    }
    if (error.status < 500) {
      return new RestError(error.code, error.message, {
        status: error.status,
        details: typeof error.details === 'string' ? error.details : null,
        hint: error.hint ?? null,
        headers: error.headers ?? {},
      })
    }
  }
  onError?.(error)
  return new RestError('PGRSTX00', 'Internal server error', { status: 500, cause: error })
}

/** Text for a quoted header parameter: `"` becomes `'`, control characters (CR, LF…) a space. */
function headerSafe(text: string): string {
  let safe = ''
  for (const char of text) {
    const code = char.charCodeAt(0)
    safe += char === '"' ? "'" : code < 0x20 || code === 0x7f ? ' ' : char
  }
  return safe
}

/** Whether the error, or one of its causes, says the JWT has expired (core's or jose's code). */
function isExpired(error: unknown): boolean {
  for (let current = error, depth = 0; current && depth < 5; depth++) {
    const code = (current as { code?: unknown }).code
    if (code === 'CORE_JWT_EXPIRED' || code === 'ERR_JWT_EXPIRED') return true
    current = (current as { cause?: unknown }).cause
  }
  return false
}

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EPIPE',
  'EHOSTUNREACH',
])

/**
 * Database unreachable → 503 PGRST001 (PostgREST's "could not connect"), pool checkout timeout →
 * 504 PGRST003, so clients (postgrest-js retries 503) and load balancers see an outage, not a bug.
 */
function connectionError(error: unknown): RestError | null {
  if (!(error instanceof Error)) return null
  const code = (error as { code?: unknown }).code
  if (/timeout exceeded when trying to connect/i.test(error.message)) {
    return new RestError('PGRST003', 'Timed out acquiring connection from connection pool.', { status: 504 })
  }
  if (
    (typeof code === 'string' && NETWORK_CODES.has(code)) ||
    /Connection terminated|Client has encountered a connection error/i.test(error.message)
  ) {
    return new RestError('PGRST001', 'Database client error. Retrying the connection.', {
      status: 503,
      headers: { 'Retry-After': '0' },
    })
  }
  return null
}

/**
 * `RAISE SQLSTATE 'PGRST' USING message = '{json}', detail = '{"status":…,"headers":{…}}'`: the
 * message must be an object with `code` and `message`, the detail one with `status` and `headers`
 * (and an optional `status_text`); anything else is 500 PGRST121 saying which part is wrong, as
 * PostgREST words it.
 *
 * @see https://docs.postgrest.org/en/v14/references/errors.html#raise-errors-with-http-status-codes
 */
function raisedPgrstError(error: PgDatabaseError): RestError {
  const body = parseObject(error.message)
  if (!body || typeof body.code !== 'string' || typeof body.message !== 'string') {
    return raiseParseError(
      `Invalid JSON value for MESSAGE: '${error.message}'`,
      "MESSAGE must be a JSON object with obligatory keys: 'code', 'message' and optional keys: 'details', 'hint'.",
    )
  }
  if (error.detail === undefined || error.detail === null) {
    return raiseParseError('DETAIL is missing in the RAISE statement', RAISE_DETAIL_HINT)
  }
  const extra = parseObject(error.detail)
  const status = extra?.status
  const headers = extra?.headers
  if (
    !extra ||
    typeof status !== 'number' ||
    !Number.isInteger(status) ||
    typeof headers !== 'object' ||
    headers === null ||
    Array.isArray(headers)
  ) {
    return raiseParseError(`Invalid JSON value for DETAIL: '${error.detail}'`, RAISE_DETAIL_HINT)
  }
  return new RestError(body.code, body.message, {
    status,
    details: typeof body.details === 'string' ? body.details : null,
    hint: typeof body.hint === 'string' ? body.hint : null,
    // Only what HTTP allows in a header (a token name, a value without control characters).
    headers: Object.fromEntries(
      Object.entries(headers)
        .map(([k, v]): [string, string] => [k, String(v)])
        .filter(([k, v]) => /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(k) && !hasControlCharacter(v)),
    ),
  })
}

function hasControlCharacter(text: string): boolean {
  for (const char of text) {
    const code = char.charCodeAt(0)
    if ((code < 0x20 && code !== 0x09) || code === 0x7f) return true
  }
  return false
}

const RAISE_DETAIL_HINT =
  "DETAIL must be a JSON object with obligatory keys: 'status', 'headers' and optional key: 'status_text'."

function raiseParseError(details: string, hint: string): RestError {
  return pgrstError('PGRST121', 'Could not parse JSON in the "RAISE SQLSTATE \'PGRST\'" error', details, hint)
}

function parseObject(text: string): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(text)
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : null
  } catch {
    return null
  }
}

/**
 * The HTTP kit's errors in PostgREST's vocabulary. PostgREST has no body limit of its own (it sits
 * behind a proxy), so an oversize body keeps the 413 status with PGRST102 ("invalid request body").
 */
const HTTP_TO_PGRST: Record<HttpErrorCode, PgrstCode> = {
  HTTP_NOT_FOUND: 'PGRST125',
  HTTP_METHOD_NOT_ALLOWED: 'PGRST117',
  HTTP_BAD_PATH: 'PGRST125',
  HTTP_PAYLOAD_TOO_LARGE: 'PGRST102',
  HTTP_BAD_JSON: 'PGRST102',
  HTTP_JSON_TOO_DEEP: 'PGRST102',
  HTTP_INVALID_UTF8: 'PGRST102',
  HTTP_INVALID_BODY: 'PGRST102',
  HTTP_UNSUPPORTED_MEDIA_TYPE: 'PGRST107',
  HTTP_HEADER_TOO_LARGE: 'PGRST100',
}

function fromHttpError(error: HttpError): RestError {
  return new RestError(HTTP_TO_PGRST[error.code], error.message, {
    status: error.status,
    headers: error.headers ?? {},
    cause: error,
  })
}
