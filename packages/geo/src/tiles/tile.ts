/**
 * `geo.api.tile()`: a vector tile of a table or view, as the caller sees it under RLS. It asks
 * rest for the rows in the `application/vnd.mapbox-vector-tile` media type, so the request runs
 * through rest's own pipeline — authentication, the claims transaction, `select`, the filters of
 * the query string (`st_*` included), `limit` — with a `&&` box of the tile added for the index.
 */
import { createHash } from 'node:crypto'
import type { Principal, Transaction } from '@groundwork/core'
import { type Rest, RestError } from '@groundwork/rest'
import { postgisMissing } from '../errors'
import type { PostgisStatus } from '../postgis/state'
import { firstSpatialColumn, MVT_MEDIA_TYPE, parseTile } from '../rest/media-types'
import { tileBounds } from './bounds'

/** What {@link GeoApi.tile} is asked. */
export interface TileRequest {
  /** The exposed schema; default: rest's first. */
  schema?: string
  /** Table or view name. */
  table: string
  z: number
  x: number
  y: number
  /**
   * The rest of the query: `columns=a,b` (attributes; default all), `geometry=col` (default the
   * first geometry/geography column), filters as in REST (`status=eq.open`, `geom=st_within.…`),
   * `limit`.
   */
  query?: URLSearchParams | string
  /** The caller's headers (`Authorization`, `apikey`) when no `principal` is given. */
  headers?: HeadersInit
}

/** A tile, or the error answer rest gave. */
export interface TileResult {
  /** 200 with a tile, 204 for an empty tile, 304 when `If-None-Match` matched, or an error status. */
  status: number
  headers: Record<string, string>
  /** The tile's bytes (200), the PostgREST JSON error text, or `null`. */
  body: Uint8Array | string | null
}

/** Settings of tile serving (from `createGeo`'s options). */
export interface TileSettings {
  rest: () => Rest
  /** Detects PostGIS (cached). */
  postgis: () => Promise<PostgisStatus>
  extent: number
  buffer: number
  cacheControl: string
}

/** Query parameters that are the tile's own, not rest's. */
const OWN = new Set(['columns', 'geometry', 'select'])

function quotedName(name: string): string {
  return `"${name.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`
}

function bad(message: string, details: string | null = null): RestError {
  return new RestError('PGRST100', `"failed to parse ${message}"`, { details })
}

/** Serves one tile (see the module comment). */
export async function serveTile(
  settings: TileSettings,
  input: TileRequest,
  options: { principal?: Principal; transaction?: Transaction; ifNoneMatch?: string | null } = {},
): Promise<TileResult> {
  const tile = parseTile(`${input.z}/${input.x}/${input.y}`)
  if (!tile)
    throw bad(`tile (${input.z}/${input.x}/${input.y})`, 'z must be 0-24 and x, y within the zoom level grid')
  if (!(await settings.postgis()).installed) throw postgisMissing()
  const rest = settings.rest()
  const params = new URLSearchParams(input.query ?? '')
  const cache = await rest.schemaCache()
  const schema = input.schema ?? cache.schemas[0] ?? 'public'
  const relation = cache.relations.get(`${schema}.${input.table}`) ?? null
  const geometry = params.get('geometry') ?? firstSpatialColumn(relation)
  if (relation && !geometry) throw new RestError('22023', 'geometry column is missing', { status: 400 })
  if (geometry && /[,;"=\\\s]/.test(geometry)) throw bad(`geometry (${geometry})`, 'not a column name')
  const columns = params.get('columns')
  const query = new URLSearchParams()
  if (columns !== null) {
    const names = columns
      .split(',')
      .map((c) => c.trim())
      .filter((c) => c !== '')
    if (names.length === 0) throw bad(`columns (${columns})`, 'empty column list')
    query.set('select', [...names.filter((n) => n !== geometry), geometry ?? ''].map(quotedName).join(','))
  }
  for (const [key, value] of params) if (!OWN.has(key)) query.append(key, value)
  if (geometry)
    query.append(
      quotedName(geometry),
      `st_bbox.${tileBounds(tile, settings.buffer, settings.extent).join(',')}`,
    )

  const headers = new Headers(input.headers)
  // Header values are Latin-1: the column name travels percent-encoded.
  const accept = `${MVT_MEDIA_TYPE}; tile=${tile.z}/${tile.x}/${tile.y}; layer=${/^[\w.-]+$/.test(input.table) ? input.table : 'default'}${geometry ? `; geometry=${encodeURIComponent(geometry)}` : ''}`
  const forwarded = new Headers({ accept, 'accept-profile': schema })
  for (const name of ['authorization', 'apikey']) {
    const value = headers.get(name)
    if (value !== null) forwarded.set(name, value)
  }
  const result = await rest.api.query(
    { method: 'GET', path: `/${encodeURIComponent(input.table)}`, query, headers: forwarded },
    {
      ...(options.principal ? { principal: options.principal } : {}),
      ...(options.transaction ? { transaction: options.transaction } : {}),
    },
  )
  if (!(result.body instanceof Uint8Array) && result.status !== 204) {
    // An error (PostgREST JSON) or a media type rest could not serve: answered as rest said.
    return {
      status: result.status,
      headers: pick(result.headers, ['Content-Type', 'WWW-Authenticate', 'Proxy-Status']),
      body: result.body,
    }
  }
  const bytes = result.body instanceof Uint8Array ? result.body : new Uint8Array(0)
  const etag = `"${createHash('sha1').update(bytes).digest('base64url')}"`
  const cacheHeaders = { ETag: etag, 'Cache-Control': settings.cacheControl }
  if (options.ifNoneMatch && matches(options.ifNoneMatch, etag))
    return { status: 304, headers: cacheHeaders, body: null }
  if (bytes.byteLength === 0) return { status: 204, headers: cacheHeaders, body: null }
  return { status: 200, headers: { 'Content-Type': MVT_MEDIA_TYPE, ...cacheHeaders }, body: bytes }
}

function pick(headers: Record<string, string>, names: string[]): Record<string, string> {
  const out: Record<string, string> = {}
  for (const name of names) if (headers[name] !== undefined) out[name] = headers[name]
  return out
}

/** `If-None-Match` (RFC 9110 §13.1.2): `*` or a list of (weak) entity tags. */
function matches(header: string, etag: string): boolean {
  if (header.trim() === '*') return true
  return header.split(',').some((tag) => tag.trim().replace(/^W\//, '') === etag)
}
