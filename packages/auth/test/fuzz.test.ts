/**
 * Input fuzz for the GoTrue endpoints, on the shared driver of `@groundwork/testing`: thousands of
 * random and malformed requests (wrong JSON types, broken and deeply nested JSON, odd content
 * types, garbage tokens, unknown grant types, hostile strings, redirect targets and roles) against
 * the mounted handler. Whatever comes in, the answer must be a GoTrue-shaped 4xx or a success:
 * never a 5xx, every error body JSON with `code`/`error_code` (or OAuth's `error`) and a message,
 * and no redirect off the allow-list.
 *
 * Reproduce a failure with `FUZZ_SEED=<printed seed>`; `FUZZ_RUNS` changes the count.
 */
import { ERROR_SHAPES, type FuzzCase, HOSTILE, type Rng, runFuzz } from '@groundwork/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createStack, SITE_URL, type Stack } from './support/stack'

let s: Stack
let userToken = ''
let linkToken = ''
let userId = ''
/** An `admin`-scoped app key and a publishable key, sent as credentials now and then. */
let adminKey = ''
let publishableKey = ''
let appId = ''
/** The confirmation URLs of every mail the run sent. */
const mailedLinks: string[] = []
const DEMO_REDIRECT_URLS = ['http://localhost:*/**', 'http://127.0.0.1:*/**']
/** The hosts a redirect may reach: the site URL's and the allow-list's. */
const ALLOWED_HOSTS = new Set([new URL(SITE_URL).hostname, 'localhost', '127.0.0.1'])
/** The only role a user (and so a user token) may have here: no `allowedRoles`. */
const USER_ROLE = 'authenticated'
beforeAll(async () => {
  // Limits would turn most requests into 429s (all come from 127.0.0.1); they have their own tests.
  // The body limit is raised so that HOSTILE.deepJson (200 KB) reaches the depth check. (Answered
  // before it is read — past the limit, or on no route — a body still uploading sees its
  // connection reset; request-limits.test.ts covers the size limit.)
  s = await createStack({
    maxBodyBytes: 256 * 1024,
    // The demo's entries, which `HOSTILE.redirectUrls` was written against (`*` once matched
    // `x@[2001:db8::1]`): every redirect and mailed link must still land on one of these hosts.
    additionalRedirectUrls: DEMO_REDIRECT_URLS,
    // Mail is recorded, not delivered: the links are what this test checks.
    mail: {
      async send(_tx, message) {
        const link = message.variables.confirmation_url
        if (typeof link === 'string') mailedLinks.push(link)
      },
    },
    rateLimits: {
      emailFrequencySeconds: 0,
      emailSent: false,
      signIn: false,
      signUp: false,
      verify: false,
      otp: false,
      mfaVerify: false,
    },
    // A provider whose authorization URL is built locally (no discovery): the redirect lands on
    // 127.0.0.1, a host the redirect check accepts. Nothing listens there; the fuzz never calls it.
    social: {
      manualLinking: true,
      providers: { github: { clientId: 'fuzz', secret: 'fuzz', url: 'http://127.0.0.1:9' } },
    },
  })
  const { data } = await s
    .admin()
    .createUser({ email: 'fuzz@example.com', password: 'fuzz password 1', email_confirm: true })
  expect(data.user).not.toBeNull()
  userId = data.user?.id ?? ''
  const session = await s
    .client()
    .signInWithPassword({ email: 'fuzz@example.com', password: 'fuzz password 1' })
  userToken = session.data.session?.access_token ?? ''
  expect(userToken).not.toBe('')
  // A live link token, so that some `GET /verify` cases redirect with a session (most consume
  // nothing: a wrong type, or the token already used, redirect with an error fragment).
  const link = await s.admin().generateLink({ type: 'magiclink', email: 'fuzz@example.com' })
  linkToken = link.data.properties?.hashed_token ?? ''
  expect(linkToken).not.toBe('')
  const app = await s.auth.api.apps.create({ name: 'fuzz', owner_id: userId })
  appId = app.id
  adminKey = (
    await s.auth.api.keys.create({ name: 'fuzz admin', type: 'app', app_id: app.id, scopes: ['admin'] })
  ).key
  publishableKey = (await s.auth.api.keys.create({ name: 'fuzz web', type: 'publishable', app_id: app.id }))
    .key
})
afterAll(async () => {
  await s?.close()
})

