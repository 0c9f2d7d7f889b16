/**
 * One HTTP server of the REST benchmark, run in a worker thread so the load generator (autocannon,
 * main thread) does not share an event loop with it. `workerData.kind` picks the implementation:
 *
 * - `groundwork`: `createRest(...).handler` behind core's `toNodeHandler` (the production adapter);
 * - `baseline-tx`: hand-written node:http + pg doing what our handler sends: BEGIN [READ ONLY],
 *   ONE set_config statement for role/claims/request context/search_path, the query, COMMIT — with the same
 *   HS256 verification of the bearer token (node:crypto) and named prepared statements;
 * - `baseline-bare`: the single query on the pool, no transaction, no claims — the physical limit.
 */
import { createHmac, timingSafeEqual } from 'node:crypto'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { parentPort, workerData } from 'node:worker_threads'
import { type Authenticate, createDatabase, createJwtAuthenticator } from '@groundwork/core'
import { toNodeHandler } from '@groundwork/core/node'
import { createRest } from '@groundwork/rest'
import pg from 'pg'

interface Data {
  kind: 'groundwork' | 'baseline-tx' | 'baseline-bare'
  adapter: 'core' | 'bridge'
  auth: 'core' | 'hmac'
  jwtCache: number
  url: string
  secret: string
  poolSize: number
}

const { kind, url, secret, poolSize, adapter, auth, jwtCache } = workerData as Data

/** The SQL each hand-written baseline runs, rendering JSON in Postgres as our handler does. */
const SQL = {
  byPk: "select coalesce(json_agg(t), '[]')::text as body from (select * from public.films where id = $1) t",
  embed:
    "select coalesce(json_agg(t), '[]')::text as body from (select d.id, d.name, " +
    "(select coalesce(json_agg(f), '[]') from (select id, title, year from public.films where director_id = d.id) f) as films " +
    'from public.directors d where d.id = $1) t',
  insert:
    'insert into public.bench_items (name, n) select r.name, r.n from json_to_record($1::json) as r(name text, n int)',
  claims:
    "select set_config('role', $1, true), set_config('request.jwt.claims', $2, true), " +
    "set_config('request.jwt.claim.sub', $3, true), set_config('request.jwt.claim.role', $4, true), " +
    "set_config('request.method', $5, true), set_config('request.path', $6, true), " +
    "set_config('request.headers', $7, true), set_config('search_path', $8, true)",
}

/** HS256 verification with node:crypto: what any hand-written handler must do per request. */
function verify(token: string): Record<string, unknown> | null {
  const [header, payload, signature] = token.split('.')
  if (!header || !payload || !signature) return null
  const expected = createHmac('sha256', secret).update(`${header}.${payload}`).digest()
  const given = Buffer.from(signature, 'base64url')
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>
  if (typeof claims.exp === 'number' && claims.exp * 1000 < Date.now()) return null
  return claims
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of req) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks).toString('utf8')
}

function route(req: IncomingMessage): { sql: string; value: string; write: boolean } | null {
  const url = new URL(req.url ?? '/', 'http://x')
  if (req.method === 'GET' && url.pathname === '/films') {
    return { sql: SQL.byPk, value: (url.searchParams.get('id') ?? '').replace(/^eq\./, ''), write: false }
  }
  if (req.method === 'GET' && url.pathname === '/directors') {
    return { sql: SQL.embed, value: (url.searchParams.get('id') ?? '').replace(/^eq\./, ''), write: false }
  }
  if (req.method === 'POST' && url.pathname === '/bench_items')
    return { sql: SQL.insert, value: '', write: true }
  return null
}

