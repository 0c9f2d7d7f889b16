/**
 * `pnpm bench` for @groundwork/geo, in one run:
 *
 * - **geo+json features/s**: `GET /rest/v1/bench_points` with `Accept: application/geo+json` over a
 *   10,000-row table (every request returns all 10,000 features);
 * - **tiles/s at zoom 12**: `GET /geo/v1/tiles/public.bench_points/12/x/y.mvt`, cycling over the
 *   tiles that cover the data;
 *
 * each through the built `@groundwork/rest` + `@groundwork/geo` (JWT check, claims transaction,
 * RLS), and through a hand-written `node:http` + `pg` server sending the same SQL in the same kind
 * of transaction (BEGIN, claims with `set_config`, the statement, COMMIT) with the same JWT check
 * and ETag. Rounds alternate the two servers and the ratio is the median of per-round ratios.
 *
 * DATABASE_URL names a server with PostGIS (a scratch database is created and dropped).
 * Env: BENCH_CONNECTIONS (8), BENCH_DURATION seconds (4), BENCH_ROUNDS (3), BENCH_POOL (8).
 */
import { createHash, createHmac } from 'node:crypto'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import {
  migrations as coreMigrations,
  createDatabase,
  createJwtAuthenticator,
  migrate,
} from '@groundwork/core'
import { toNodeHandler } from '@groundwork/core/node'
import { createGeo } from '@groundwork/geo'
import { createRest, type Rest } from '@groundwork/rest'
import autocannon, { type Options as LoadOptions } from 'autocannon'
import pg from 'pg'

const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 8)
const DURATION = Number(process.env.BENCH_DURATION ?? 4)
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3)
const POOL = Number(process.env.BENCH_POOL ?? 8)
const SECRET = 'groundwork-bench-secret-with-at-least-32-characters'
const ROWS = 10_000
const ZOOM = 12
/** The data's box (Boston): 10,000 points spread over about twenty zoom-12 tiles. */
const BOX = [-71.2, 42.3, -71.0, 42.42] as const

function signHs256(claims: Record<string, unknown>): string {
  const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url')
  const body = `${encode({ alg: 'HS256', typ: 'JWT' })}.${encode(claims)}`
  return `${body}.${createHmac('sha256', SECRET).update(body).digest('base64url')}`
}

/** The baseline's JWT check: HS256 signature and expiry, with node:crypto. */
function verify(header: string | undefined): Record<string, unknown> | null {
  const token = header?.replace(/^Bearer /, '') ?? ''
  const [head, body, signature] = token.split('.')
  if (!head || !body || !signature) return null
  const expected = createHmac('sha256', SECRET).update(`${head}.${body}`).digest('base64url')
  if (expected !== signature) return null
  const claims = JSON.parse(Buffer.from(body, 'base64url').toString()) as Record<string, unknown>
  return typeof claims.exp === 'number' && claims.exp * 1000 < Date.now() ? null : claims
}

function tileX(lon: number): number {
  return Math.floor(((lon + 180) / 360) * 2 ** ZOOM)
}
function tileY(lat: number): number {
  const rad = (lat * Math.PI) / 180
  return Math.floor(((1 - Math.log(Math.tan(rad) + 1 / Math.cos(rad)) / Math.PI) / 2) * 2 ** ZOOM)
}
function lon(x: number): number {
  return (x / 2 ** ZOOM) * 360 - 180
}
function lat(y: number): number {
  return (180 / Math.PI) * Math.atan(Math.sinh(Math.PI - (2 * Math.PI * y) / 2 ** ZOOM))
}

const TILES: Array<[number, number]> = []
for (let x = tileX(BOX[0]); x <= tileX(BOX[2]); x++) {
  for (let y = tileY(BOX[3]); y <= tileY(BOX[1]); y++) TILES.push([x, y])
}

/**
 * The statements the baseline sends: exactly the text rest + geo generate for these requests
 * (captured from the pipeline), so the comparison measures everything but the SQL.
 */
const GEOJSON_SQL = `WITH pgrst_source AS (SELECT "bench_points".* FROM "public"."bench_points" AS "bench_points" ) SELECT NULL::bigint AS total, pg_catalog.count(_postgrest_t) AS page_total, json_build_object('type', 'FeatureCollection', 'features', coalesce(json_agg("public".st_asgeojson(_postgrest_t)::json), '[]'))::text AS body, nullif(current_setting('response.headers', true), '') AS response_headers, nullif(current_setting('response.status', true), '') AS response_status FROM pgrst_source AS _postgrest_t`