const ROUTES: ReadonlyArray<readonly [string, string]> = [
  ['POST', '/signup'],
  ['POST', '/token?grant_type=password'],
  ['POST', '/token?grant_type=refresh_token'],
  ['POST', '/token?grant_type=pkce'],
  ['POST', '/token?grant_type=id_token'],
  ['POST', '/token?grant_type=nope'],
  ['POST', '/token'],
  ['POST', '/otp'],
  ['POST', '/magiclink'],
  ['POST', '/verify'],
  ['GET', '/verify'],
  ['GET', '/verify?type=magiclink&token=LINK_TOKEN'],
  ['GET', '/verify?type=signup&token=not-a-token'],
  ['POST', '/resend'],
  ['POST', '/recover'],
  ['GET', '/user'],
  ['PUT', '/user'],
  ['POST', '/logout'],
  ['GET', '/settings'],
  ['GET', '/health'],
  ['GET', '/reauthenticate'],
  ['GET', '/admin/users'],
  ['POST', '/admin/users'],
  ['GET', '/admin/users/00000000-0000-4000-8000-000000000001'],
  ['PUT', '/admin/users/not-a-uuid'],
  ['DELETE', '/admin/users/00000000-0000-4000-8000-000000000001'],
  ['POST', '/admin/generate_link'],
  ['POST', '/invite'],
  ['GET', '/admin/audit'],
  ['GET', '/admin/users?page=99999999999999999999&per_page=1e%2B308'],
  ['GET', '/admin/audit?page=1e%2B308&per_page=0'],
  ['GET', '/.well-known/jwks.json'],
  ['GET', '/nope'],
  ['PATCH', '/user'],
  ['POST', '/admin/apps'],
  ['GET', '/admin/apps'],
  ['GET', '/admin/apps?owner_id=not-a-uuid'],
  ['GET', '/admin/apps/FUZZ_APP_ID'],
  ['PUT', '/admin/apps/FUZZ_APP_ID'],
  ['PUT', '/admin/apps/not-a-uuid'],
  ['DELETE', '/admin/apps/00000000-0000-4000-8000-000000000001'],
  ['POST', '/admin/api-keys'],
  ['GET', '/admin/api-keys'],
  ['GET', '/admin/api-keys?app_id=FUZZ_APP_ID&type=app'],
  ['GET', '/admin/api-keys?type=root&user_id=x'],
  ['GET', '/admin/api-keys/not-a-uuid'],
  ['DELETE', '/admin/api-keys/00000000-0000-4000-8000-000000000001'],
  ['GET', '/user/api-keys'],
  ['POST', '/user/api-keys'],
  ['DELETE', '/user/api-keys/not-a-uuid'],
  ['GET', '/authorize?provider=github'],
  ['GET', '/authorize?provider=github&skip_http_redirect=true'],
  ['GET', '/authorize'],
  ['GET', '/callback'],
  ['GET', '/callback?state=not-a-state&code=x'],
  ['POST', '/callback'],
  ['GET', '/user/identities/authorize?provider=github&skip_http_redirect=true'],
  ['GET', '/user/identities/authorize'],
  ['DELETE', '/user/identities/not-a-uuid'],
  ['DELETE', '/user/identities/00000000-0000-4000-8000-000000000001'],
  ['POST', '/factors'],
  ['POST', '/factors/not-a-uuid/challenge'],
  ['POST', '/factors/00000000-0000-4000-8000-000000000001/verify'],
  ['DELETE', '/factors/not-a-uuid'],
  ['GET', '/admin/users/FUZZ_USER_ID/factors'],
  ['GET', '/admin/users/not-a-uuid/factors'],
  ['DELETE', '/admin/users/FUZZ_USER_ID/factors/00000000-0000-4000-8000-000000000001'],
]