function baseline(pool: pg.Pool, withTransaction: boolean) {
  return async (req: IncomingMessage, res: ServerResponse) => {
    const target = route(req)
    if (!target) {
      res.writeHead(404).end()
      return
    }
    const body = target.write ? await readBody(req) : ''
    const value = target.write ? body : target.value
    const name = target.sql === SQL.byPk ? 'b_pk' : target.sql === SQL.embed ? 'b_embed' : 'b_insert'
    try {
      let text: string | null
      if (!withTransaction) {
        const { rows } = await pool.query({ name, text: target.sql, values: [value] })
        text = target.write ? null : (rows[0]?.body as string)
      } else {
        const auth = req.headers.authorization ?? ''
        const claims = auth.startsWith('Bearer ') ? verify(auth.slice(7)) : { role: 'anon' }
        if (!claims) {
          res.writeHead(401).end()
          return
        }
        const role = typeof claims.role === 'string' ? claims.role : 'anon'
        const client = await pool.connect()
        try {
          await client.query(target.write ? 'BEGIN' : 'BEGIN READ ONLY')
          await client.query({
            name: 'b_claims',
            text: SQL.claims,
            values: [
              role,
              JSON.stringify(claims),
              '',
              role,
              req.method,
              req.url,
              JSON.stringify(req.headers),
              '"public"',
            ],
          })
          const { rows } = await client.query({ name, text: target.sql, values: [value] })
          await client.query('COMMIT')
          text = target.write ? null : (rows[0]?.body as string)
        } catch (error) {
          await client.query('ROLLBACK')
          throw error
        } finally {
          client.release()
        }
      }
      if (text === null) res.writeHead(201).end()
      else res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' }).end(text)
    } catch (error) {
      res
        .writeHead(500, { 'content-type': 'application/json' })
        .end(JSON.stringify({ message: String(error) }))
    }
  }
}

/**
 * The smallest node:http → Fetch bridge, for `BENCH_ADAPTER=bridge`: isolates the adapter's share
 * of the cost (core's `toNodeHandler` is the production adapter and the default).
 */
function bridge(handler: (request: Request) => Promise<Response>) {
  return async (req: IncomingMessage, res: ServerResponse) => {
    const method = req.method ?? 'GET'
    const body = method === 'GET' || method === 'HEAD' ? undefined : await readBody(req)
    const headers = new Headers()
    for (const [key, value] of Object.entries(req.headers)) {
      if (typeof value === 'string') headers.set(key, value)
      else if (Array.isArray(value)) for (const v of value) headers.append(key, v)
    }
    const response = await handler(
      new Request(`http://localhost${req.url ?? '/'}`, { method, headers, body }),
    )
    const out: Record<string, string> = {}
    response.headers.forEach((value, key) => {
      out[key] = value
    })
    const payload = response.body ? Buffer.from(await response.arrayBuffer()) : Buffer.alloc(0)
    // An explicit length: an empty chunked body costs a Nagle/delayed-ACK round on keep-alive.
    out['content-length'] = String(payload.length)
    res.writeHead(response.status, out)
    res.end(payload)
  }
}

async function main() {
  let close: () => Promise<void>
  let listener: (req: IncomingMessage, res: ServerResponse) => void
  if (kind === 'groundwork') {
    const db = createDatabase({ connectionString: url, max: poolSize })
    // `hmac`: the baselines' node:crypto check as the authenticator, to isolate the JWT cost.
    const authenticate: Authenticate =
      auth === 'hmac'
        ? async (request) => {
            const header = request.headers.get('authorization') ?? ''
            const claims = header.startsWith('Bearer ') ? verify(header.slice(7)) : { role: 'anon' }
            if (!claims) throw new Error('invalid token')
            const role = typeof claims.role === 'string' ? claims.role : 'anon'
            return { kind: 'jwt', role, claims: { ...claims, role } }
          }
        : createJwtAuthenticator({ secret })
    // BENCH_JWT_CACHE=seconds turns on PostgREST's jwt-cache-max-lifetime equivalent (off by default).
    const rest = createRest({ db, authenticate, listen: false, jwtCacheMaxLifetime: jwtCache })
    await rest.schemaCache()
    listener = adapter === 'bridge' ? bridge(rest.handler) : toNodeHandler(rest.handler)
    close = async () => {
      await rest.close()
      await db.close()
    }
  } else {
    const pool = new pg.Pool({ connectionString: url, max: poolSize })
    listener = baseline(pool, kind === 'baseline-tx')
    close = () => pool.end()
  }
  const server = createServer(listener)
  server.keepAliveTimeout = 60_000
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  parentPort?.postMessage({ port: (server.address() as AddressInfo).port })
  parentPort?.on('message', async (message) => {
    if (message === 'stop') {
      server.closeAllConnections()
      server.close()
      await close()
      parentPort?.postMessage('stopped')
    }
  })
}

await main()
