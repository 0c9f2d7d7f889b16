import type { GroundworkService, MigrationSet, Principal, Transaction } from '@groundwork/core'
import { ConfigError } from '@groundwork/core'
import { parseOptions } from '@groundwork/core/kit'
import type { RestExtension } from '@groundwork/rest'
import { POSTGIS_HELP } from './errors'
import { createGeoHandler } from './handler'
import { type GeoOptions, geoOptionsSchema, type ResolvedGeoOptions } from './options'
import { PostgisState, type PostgisStatus } from './postgis/state'
import { geoRestExtension } from './rest/extension'
import { serveTile, type TileRequest, type TileResult } from './tiles/tile'

/** The programmatic surface of geo. */
export interface GeoApi {
  /**
   * A Mapbox Vector Tile of a table or view as the caller sees it (RLS), with REST's filters.
   *
   * @example
   * ```ts
   * const tile = await geo.api.tile(
   *   { table: 'stores', z: 12, x: 1238, y: 1515, query: 'columns=name&open=is.true' },
   *   { principal },
   * )
   * if (tile.status === 200) reply.send(tile.body)
   * ```
   * @see https://github.com/mapbox/vector-tile-spec/tree/master/2.1
   */
  tile(
    input: TileRequest,
    options?: { principal?: Principal; transaction?: Transaction; ifNoneMatch?: string | null },
  ): Promise<TileResult>
  /** Whether PostGIS is installed, where and which version (detected now if not yet). */
  postgis(): Promise<PostgisStatus>
}

/** What {@link createGeo} returns. */
export interface Geo extends GroundworkService<GeoApi> {
  readonly name: 'geo'
  /** `GET /tiles/{schema}.{table}/{z}/{x}/{y}.mvt`; mount it at `/geo/v1`. */
  readonly handler: (request: Request) => Promise<Response>
  /** Pass it to rest: `createRest({ …, extensions: [geo.rest] })`. */
  readonly rest: RestExtension
  /** None: geo owns no schema (PostGIS is the database's own extension). */
  readonly migrations: MigrationSet
  readonly tasks: readonly []
  /** Detects PostGIS and reports it (a warning with how to get it when it is missing). */
  start(): Promise<void>
  close(): Promise<void>
}

const NO_MIGRATIONS: MigrationSet = { name: 'geo', migrations: [] }

/**
 * Creates geo: PostGIS through the REST API — GeoJSON output (`Accept: application/geo+json`),
 * spatial filters (`st_intersects`, `st_within`, `st_contains`, `st_covers`, `st_dwithin(m)`,
 * `st_bbox`), nearest-first ordering, geometry as GeoJSON in plain JSON, and vector tiles — all
 * under the same RLS as every other REST request.
 *
 * @example
 * ```ts
 * const geo = createGeo({ db, rest: () => rest })
 * const rest = createRest({ db, authenticate, extensions: [geo.rest] })
 * app.use('/rest/v1', toNodeHandler(rest.handler))
 * app.use('/geo/v1', toNodeHandler(geo.handler))
 * ```
 * @see https://postgis.net/docs/
 */
export function createGeo(options: GeoOptions): Geo {
  const resolved: ResolvedGeoOptions = parseOptions(geoOptionsSchema, options, 'createGeo')
  const state = new PostgisState(resolved.db)
  const settings = { extent: resolved.tileExtent, buffer: resolved.tileBuffer }
  const extension = geoRestExtension(state, settings)
  const tiles = {
    rest: resolved.rest,
    postgis: () => state.detect(),
    ...settings,
    cacheControl: resolved.tileCacheControl,
  }
  const api: GeoApi = {
    tile: (input, tileOptions = {}) => serveTile(tiles, input, tileOptions),
    postgis: () => state.detect(),
  }
  return {
    name: 'geo',
    handler: createGeoHandler({
      api,
      basePath: resolved.basePath,
      cors: resolved.cors,
      onError: resolved.onError,
    }),
    api,
    rest: extension,
    migrations: NO_MIGRATIONS,
    tasks: [],
    async start() {
      const status = await state.detect()
      const logger = resolved.db.logger
      if (status.installed) {
        logger.info(`geo: PostGIS ${status.version} in schema "${status.schema}"`)
        return
      }
      if (resolved.requirePostgis) {
        throw new ConfigError('requirePostgis', `PostGIS is not installed in this database. ${POSTGIS_HELP}`)
      }
      logger.warn(`geo: PostGIS is not installed; spatial features answer 501. ${POSTGIS_HELP}`)
    },
    async close() {},
  }
}