const KEYS = [
  'email',
  'password',
  'phone',
  'data',
  'options',
  'refresh_token',
  'auth_code',
  'code_verifier',
  'token',
  'token_hash',
  'type',
  'redirect_to',
  'create_user',
  'gotrue_meta_security',
  'code_challenge',
  'code_challenge_method',
  'email_confirm',
  'user_metadata',
  'app_metadata',
  'ban_duration',
  'role',
  'id',
  'password_hash',
  'nonce',
  'new_email',
  'should_soft_delete',
  'channel',
  'provider',
  'id_token',
  'name',
  'description',
  'owner_id',
  'rate_limit',
  'requests',
  'window_seconds',
  'app_id',
  'user_id',
  'scopes',
  'allowed_tables',
  'expires_at',
  'factor_type',
  'friendly_name',
  'issuer',
  'challenge_id',
  'code',
  'access_token',
  'state',
]

function scalar(r: Rng): unknown {
  return r.pick<() => unknown>([
    () => null,
    () => true,
    () => r.int(1e6) - 5e5,
    () => 1e308,
    () => -0.5,
    () => '',
    () => ' ',
    () => 'fuzz@example.com',
    () => 'FUZZ@EXAMPLE.COM ',
    () => `${r.int(1e9)}@example.com`,
    () => 'not an email',
    () => 'a@b',
    () => 'x'.repeat(r.pick([73, 256, 5000])),
    () => '\u0000nul',
    () => '😀 ünïcødé',
    () => '<script>alert(1)</script>',
    () => "'; drop table auth.users; --",
    () => '123456',
    () => 'signup',
    () => 'magiclink',
    () => 'recovery',
    () => 'email_change',
    () => 'invite',
    () => 'sms',
    () => 's256',
    () => 'totp',
    () => 'github',
    () => 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
    () => 'plain',
    () => '00000000-0000-4000-8000-000000000001',
    () => 'http://evil.test/steal',
    () => 'http://app.test:3000/welcome',
    () => '24h',
    () => 'none',
    () => '1e9h',
    () => 'service_role',
    () => '$2a$10$abcdefghijklmnopqrstuuABCDEFGHIJKLMNOPQRSTUVWXYZ01234',
    () => userToken,
    () => r.pick(HOSTILE.strings),
    () => r.pick(HOSTILE.redirectUrls),
    () => r.pick(['publishable', 'secret', 'app', 'read', 'write', 'admin', 'public.notes', 'notes']),
    () => ['read', 'write'],
    () => ['public.notes', 'x.y'],
    () => ({ requests: r.int(1e6), window_seconds: r.int(1e5) }),
    () => new Date(Date.now() + r.int(1e12) - 1e10).toISOString(),
    () => '9999-12-31T23:59:59Z',
    () => userId,
    () => appId,
  ])()
}

function value(r: Rng, depth = 0): unknown {
  if (depth > 2 || r.chance(0.7)) return scalar(r)
  if (r.chance(0.5)) return Array.from({ length: r.int(3) }, () => value(r, depth + 1))
  return object(r, depth + 1)
}

function object(r: Rng, depth = 0, admin = false): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (let i = r.int(5); i > 0; i--) out[r.pick(KEYS)] = value(r, depth)
  if (r.chance(0.2)) out.redirect_to = r.pick(HOSTILE.redirectUrls)
  // Roles a token must never be minted with, where admins set one.
  if (admin && r.chance(0.4)) out.role = r.pick(HOSTILE.roleClaims)
  // An own "__proto__" key, as JSON.parse produces it on the server: merges must not follow it.
  if (r.chance(0.05))
    Object.defineProperty(out, '__proto__', { value: { polluted: true }, enumerable: true, writable: true })
  if (r.chance(0.05))
    Object.defineProperty(out, 'constructor', {
      value: { prototype: { polluted: true } },
      enumerable: true,
      writable: true,
    })
  return out
}

function body(
  r: Rng,
  admin: boolean,
  routed: boolean,
): { text: string | undefined; type: string | undefined } {
  const kind = r.int(routed ? 11 : 10)
  if (kind === 0) return { text: undefined, type: undefined }
  // Nested past maxJsonDepth: 400 bad_json before anything walks it.
  if (kind === 10) return { text: HOSTILE.deepJson(r.pick([200, 100_000])), type: 'application/json' }
  if (kind === 1) return { text: '{"email": ', type: 'application/json' }
  if (kind === 2) return { text: JSON.stringify(value(r)), type: 'application/json' }
  if (kind === 3) return { text: 'email=a%40b.c&password=x', type: 'application/x-www-form-urlencoded' }
  if (kind === 4)
    return { text: JSON.stringify(object(r, 0, admin)), type: r.pick(['text/plain', 'application/xml', '']) }
  return { text: JSON.stringify(object(r, 0, admin)), type: 'application/json' }
}

