/**
 * `pnpm bench` for @groundwork/oauth-provider: token-endpoint throughput for the three grants —
 * `client_credentials`, `refresh_token` (each worker follows its own rotating chain) and
 * authorization-code redemption (codes minted before the clock starts) — through Groundwork and
 * through panva's oidc-provider (npm), same run, same Postgres: oidc-provider configured for JWT
 * access tokens (resource indicators, RS256), refresh-token rotation on, with the Postgres adapter
 * below (one jsonb row per model instance). A raw node:http + pg client-credentials endpoint (look
 * the client up, compare the secret's SHA-256, sign an HS256 JWT) is the floor. Prints requests/s
 * of each and the ratios; the issue's target is Groundwork ≥ 1.5× oidc-provider on each grant.
 *
 * Everything (servers, load, Postgres) shares the machine's cores: numbers from a loaded machine
 * are comparable within one run only. DATABASE_URL names the server (a scratch database is
 * created and dropped); BENCH_SECONDS (4) per measurement, BENCH_CONCURRENCY (16), BENCH_CODES (300 per
 * round), BENCH_ROUNDS (3): rounds interleave the servers and medians are reported.
 */
import { createHash, createHmac, randomBytes } from 'node:crypto'
import { once } from 'node:events'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { migrations as authMigrations, createAuth } from '@groundwork/auth'
import {
  composeHandlers,
  migrations as coreMigrations,
  createDatabase,
  type Database,
  migrate,
  quoteIdent,
} from '@groundwork/core'
import { toNodeHandler } from '@groundwork/core/node'
import { createOAuthProvider, migrations as oauthMigrations } from '@groundwork/oauth-provider'
import { exportJWK, generateKeyPair } from 'jose'
import Provider from 'oidc-provider'
import pg from 'pg'

const SECONDS = Number(process.env.BENCH_SECONDS ?? 4)
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 16)
const CODES = Number(process.env.BENCH_CODES ?? 300)
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3)
const SECRET = 'bench-jwt-secret-0123456789-0123456789'
const REDIRECT = 'https://client.example/cb'
const VERIFIER = 'v'.repeat(43)
const CHALLENGE = createHash('sha256').update(VERIFIER).digest('base64url')
const RESOURCE = 'https://api.example/'

const adminUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'
const dbName = `gw_oauth_bench_${randomBytes(4).toString('hex')}`

