import { GroundworkError, type GroundworkErrorOptions } from '../errors'

/**
 * Status of each error the HTTP kit raises itself. Every package's error code union includes
 * these, and each wire format renders them in its own shape (PostgREST, GoTrue, OAuth, storage).
 */
export const HTTP_ERROR_STATUS = {
  /** A path or route that does not exist. */
  HTTP_NOT_FOUND: 404,
  /** The path exists with other methods; `Allow` lists them. */
  HTTP_METHOD_NOT_ALLOWED: 405,
  /** Malformed percent-encoding, or an encoded `/` where one path segment is expected. */
  HTTP_BAD_PATH: 400,
  /** The body passed the handler's `maxBodyBytes`. */
  HTTP_PAYLOAD_TOO_LARGE: 413,
  /** The body is not valid JSON. */
  HTTP_BAD_JSON: 400,
  /** JSON nested deeper than the handler allows. */
  HTTP_JSON_TOO_DEEP: 400,
  /** The body is not valid UTF-8. */
  HTTP_INVALID_UTF8: 400,
  /** The body is valid JSON but not what the endpoint takes (zod validation). */
  HTTP_INVALID_BODY: 400,
  /** A `Content-Type` the endpoint does not read. */
  HTTP_UNSUPPORTED_MEDIA_TYPE: 415,
  /** A request header longer than the handler parses. */
  HTTP_HEADER_TOO_LARGE: 431,
} as const

/** A code of {@link HTTP_ERROR_STATUS}. */
export type HttpErrorCode = keyof typeof HTTP_ERROR_STATUS

/** An error raised by the HTTP kit (routing, body reading, validation), before a package's own code runs. */
export class HttpError extends GroundworkError<HttpErrorCode> {
  override readonly name = 'HttpError'

  constructor(code: HttpErrorCode, message: string, options: Omit<GroundworkErrorOptions, 'status'> = {}) {
    super(code, message, { ...options, status: HTTP_ERROR_STATUS[code] })
  }
}

/** True for the kit's own errors (formats map them onto their protocol's codes). */
export function isHttpError(error: unknown): error is HttpError {
  return (
    error instanceof GroundworkError &&
    typeof error.code === 'string' &&
    Object.hasOwn(HTTP_ERROR_STATUS, error.code)
  )
}