function headers(r: Rng, type: string | undefined): Record<string, string> {
  const out: Record<string, string> = { apikey: s.anonKey }
  if (type !== undefined) out['content-type'] = type
  const auth = r.int(8)
  if (auth === 0) out.authorization = `Bearer ${s.serviceKey}`
  else if (auth === 1) out.authorization = `Bearer ${userToken}`
  else if (auth === 2) out.authorization = 'Bearer not.a.jwt'
  else if (auth === 3) out.authorization = 'Basic Zm9vOmJhcg=='
  else if (auth === 4) out.authorization = `Bearer ${userToken.slice(0, -3)}abc`
  else if (auth === 5)
    out.authorization = `Bearer ${r.pick([adminKey, publishableKey, 'gw_app_nope', `${adminKey.slice(0, -2)}xx`])}`
  else out.authorization = `Bearer ${s.anonKey}`
  if (r.chance(0.1)) out.apikey = r.pick([publishableKey, adminKey, 'gw_secret_x'])
  if (r.chance(0.5)) out['x-supabase-api-version'] = r.pick(['2024-01-01', '2020-01-01', 'junk'])
  return out
}

function query(r: Rng): string {
  const params = new URLSearchParams()
  for (let i = r.int(3); i > 0; i--) {
    params.append(
      r.pick([
        'redirect_to',
        'token',
        'type',
        'page',
        'per_page',
        'filter',
        'query',
        'scope',
        'email',
        'code',
        'provider',
        'scopes',
        'state',
        'code_challenge',
        'code_challenge_method',
        'skip_http_redirect',
        'prompt',
      ]),
      String(r.chance(0.2) ? r.pick(HOSTILE.redirectUrls) : scalar(r)),
    )
  }
  return params.toString()
}

function redirectQuery(r: Rng): string {
  return new URLSearchParams({ redirect_to: String(r.pick(HOSTILE.redirectUrls)) }).toString()
}

/**
 * An admin request that is valid but for its `role` (one of `HOSTILE.roleClaims`), with the
 * service key: random bodies rarely get that far, and it is the request that must be refused.
 */
function roleCase(r: Rng): FuzzCase {
  const headers = {
    apikey: s.anonKey,
    authorization: `Bearer ${s.serviceKey}`,
    'content-type': 'application/json',
  }
  const role = r.pick(HOSTILE.roleClaims)
  return r.chance(0.5)
    ? {
        method: 'POST',
        path: '/admin/users',
        headers,
        body: JSON.stringify({ email: `role-${r.int(1e9)}@example.com`, role }),
      }
    : { method: 'PUT', path: '/admin/users/FUZZ_USER_ID', headers, body: JSON.stringify({ role }) }
}

/**
 * An app or key creation that is nearly valid (a name, a type), the other fields drawn from the
 * hostile values, so the validation and the SQL behind it are reached — not only the 400 for a
 * missing name.
 */
function keyCase(r: Rng): FuzzCase {
  const headers = {
    apikey: s.anonKey,
    authorization: `Bearer ${r.chance(0.7) ? s.serviceKey : r.chance(0.5) ? adminKey : userToken}`,
    'content-type': 'application/json',
  }
  const maybe = (field: string) => (r.chance(0.5) ? { [field]: scalar(r) } : {})
  if (r.chance(0.3)) {
    const body = {
      name: r.pick(['app', scalar(r)]),
      ...maybe('description'),
      ...maybe('owner_id'),
      ...maybe('rate_limit'),
    }
    return { method: 'POST', path: '/admin/apps', headers, body: JSON.stringify(body) }
  }
  const body = {
    name: r.pick(['key', scalar(r)]),
    type: r.pick(['publishable', 'secret', 'app', scalar(r)]),
    ...maybe('app_id'),
    ...maybe('user_id'),
    ...maybe('scopes'),
    ...maybe('allowed_tables'),
    ...maybe('expires_at'),
    ...maybe('rate_limit'),
  }
  const path = r.chance(0.2) ? '/user/api-keys' : '/admin/api-keys'
  return { method: 'POST', path, headers, body: JSON.stringify(body) }
}