/** Parameters: the tile's widened WGS 84 box ($1-$4), the layer ($5), z/x/y ($6-$8), the geometry column ($9). */
const TILE_SQL = `WITH pgrst_source AS (SELECT "public".st_asmvtgeom("public".st_transform(pgrst_mvt_row."geom"::"public".geometry, 3857), (SELECT "public".st_tileenvelope($6::int4, $7::int4, $8::int4)), 4096, 64, true) AS pgrst_mvt_geom, pg_catalog.to_jsonb(pgrst_mvt_row) - $9::text AS pgrst_mvt_attributes FROM (SELECT "bench_points".* FROM "public"."bench_points" AS "bench_points"  WHERE "bench_points"."geom" OPERATOR("public".&&) (SELECT (SELECT "public".st_makeenvelope($1::float8, $2::float8, $3::float8, $4::float8, 4326)))) AS pgrst_mvt_row OFFSET 0) SELECT NULL::bigint AS total, pg_catalog.count(_postgrest_t) AS page_total, coalesce("public".st_asmvt(_postgrest_t, $5::text, 4096, 'pgrst_mvt_geom'), ''::bytea) AS body, nullif(current_setting('response.headers', true), '') AS response_headers, nullif(current_setting('response.status', true), '') AS response_status FROM pgrst_source AS _postgrest_t`

/** The hand-written server: same SQL, same transaction and claims, same JWT check and ETag. */
function baseline(url: string): Server & { pool: pg.Pool } {
  const pool = new pg.Pool({ connectionString: url, max: POOL })
  const inTransaction = async (claims: Record<string, unknown>, text: string, values: unknown[]) => {
    const client = await pool.connect()
    try {
      await client.query('BEGIN')
      await client.query("select set_config('role', $1, true), set_config('request.jwt.claims', $2, true)", [
        claims.role,
        JSON.stringify(claims),
      ])
      const { rows } = await client.query(text, values)
      await client.query('COMMIT')
      return rows[0]?.body as string | Buffer
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {})
      throw error
    } finally {
      client.release()
    }
  }
  const server = createServer(async (req, res) => {
    const claims = verify(req.headers.authorization)
    if (!claims) return void res.writeHead(401).end()
    const path = req.url ?? ''
    const tile = /^\/geo\/v1\/tiles\/public\.bench_points\/(\d+)\/(\d+)\/(\d+)\.mvt$/.exec(path)
    try {
      if (tile) {
        const [z, x, y] = [Number(tile[1]), Number(tile[2]), Number(tile[3])]
        const m = 64 / 4096
        const box = [lon(x - m), lat(y + 1 + m), lon(x + 1 + m), lat(y - m)]
        const body = (await inTransaction(claims, TILE_SQL, [
          ...box,
          'bench_points',
          z,
          x,
          y,
          'geom',
        ])) as Buffer
        const etag = `"${createHash('sha1').update(body).digest('base64url')}"`
        if (body.length === 0) return void res.writeHead(204, { ETag: etag }).end()
        res.writeHead(200, {
          'Content-Type': 'application/vnd.mapbox-vector-tile',
          ETag: etag,
          'Cache-Control': 'private, max-age=60',
        })
        return void res.end(body)
      }
      const body = await inTransaction(claims, GEOJSON_SQL, [])
      res.writeHead(200, { 'Content-Type': 'application/geo+json; charset=utf-8' })
      res.end(body)
    } catch {
      res.writeHead(500).end()
    }
  })
  return Object.assign(server, { pool })
}

function groundwork(url: string): { server: Server; rest: Rest; close: () => Promise<void> } {
  const db = createDatabase({ connectionString: url, max: POOL })
  const geo = createGeo({ db, rest: () => rest, basePath: '/geo/v1', requirePostgis: true })
  const rest: Rest = createRest({
    db,
    authenticate: createJwtAuthenticator({ secret: SECRET }),
    extensions: [geo.rest],
    listen: false,
  })
  const restHandler = toNodeHandler(rest.handler, { basePath: '/rest/v1' })
  const geoHandler = toNodeHandler(geo.handler)
  const server = createServer((req, res) =>
    req.url?.startsWith('/geo/v1/') ? geoHandler(req, res) : restHandler(req, res),
  )
  return { server, rest, close: () => db.close() }
}

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return (server.address() as AddressInfo).port
}

