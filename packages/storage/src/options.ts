import type { Authenticate, Database, Logger, OnError } from '@groundwork/core'
import {
  basePathOption,
  databaseOption,
  functionOption,
  maxBodyBytesOption,
  optionsSchema,
} from '@groundwork/core/kit'
import { z } from 'zod'
import type { StorageBackend } from './backends/types'

/** Options for {@link createStorage}. */
export interface StorageOptions {
  /** The core database. Required. */
  db: Database
  /** Resolves the caller of a request (core's `createJwtAuthenticator`, or `auth.authenticate`). Required. */
  authenticate: Authenticate
  /**
   * Where bytes live: `localBackend({ root })` or `s3Backend({ endpoint, bucket, … })`.
   * @default localBackend({ root: '.groundwork/storage' }) (relative to the working directory)
   */
  backend?: StorageBackend
  /**
   * HMAC secret (at least 32 characters) signing the tokens of signed download and upload URLs.
   * Supabase signs them with the project's JWT secret; passing yours keeps tokens interchangeable.
   * Required.
   */
  signingSecret: string
  /** Stripped from request paths (at a segment boundary) before routing, for frameworks that hand over the full URL. @default '' */
  basePath?: string
  /** The largest object any upload may store, in bytes; a bucket's `file_size_limit` can only lower it. @default 52428800 (50 MiB, Supabase's default) */
  fileSizeLimit?: number
  /** Seconds a signed upload URL stays valid (checked when the upload starts). @default 7200 */
  signedUploadExpiresIn?: number
  /** Seconds an unfinished resumable (tus) upload is kept. @default 86400 */
  resumableExpiresIn?: number
  /**
   * The `sharp` module for image transformations, or `false` to turn them off. By default it is
   * imported on first use (an optional peer dependency); when it is not installed a transformation
   * is refused with a clear `FeatureNotEnabled` error.
   */
  sharp?: unknown
  /** The largest source image a transformation reads, in bytes. @default 26214400 (25 MiB) */
  maxTransformInputBytes?: number
  /** Largest JSON request body (bucket, list, sign, move/copy requests), in bytes. @default 1048576 (1 MiB) */
  maxBodyBytes?: number
  /** Where background failures go. @default db.logger */
  logger?: Logger
  /** Receives errors the handler could not map (it answers a generic 500). @default none */
  onError?: OnError
}

const positiveInt = z.number().int().positive()

/** The zod schema {@link StorageOptions} is validated with. */
export const storageOptionsSchema = optionsSchema<StorageOptions>()(
  z.object({
    db: databaseOption,
    authenticate: functionOption<Authenticate>(),
    backend: z
      .custom<StorageBackend>(
        (value) =>
          typeof value === 'object' &&
          value !== null &&
          typeof (value as StorageBackend).put === 'function' &&
          typeof (value as StorageBackend).get === 'function',
        'must be a StorageBackend (localBackend() or s3Backend())',
      )
      .optional(),
    signingSecret: z.string().min(32, 'must be at least 32 characters'),
    basePath: basePathOption,
    fileSizeLimit: positiveInt.max(2 ** 50).default(50 * 1024 * 1024),
    signedUploadExpiresIn: positiveInt.max(7 * 24 * 3600).default(7200),
    resumableExpiresIn: positiveInt.max(30 * 24 * 3600).default(24 * 3600),
    sharp: z.unknown().optional(),
    maxTransformInputBytes: positiveInt.default(25 * 1024 * 1024),
    maxBodyBytes: maxBodyBytesOption(1024 * 1024),
    logger: z.custom<Logger>((value) => typeof value === 'object' && value !== null).optional(),
    onError: functionOption<OnError>().optional(),
  }),
)

/** {@link StorageOptions} after validation and defaults. */
export type ResolvedStorageOptions = z.output<typeof storageOptionsSchema>