/** All cases are drawn up front, so a seed reproduces the same requests whatever the timing. */
function makeCase(r: Rng): FuzzCase {
  if (r.chance(0.03)) return roleCase(r)
  if (r.chance(0.05)) return keyCase(r)
  const [method, route] = r.pick(ROUTES)
  // `GET /verify` answers with a redirect to `redirect_to` (hostile ones too, 1 in 5).
  const extra = route.startsWith('/verify?') && r.chance(0.6) ? redirectQuery(r) : query(r)
  const path = extra ? `${route}${route.includes('?') ? '&' : '?'}${extra}` : route
  const admin = route.startsWith('/admin') || route.startsWith('/invite')
  const routed = method !== 'PATCH'
  const { text, type } =
    method === 'GET' || method === 'DELETE' ? { text: undefined, type: undefined } : body(r, admin, routed)
  return { method, path, headers: headers(r, type), body: text }
}

/** Why `url` is not a target the allow-list may produce, or null (checked on the parsed URL). */
function offAllowList(target: string): string | null {
  let url: URL
  try {
    url = new URL(target)
  } catch {
    return `unparsable redirect target ${target}`
  }
  if (url.protocol !== 'http:') return `redirect to scheme ${url.protocol} (${target})`
  if (url.username !== '' || url.password !== '') return `redirect with userinfo: ${target}`
  if (!ALLOWED_HOSTS.has(url.hostname)) return `redirect off the allow-list: ${target}`
  return null
}

/** The `role` of a JWT's payload (the token is not verified: the handler issued it). */
function tokenRole(token: unknown): unknown {
  if (typeof token !== 'string') return undefined
  const payload = token.split('.')[1]
  if (!payload) return undefined
  try {
    return JSON.parse(Buffer.from(payload, 'base64url').toString()).role
  } catch {
    return undefined
  }
}

/**
 * Beyond the error shape: redirects (`GET /verify`) only to the allow-list's hosts, and no user,
 * session or access token in a success body with a role a user may not have (the admin routes
 * get `HOSTILE.roleClaims` as `role`).
 */
function check(response: Response, raw: string): string | null {
  if (response.status >= 300 && response.status < 400) {
    const location = response.headers.get('location')
    return location ? offAllowList(location) : 'redirect without Location'
  }
  if (response.status !== 200 || !raw.startsWith('{')) return null
  const body = JSON.parse(raw) as Record<string, unknown>
  const user = (body.user ?? body) as Record<string, unknown>
  if ('role' in user && user.role !== USER_ROLE) return `a user with role ${JSON.stringify(user.role)}`
  if ('access_token' in body && tokenRole(body.access_token) !== USER_ROLE)
    return `an access token with role ${JSON.stringify(tokenRole(body.access_token))}`
  return null
}

describe('auth input fuzz', () => {
  it('answers random and malformed requests without a 5xx, errors always GoTrue-shaped', async () => {
    const { seed, failures } = await runFuzz({
      name: 'auth',
      runs: 3000,
      concurrency: 6,
      makeCase,
      send: (c) =>
        fetch(
          `${s.url}${c.path.replace('LINK_TOKEN', linkToken).replace('FUZZ_USER_ID', userId).replaceAll('FUZZ_APP_ID', appId)}`,
          {
            method: c.method,
            headers: c.headers ?? {},
            body: c.body ?? null,
            redirect: 'manual',
          },
        ),
      errorShape: ERROR_SHAPES.gotrue,
      check,
    })
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
    expect(failures.slice(0, 5), `seed ${seed}`).toEqual([])
    // Every link mailed during the run lands on the allow-list too (`redirect_to` came from the
    // bodies and queries of the fuzz).
    expect(mailedLinks.length).toBeGreaterThan(0)
    const offList = mailedLinks
      .map((link) => offAllowList(new URL(link).searchParams.get('redirect_to') ?? ''))
      .filter(Boolean)
    expect(offList.slice(0, 5), `seed ${seed}`).toEqual([])
    // Nothing the run created has a role a user may not have.
    const roles = await s.t.db.query<{ role: string }>('select distinct role from auth.users')
    expect(roles.rows.map((row) => row.role)).toEqual([USER_ROLE])
  }, 180_000)
})