async function load(options: LoadOptions): Promise<number> {
  const result = await autocannon({ connections: CONNECTIONS, duration: DURATION, ...options })
  if (result.non2xx > 0 || result.errors > 0)
    throw new Error(`${result.non2xx} non-2xx, ${result.errors} errors`)
  return result.requests.average
}

const median = (values: number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number

async function main() {
  const adminUrl = process.env.DATABASE_URL
  if (!adminUrl) throw new Error('DATABASE_URL must name a Postgres server with PostGIS')
  const name = `gw_geo_bench_${process.pid}`
  const admin = new pg.Client({ connectionString: adminUrl })
  await admin.connect()
  await admin.query(`create database ${name}`)
  const url = new URL(adminUrl)
  url.pathname = `/${name}`
  try {
    const setup = createDatabase({ connectionString: url.toString(), max: 1 })
    await migrate(setup, [coreMigrations])
    await setup.query(`create extension postgis;
      create table public.bench_points (id int primary key, name text, kind text, geom geometry(point, 4326));
      insert into public.bench_points
        select i, 'point ' || i, (array['shop','cafe','park'])[1 + i % 3],
          st_setsrid(st_makepoint(${BOX[0]} + random() * ${BOX[2] - BOX[0]}, ${BOX[1]} + random() * ${BOX[3] - BOX[1]}), 4326)
        from generate_series(1, ${ROWS}) as i;
      create index on public.bench_points using gist (geom);
      alter table public.bench_points enable row level security;
      create policy bench_read on public.bench_points for select using (true);
      grant select on public.bench_points to anon;
      analyze public.bench_points;`)
    await setup.close()

    const token = signHs256({ role: 'anon', exp: Math.floor(Date.now() / 1000) + 3600 })
    const headers = { authorization: `Bearer ${token}`, apikey: token }
    const ours = groundwork(url.toString())
    const theirs = baseline(url.toString())
    const ports = { ours: await listen(ours.server), theirs: await listen(theirs) }
    console.log(
      `geo bench: ${ROWS} rows, ${TILES.length} tiles at zoom ${ZOOM}, ${CONNECTIONS} connections, ${DURATION}s × ${ROUNDS} rounds, pool ${POOL}, node ${process.version}`,
    )
    const scenarios = [
      {
        name: `geo+json features/s (${ROWS} rows per response)`,
        scale: ROWS,
        request: (port: number): LoadOptions => ({
          url: `http://127.0.0.1:${port}/rest/v1/bench_points`,
          headers: { ...headers, accept: 'application/geo+json' },
        }),
      },
      {
        name: `tiles/s at zoom ${ZOOM}`,
        scale: 1,
        request: (port: number): LoadOptions => ({
          url: `http://127.0.0.1:${port}/`,
          headers,
          requests: TILES.map(([x, y]) => ({
            method: 'GET',
            path: `/geo/v1/tiles/public.bench_points/${ZOOM}/${x}/${y}.mvt`,
          })),
        }),
      },
    ]
    for (const scenario of scenarios) {
      // Warm-up (plans, connections, JIT) for both.
      await autocannon({ connections: CONNECTIONS, duration: 1, ...scenario.request(ports.ours) })
      await autocannon({ connections: CONNECTIONS, duration: 1, ...scenario.request(ports.theirs) })
      const mine: number[] = []
      const base: number[] = []
      for (let round = 0; round < ROUNDS; round++) {
        const order = round % 2 === 0 ? (['ours', 'theirs'] as const) : (['theirs', 'ours'] as const)
        for (const which of order) {
          const rps = await load(scenario.request(ports[which]))
          ;(which === 'ours' ? mine : base).push(rps)
        }
      }
      const ratio = median(mine.map((m, i) => m / (base[i] as number)))
      console.log(
        `${scenario.name}: @groundwork/geo ${Math.round(median(mine) * scenario.scale)}  node:http+pg ${Math.round(median(base) * scenario.scale)}  ratio ${ratio.toFixed(2)}×`,
      )
    }
    ours.server.closeAllConnections()
    theirs.closeAllConnections()
    await new Promise((resolve) => ours.server.close(resolve))
    await new Promise((resolve) => theirs.close(resolve))
    await ours.close()
    await theirs.pool.end()
  } finally {
    await admin.query(`drop database if exists ${name} with (force)`)
    await admin.end()
  }
}

await main()
