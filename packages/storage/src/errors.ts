import { GroundworkError, type GroundworkErrorOptions } from '@groundwork/core'
import { HTTP_ERROR_STATUS, type HttpErrorCode } from '@groundwork/core/kit'

/**
 * The stable error codes of `@groundwork/storage`, each with its HTTP status and the names Supabase
 * Storage answers with (`code`, and the legacy `error` string), so one table decides the status,
 * the Groundwork code a `switch` narrows, and the wire body storage-js reads.
 *
 * @see https://github.com/supabase/storage/blob/master/src/internal/errors/codes.ts
 */
export const STORAGE_ERRORS = {
  STORAGE_NO_SUCH_BUCKET: { status: 404, code: 'NoSuchBucket', error: 'Bucket not found' },
  STORAGE_NO_SUCH_KEY: { status: 404, code: 'NoSuchKey', error: 'not_found' },
  STORAGE_NO_SUCH_UPLOAD: { status: 404, code: 'NoSuchUpload', error: 'NoSuchUpload' },
  STORAGE_BUCKET_EXISTS: { status: 409, code: 'BucketAlreadyExists', error: 'Duplicate' },
  STORAGE_KEY_EXISTS: { status: 409, code: 'KeyAlreadyExists', error: 'Duplicate' },
  STORAGE_BUCKET_NOT_EMPTY: { status: 409, code: 'ResourceNotEmpty', error: 'ResourceNotEmpty' },
  STORAGE_INVALID_BUCKET_NAME: { status: 400, code: 'InvalidBucketName', error: 'Invalid Input' },
  STORAGE_INVALID_KEY: { status: 400, code: 'InvalidKey', error: 'InvalidKey' },
  STORAGE_INVALID_REQUEST: { status: 400, code: 'InvalidRequest', error: 'InvalidRequest' },
  STORAGE_INVALID_PARAMETER: { status: 400, code: 'InvalidParameter', error: 'InvalidParameter' },
  STORAGE_MISSING_PARAMETER: { status: 400, code: 'MissingParameter', error: 'MissingParameter' },
  STORAGE_INVALID_JWT: { status: 400, code: 'InvalidJWT', error: 'InvalidJWT' },
  STORAGE_INVALID_SIGNATURE: { status: 400, code: 'InvalidSignature', error: 'InvalidSignature' },
  STORAGE_EXPIRED_TOKEN: { status: 400, code: 'ExpiredToken', error: 'ExpiredToken' },
  /** Row-level security (or a scope) refused the operation. */
  STORAGE_ACCESS_DENIED: { status: 403, code: 'AccessDenied', error: 'Unauthorized' },
  STORAGE_ENTITY_TOO_LARGE: { status: 413, code: 'EntityTooLarge', error: 'Payload too large' },
  STORAGE_INVALID_MIME_TYPE: { status: 415, code: 'InvalidMimeType', error: 'invalid_mime_type' },
  STORAGE_INVALID_RANGE: { status: 416, code: 'InvalidRange', error: 'invalid_range' },
  STORAGE_RESOURCE_LOCKED: { status: 423, code: 'ResourceLocked', error: 'ResourceLocked' },
  /** A tus request out of step with the upload (wrong offset, missing header). */
  STORAGE_TUS_CONFLICT: { status: 409, code: 'TusError', error: 'TusError' },
  STORAGE_TUS_UNSUPPORTED: { status: 412, code: 'TusError', error: 'TusError' },
  /** Image transformation asked for without the optional `sharp` peer dependency installed. */
  STORAGE_FEATURE_NOT_ENABLED: { status: 409, code: 'FeatureNotEnabled', error: 'FeatureNotEnabled' },
  STORAGE_IMAGE_PROCESSING: { status: 422, code: 'InvalidRequest', error: 'ImageProcessingError' },
  STORAGE_DATABASE_TIMEOUT: { status: 544, code: 'DatabaseTimeout', error: 'DatabaseTimeout' },
  /** The backend (disk, S3) failed; the message stays generic on the wire. */
  STORAGE_BACKEND_ERROR: { status: 500, code: 'InternalError', error: 'internal' },
  STORAGE_NOT_MIGRATED: { status: 500, code: 'InternalError', error: 'internal' },
} as const satisfies Record<string, { status: number; code: string; error: string }>

/** A code `@groundwork/storage` throws: its own ({@link STORAGE_ERRORS}) or the HTTP kit's. */
export type StorageErrorCode = keyof typeof STORAGE_ERRORS | HttpErrorCode

/** The HTTP status of each {@link StorageErrorCode}. */
export const STORAGE_ERROR_STATUS: Record<StorageErrorCode, number> = {
  ...HTTP_ERROR_STATUS,
  ...(Object.fromEntries(Object.entries(STORAGE_ERRORS).map(([code, e]) => [code, e.status])) as Record<
    keyof typeof STORAGE_ERRORS,
    number
  >),
}

/**
 * The error `@groundwork/storage` throws; `switch (error.code)` narrows over
 * {@link StorageErrorCode}. The status comes from the code.
 */
export class StorageError extends GroundworkError<StorageErrorCode> {
  override readonly name = 'StorageError'

  constructor(code: StorageErrorCode, message: string, options: Omit<GroundworkErrorOptions, 'status'> = {}) {
    super(code, message, { ...options, status: STORAGE_ERROR_STATUS[code] })
  }
}

/** Builds a {@link StorageError}. */
export function storageError(
  code: StorageErrorCode,
  message: string,
  options: Omit<GroundworkErrorOptions, 'status'> = {},
): StorageError {
  return new StorageError(code, message, options)
}

/** The usual "Object not found" (Supabase's words: it says the same whether it is missing or hidden by RLS). */
export function noSuchKey(): StorageError {
  return storageError('STORAGE_NO_SUCH_KEY', 'Object not found')
}

/** The usual "Bucket not found". */
export function noSuchBucket(): StorageError {
  return storageError('STORAGE_NO_SUCH_BUCKET', 'Bucket not found')
}

/**
 * Maps a Postgres error raised while running as the caller onto Storage's vocabulary: an RLS or
 * privilege refusal is 403 `Unauthorized` with Postgres' own message (as Supabase shows it:
 * "new row violates row-level security policy"), a unique violation 409, a statement timeout 544.
 * Anything else is rethrown (an opaque 500).
 *
 * @see https://www.postgresql.org/docs/current/errcodes-appendix.html
 */
export function fromDatabaseError(
  error: unknown,
  duplicate: StorageErrorCode = 'STORAGE_KEY_EXISTS',
): unknown {
  const code = (error as { code?: unknown }).code
  switch (code) {
    case '42501':
      return storageError('STORAGE_ACCESS_DENIED', rlsMessage((error as Error).message), { cause: error })
    case '23505':
      return storageError(duplicate, 'The resource already exists', { cause: error })
    case '23503':
      return noSuchBucket()
    case '57014':
      return storageError('STORAGE_DATABASE_TIMEOUT', 'The connection to the database timed out', {
        cause: error,
      })
    case '22P02':
    case '22001':
    case '22021':
    case '54000':
      return storageError('STORAGE_INVALID_REQUEST', 'The request has an invalid value', { cause: error })
    default:
      return error
  }
}

/** Postgres' RLS message without the table name detail (`… for table "objects"`), as Supabase shows it. */
function rlsMessage(message: string): string {
  if (message.includes('row-level security')) return 'new row violates row-level security policy'
  return 'Access denied'
}
