import { RestError } from '@groundwork/rest'
import { GeometryError } from './geometry/validate'

/**
 * What to do without PostGIS, for the error's hint and `createGeo`'s start report.
 *
 * @see https://postgis.net/documentation/getting_started/
 */
export const POSTGIS_HELP =
  'Install PostGIS and run `create extension postgis;` in this database: on Debian/Ubuntu `apt-get install postgresql-<version>-postgis-3`; ' +
  'on a managed Postgres (Supabase, RDS, Cloud SQL, Azure, Neon) enable the postgis extension; in Docker use a Postgres image with it (postgis/postgis). ' +
  'The embedded Postgres of the demo has no PostGIS: set DATABASE_URL to one that has.'

/** A geo feature was used on a database without PostGIS: 501 in PostgREST's error format. */
export function postgisMissing(): RestError {
  return new RestError('GEO501', 'PostGIS is not installed in this database (extension "postgis")', {
    status: 501,
    hint: POSTGIS_HELP,
  })
}

/** A bad geometry/distance/box in a query string: PostgREST's parse error (400 PGRST100). */
export function geometryParseError(what: string, error: unknown): RestError {
  const details = error instanceof GeometryError ? error.message : 'invalid value'
  return new RestError('PGRST100', `"failed to parse ${what}"`, { details })
}

/** A spatial operator on a column that is neither `geometry` nor `geography` (400, Postgres' 42883). */
export function notSpatial(op: string, column: string | null): RestError {
  return new RestError(
    '42883',
    `${op} needs a geometry or geography column${column ? `, '${column}' is not one` : ''}`,
    { status: 400, hint: 'Spatial operators apply to columns of type geometry or geography (PostGIS).' },
  )
}

/**
 * PostGIS reports bad input (unparsable WKT, unclosed rings, mixed or unknown SRIDs) as
 * SQLSTATE XX000, which PostgREST answers 500. They are the client's input: 400, with
 * PostGIS' own message.
 */
const POSTGIS_INPUT_ERRORS = [
  /^parse error - invalid geometry/,
  /geometry requires more points/,
  /non-closed rings?/,
  /^Invalid hex/,
  /GeoJSON/i,
  /^Only lon\/lat coordinate systems are supported in geography/,
  /^Operation on mixed SRID geometries/,
  /^Cannot find SRID/,
  /^(?:transform|ST_Transform|transform_geom): /,
  /^Input geometry has unknown \(0\) SRID/,
  /^Coordinate values are out of range/,
  /^lwgeom_/,
  /^Geometry SRID/,
  /^Antipodal \(180 degrees long\) edge detected/,
  /^Invalid (?:geometry|type|typmod)/i,
  /dimensionality/,
  /^(?:Unknown|Unsupported) geometry type/i,
  /must have at least (?:two|four|one) points?/i,
]

/** The 400 for a PostGIS input error (see {@link POSTGIS_INPUT_ERRORS}), or `null`. */
export function postgisInputError(error: unknown): RestError | null {
  if (typeof error !== 'object' || error === null) return null
  const { code, message, hint, detail } = error as {
    code?: unknown
    message?: unknown
    hint?: unknown
    detail?: unknown
  }
  if (code !== 'XX000' || typeof message !== 'string') return null
  // PostGIS' WKT/WKB reader points at the offending character in its hint.
  const parse = typeof hint === 'string' && /<-- parse error at position \d+ within geometry/.test(hint)
  if (!parse && !POSTGIS_INPUT_ERRORS.some((pattern) => pattern.test(message))) return null
  return new RestError('XX000', message, {
    status: 400,
    details: typeof detail === 'string' ? detail : null,
    hint: typeof hint === 'string' ? hint : null,
  })
}
