import type { Database, OnError } from '@groundwork/core'
import { basePathOption, databaseOption, functionOption, optionsSchema } from '@groundwork/core/kit'
import type { Rest } from '@groundwork/rest'
import { z } from 'zod'

/** Options for {@link createGeo}. */
export interface GeoOptions {
  /** The core database; PostGIS is detected on it (`pg_extension`). */
  db: Database
  /**
   * The REST service tiles are read through (its authentication, schemas and RLS transaction),
   * as a function because rest is created with geo's extension: `rest: () => rest`.
   */
  rest: () => Rest
  /** Stripped from request paths before routing (e.g. `/geo/v1`). @default '' */
  basePath?: string
  /** Tile extent in tile coordinates (`ST_AsMVT`'s `extent`). @default 4096 */
  tileExtent?: number
  /** Buffer around each tile in tile coordinates, so lines and labels cross edges cleanly. @default 64 */
  tileBuffer?: number
  /**
   * `Cache-Control` of tiles. Tiles are drawn as the caller sees rows under RLS, so the default
   * keeps them out of shared caches. @default 'private, max-age=60'
   */
  tileCacheControl?: string
  /** CORS on the tile endpoint (any origin, as rest). @default true */
  cors?: boolean
  /**
   * Fail `start()` when PostGIS is missing, instead of reporting it and answering geo features
   * with 501. Set it where PostGIS is required (CI, production). @default false
   */
  requirePostgis?: boolean
  /** Receives errors answered with a generic 500. */
  onError?: OnError
}

/** The zod schema {@link GeoOptions} is validated with. */
export const geoOptionsSchema = optionsSchema<GeoOptions>()(
  z.object({
    db: databaseOption,
    rest: functionOption<() => Rest>(),
    basePath: basePathOption,
    tileExtent: z.number().int().min(256).max(65_536).default(4096),
    tileBuffer: z.number().int().min(0).max(4096).default(64),
    tileCacheControl: z
      .string()
      .regex(/^[\x20-\x7e]+$/, 'must be a printable header value')
      .default('private, max-age=60'),
    cors: z.boolean().default(true),
    requirePostgis: z.boolean().default(false),
    onError: functionOption<OnError>().optional(),
  }),
)

/** {@link GeoOptions} after validation and defaults. */
export type ResolvedGeoOptions = z.output<typeof geoOptionsSchema>