async function listen(handler: Parameters<typeof createServer>[1]): Promise<{ server: Server; url: string }> {
  const server = createServer(handler)
  server.keepAliveTimeout = 60_000
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` }
}

/** Runs `request` from CONCURRENCY workers for SECONDS; requests/s of 200 answers (others fail the run). */
async function measure(name: string, worker: (index: number) => () => Promise<unknown>): Promise<number> {
  const deadline = performance.now() + SECONDS * 1000
  let done = 0
  const started = performance.now()
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async (_, index) => {
      const next = worker(index)
      while (performance.now() < deadline) {
        await next()
        done++
      }
    }),
  )
  const rate = done / ((performance.now() - started) / 1000)
  console.log(`  ${name.padEnd(44)} ${rate.toFixed(0).padStart(6)} req/s`)
  return rate
}

/** Like {@link measure}, over a finite list of one-shot jobs (code redemption). */
async function drain(name: string, jobs: (() => Promise<void>)[]): Promise<number> {
  let next = 0
  const started = performance.now()
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < jobs.length) await (jobs[next++] as () => Promise<void>)()
    }),
  )
  const rate = jobs.length / ((performance.now() - started) / 1000)
  console.log(`  ${name.padEnd(44)} ${rate.toFixed(0).padStart(6)} req/s`)
  return rate
}

async function post(
  url: string,
  body: Record<string, string>,
  basic?: string,
): Promise<Record<string, string>> {
  const response = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      ...(basic ? { authorization: `Basic ${basic}` } : {}),
    },
    body: new URLSearchParams(body),
  })
  const json = (await response.json()) as Record<string, string>
  if (response.status !== 200) throw new Error(`${url}: ${response.status} ${JSON.stringify(json)}`)
  return json
}

const basicOf = (id: string, secret: string) =>
  Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')

// ---------------------------------------------------------------------------------------------
// Groundwork

async function groundwork(db: Database) {
  const { server, url } = await listen(() => {})
  const auth = createAuth({ db, jwt: { secret: SECRET }, siteUrl: url })
  const oauth = createOAuthProvider({ db, auth, issuer: `${url}/auth/v1`, tokenRateLimit: 0 })
  server.on('request', toNodeHandler(composeHandlers(oauth.handler, auth.handler), { basePath: '/auth/v1' }))
  const client = await oauth.api.clients.create({
    client_name: 'bench',
    redirect_uris: [REDIRECT],
    grant_types: ['authorization_code', 'refresh_token', 'client_credentials'],
    scope: 'openid offline_access read',
  })
  const basic = basicOf(client.client_id, client.client_secret as string)
  // Codes of many users, as in production (one user's codes would all wait on that user's row).
  const userTokens: string[] = []
  for (let i = 0; i < CONCURRENCY; i++) {
    const email = `bench-${i}@example.com`
    await auth.api.admin.createUser({ email, password: 'bench-password-1', email_confirm: true })
    userTokens.push(
      (await auth.api.signInWithPassword({ email, password: 'bench-password-1' })).session.access_token,
    )
  }
  let minted = 0
  async function mintCode(): Promise<string> {
    const { location } = await oauth.api.authorize(
      new URLSearchParams({
        client_id: client.client_id,
        response_type: 'code',
        redirect_uri: REDIRECT,
        scope: 'openid offline_access',
        code_challenge: CHALLENGE,
        code_challenge_method: 'S256',
      }),
    )
    const id = new URL(location).searchParams.get('authorization_id') as string
    const { redirect_url } = await oauth.api.consent.decide(
      id,
      userTokens[minted++ % userTokens.length] as string,
      'approve',
    )
    return new URL(redirect_url).searchParams.get('code') as string
  }
  const token = `${url}/auth/v1/oauth/token`
  return {
    clientCredentials: () => post(token, { grant_type: 'client_credentials', scope: 'read' }, basic),
    redeem: (code: string) =>
      post(
        token,
        { grant_type: 'authorization_code', code, code_verifier: VERIFIER, redirect_uri: REDIRECT },
        basic,
      ),
    refresh: (refreshToken: string) =>
      post(token, { grant_type: 'refresh_token', refresh_token: refreshToken }, basic),
    mintCode,
    async close() {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
      await oauth.close()
      await auth.close()
    },
  }
}

// ---------------------------------------------------------------------------------------------
// oidc-provider, with a Postgres adapter written for the bench

const OIDC_TABLE = `create table if not exists oidc_payloads (
  id text not null, type text not null, payload jsonb not null, grant_id text, user_code text, uid text,
  expires_at timestamptz, consumed_at timestamptz, primary key (id, type));
  create index if not exists oidc_payloads_grant_id on oidc_payloads (grant_id);
  create index if not exists oidc_payloads_uid on oidc_payloads (uid);`

function postgresAdapter(pool: pg.Pool) {
  return class PostgresAdapter {
    readonly type: string
    constructor(type: string) {
      this.type = type
    }
    async upsert(id: string, payload: Record<string, unknown>, expiresIn?: number) {
      await pool.query(
        `insert into oidc_payloads (id, type, payload, grant_id, user_code, uid, expires_at)
         values ($1, $2, $3, $4, $5, $6, case when $7::int is null then null else now() + make_interval(secs => $7) end)
         on conflict (id, type) do update set payload = excluded.payload, grant_id = excluded.grant_id,
           user_code = excluded.user_code, uid = excluded.uid, expires_at = excluded.expires_at`,
        [
          id,
          this.type,
          payload,
          payload.grantId ?? null,
          payload.userCode ?? null,
          payload.uid ?? null,
          expiresIn ?? null,
        ],
      )
    }
    async find(id: string) {
      const { rows } = await pool.query(
        `select payload, consumed_at from oidc_payloads where id = $1 and type = $2 and (expires_at is null or expires_at > now())`,
        [id, this.type],
      )
      const row = rows[0]
      if (!row) return undefined
      return row.consumed_at
        ? { ...row.payload, consumed: Math.floor(row.consumed_at.getTime() / 1000) }
        : row.payload
    }
    async findByUid(uid: string) {
      const { rows } = await pool.query('select payload from oidc_payloads where uid = $1 and type = $2', [
        uid,
        this.type,
      ])
      return rows[0]?.payload
    }
    async findByUserCode(userCode: string) {
      const { rows } = await pool.query(
        'select payload from oidc_payloads where user_code = $1 and type = $2',
        [userCode, this.type],
      )
      return rows[0]?.payload
    }
    async consume(id: string) {
      await pool.query('update oidc_payloads set consumed_at = now() where id = $1 and type = $2', [
        id,
        this.type,
      ])
    }
    async destroy(id: string) {
      await pool.query('delete from oidc_payloads where id = $1 and type = $2', [id, this.type])
    }
    async revokeByGrantId(grantId: string) {
      await pool.query('delete from oidc_payloads where grant_id = $1', [grantId])
    }
  }
}

async function oidcProvider(pool: pg.Pool) {
  await pool.query(OIDC_TABLE)
  const { server, url } = await listen(() => {})
  const { privateKey } = await generateKeyPair('RS256', { extractable: true })
  const secret = randomBytes(32).toString('base64url')
  const provider = new Provider(url, {
    adapter: postgresAdapter(pool),
    clients: [
      {
        client_id: 'bench',
        client_secret: secret,
        redirect_uris: [REDIRECT],
        grant_types: ['authorization_code', 'refresh_token', 'client_credentials'],
        response_types: ['code'],
        scope: 'openid offline_access read',
      },
    ],
    jwks: { keys: [{ ...(await exportJWK(privateKey)), kid: 'k1', alg: 'RS256', use: 'sig' }] },
    scopes: ['openid', 'offline_access', 'read'],
    features: {
      clientCredentials: { enabled: true },
      devInteractions: { enabled: false },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => RESOURCE,
        useGrantedResource: () => true,
        getResourceServerInfo: () => ({
          scope: 'read',
          audience: RESOURCE,
          accessTokenFormat: 'jwt',
          accessTokenTTL: 3600,
        }),
      },
    },
    issueRefreshToken: () => true,
    rotateRefreshToken: () => true,
    findAccount: async (_ctx: unknown, sub: string) => ({ accountId: sub, claims: async () => ({ sub }) }),
    pkce: { required: () => true },
  } as never)
  server.on('request', provider.callback())
  const basic = basicOf('bench', secret)
  const token = `${url}/token`
  const found = await provider.Client.find('bench')
  if (!found) throw new Error('oidc-provider lost its client')
  const client: NonNullable<typeof found> = found
  let minted = 0
  async function mintCode(): Promise<string> {
    const accountId = `user-${minted++ % CONCURRENCY}`
    const grant = new provider.Grant({ accountId, clientId: 'bench' })
    grant.addOIDCScope('openid offline_access')
    grant.addResourceScope(RESOURCE, 'read')
    const grantId = await grant.save()
    const code = new provider.AuthorizationCode({
      accountId,
      grantId,
      client,
      redirectUri: REDIRECT,
      scope: 'openid offline_access',
      resource: RESOURCE,
      codeChallenge: CHALLENGE,
      codeChallengeMethod: 'S256',
      authTime: Math.floor(Date.now() / 1000),
    } as ConstructorParameters<typeof provider.AuthorizationCode>[0])
    return code.save()
  }
  return {
    clientCredentials: () =>
      post(token, { grant_type: 'client_credentials', scope: 'read', resource: RESOURCE }, basic),
    redeem: (code: string) =>
      post(
        token,
        { grant_type: 'authorization_code', code, code_verifier: VERIFIER, redirect_uri: REDIRECT },
        basic,
      ),
    refresh: (refreshToken: string) =>
      post(token, { grant_type: 'refresh_token', refresh_token: refreshToken }, basic),
    mintCode,
    async close() {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}

// ---------------------------------------------------------------------------------------------
// The floor: node:http + pg, client credentials only

async function raw(pool: pg.Pool) {
  const secret = randomBytes(32).toString('base64url')
  await pool.query('create table raw_clients (id text primary key, secret_hash text not null)')
  await pool.query('insert into raw_clients values ($1, $2)', [
    'raw',
    createHash('sha256').update(secret).digest('hex'),
  ])
  const key = Buffer.from(SECRET)
  const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url')
  const { server, url } = await listen(async (req, res) => {
    let body = ''
    for await (const chunk of req) body += chunk
    const params = new URLSearchParams(body)
    const [id, presented] = Buffer.from((req.headers.authorization ?? '').slice(6), 'base64')
      .toString()
      .split(':')
    const { rows } = await pool.query('select secret_hash from raw_clients where id = $1', [id])
    if (
      params.get('grant_type') !== 'client_credentials' ||
      rows[0]?.secret_hash !==
        createHash('sha256')
          .update(presented ?? '')
          .digest('hex')
    ) {
      res.writeHead(401).end('{}')
      return
    }
    const now = Math.floor(Date.now() / 1000)
    const head = `${b64({ alg: 'HS256', typ: 'at+jwt' })}.${b64({ sub: id, client_id: id, scope: 'read', iat: now, exp: now + 3600, jti: randomBytes(16).toString('hex') })}`
    const jwt = `${head}.${createHmac('sha256', key).update(head).digest('base64url')}`
    res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' })
    res.end(JSON.stringify({ access_token: jwt, token_type: 'Bearer', expires_in: 3600, scope: 'read' }))
  })
  return {
    clientCredentials: () =>
      post(`${url}/token`, { grant_type: 'client_credentials' }, basicOf('raw', secret)),
    async close() {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}

// ---------------------------------------------------------------------------------------------

async function main() {
  const admin = new pg.Client({ connectionString: adminUrl })
  await admin.connect()
  await admin.query(`create database ${quoteIdent(dbName)}`)
  const url = new URL(adminUrl)
  url.pathname = `/${dbName}`
  const db = createDatabase({ connectionString: url.toString(), max: 10 })
  const pool = new pg.Pool({ connectionString: url.toString(), max: 10 })
  pool.on('error', () => {})
  try {
    await migrate(db, [coreMigrations, authMigrations, oauthMigrations])
    const gw = await groundwork(db)
    const op = await oidcProvider(pool)
    const floor = await raw(pool)
    console.log(
      `oauth-provider bench: ${CONCURRENCY} concurrent clients, ${SECONDS} s per measurement, ${CODES} codes`,
    )
    // Warm up both (JIT, pools, key caches).
    for (let i = 0; i < 50; i++)
      await Promise.all([gw.clientCredentials(), op.clientCredentials(), floor.clientCredentials()])

    // Rounds interleave the servers (floor, oidc-provider, groundwork, …) so that load from
    // outside the bench hits all of them alike; medians are reported.
    const median = (values: number[]) =>
      [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number
    const results: Record<string, number[]> = {}
    const record = (key: string, rate: number) => {
      results[key] = [...(results[key] ?? []), rate]
    }
    const chain =
      (tokens: string[], refresh: (t: string) => Promise<Record<string, string>>) =>
      (index: number) =>
      async () => {
        tokens[index] = (await refresh(tokens[index] as string)).refresh_token as string
      }
    for (let round = 1; round <= ROUNDS; round++) {
      console.log(`round ${round}/${ROUNDS}: client_credentials`)
      record('cc:raw', await measure('raw node:http + pg (floor)', () => floor.clientCredentials))
      record('cc:op', await measure('oidc-provider', () => op.clientCredentials))
      record('cc:gw', await measure('groundwork', () => gw.clientCredentials))

      console.log(`round ${round}/${ROUNDS}: authorization_code redemption (${CODES} codes each)`)
      const opCodes = await Promise.all(Array.from({ length: CODES }, () => op.mintCode()))
      const gwCodes: string[] = []
      for (let i = 0; i < CODES; i++) gwCodes.push(await gw.mintCode())
      const opChains: string[] = []
      const gwChains: string[] = []
      const redeem = (server: typeof gw | typeof op, chains: string[]) => (code: string) => async () => {
        const result = await server.redeem(code)
        if (chains.length < CONCURRENCY) chains.push(result.refresh_token as string)
      }
      record('code:op', await drain('oidc-provider', opCodes.map(redeem(op, opChains))))
      record('code:gw', await drain('groundwork', gwCodes.map(redeem(gw, gwChains))))

      console.log(`round ${round}/${ROUNDS}: refresh_token (rotation, one chain per client)`)
      record('refresh:op', await measure('oidc-provider', chain(opChains, op.refresh)))
      record('refresh:gw', await measure('groundwork', chain(gwChains, gw.refresh)))
    }

    console.log(`medians of ${ROUNDS} rounds (req/s) and ratios (groundwork ÷ oidc-provider; target ≥ 1.5)`)
    const line = (name: string, gwKey: string, otherKey: string) => {
      const a = median(results[gwKey] as number[])
      const b = median(results[otherKey] as number[])
      console.log(
        `  ${name.padEnd(34)} groundwork ${a.toFixed(0).padStart(5)}  vs ${b.toFixed(0).padStart(5)}  ${(a / b).toFixed(2)}×`,
      )
    }
    line('client_credentials', 'cc:gw', 'cc:op')
    line('authorization_code', 'code:gw', 'code:op')
    line('refresh_token', 'refresh:gw', 'refresh:op')
    line('client_credentials ÷ raw floor', 'cc:gw', 'cc:raw')
    await Promise.all([gw.close(), op.close(), floor.close()])
  } finally {
    await db.close()
    await pool.end()
    await admin.query(`drop database if exists ${quoteIdent(dbName)} with (force)`)
    await admin.end()
  }
}

await main()
