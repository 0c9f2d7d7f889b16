import { createHash, randomUUID } from 'node:crypto'
import { once } from 'node:events'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose'
import Provider from 'oidc-provider'

// Identity providers started by the tests on localhost: a protocol-faithful OIDC provider
// (`oidc-provider`, with its development login form) and a GitHub-shaped OAuth 2 server.

/** A user of the OIDC provider: its claims by account id. */
export interface IdpAccount {
  email?: string
  email_verified?: boolean
  name?: string
}

/** A cookie jar for one browser-like walk through a provider's pages. */
class Browser {
  private cookies = new Map<string, string>()

  async get(url: string, init: RequestInit = {}): Promise<Response> {
    const response = await fetch(url, {
      ...init,
      redirect: 'manual',
      headers: { ...(init.headers as Record<string, string>), cookie: this.header() },
    })
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(';')
      const index = (pair ?? '').indexOf('=')
      if (index > 0)
        this.cookies.set((pair as string).slice(0, index).trim(), (pair as string).slice(index + 1))
    }
    return response
  }

  private header(): string {
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ')
  }
}

/** Listens on a free loopback port with a handler set later (the URL must be known first). */
async function listen(): Promise<{
  server: Server
  origin: string
  handle(fn: (req: IncomingMessage, res: ServerResponse) => void): void
}> {
  let handler: ((req: IncomingMessage, res: ServerResponse) => void) | undefined
  const server = createServer((req, res) => {
    if (handler) handler(req, res)
    else res.writeHead(503).end()
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as AddressInfo
  return {
    server,
    origin: `http://127.0.0.1:${port}`,
    handle(fn) {
      handler = fn
    },
  }
}

function close(server: Server): Promise<void> {
  server.closeAllConnections()
  return new Promise((resolve) => server.close(() => resolve()))
}

/** A running OIDC provider. */
export interface OidcIdp {
  issuer: string
  /** The private signing key (RS256), to mint id_tokens for `grant_type=id_token` tests. */
  key: CryptoKey
  kid: string
  /**
   * Registers the relying parties (their callbacks are known only after the auth servers are
   * up); the first is the audience of {@link OidcIdp.idToken}.
   */
  register(...clients: { clientId: string; secret: string; redirectUri: string }[]): void
  /** Signs an id_token as this provider (override any claim). */
  idToken(
    claims: Record<string, unknown>,
    options?: { expiresIn?: string | number; key?: CryptoKey },
  ): Promise<string>
  /**
   * Plays the browser: follows the authorization URL through the login form as `accountId` and
   * returns the redirect back to the relying party (its callback URL with `code` and `state`).
   */
  login(authorizationUrl: string, accountId: string): Promise<URL>
  close(): Promise<void>
}

/** Starts `oidc-provider` on localhost with `accounts` (account id → claims). */
export async function startOidcIdp(accounts: Map<string, IdpAccount>): Promise<OidcIdp> {
  const { server, origin, handle } = await listen()
  const { privateKey } = await generateKeyPair('RS256', { extractable: true })
  const kid = randomUUID()
  const jwk: JWK = { ...(await exportJWK(privateKey)), kid, alg: 'RS256', use: 'sig' }
  let client: { clientId: string; secret: string; redirectUri: string } | undefined
  return {
    issuer: origin,
    key: privateKey,
    kid,
    register(...registered) {
      client = registered[0]
      const provider = new Provider(origin, {
        clients: registered.map((one) => ({
          client_id: one.clientId,
          client_secret: one.secret,
          redirect_uris: [one.redirectUri],
          grant_types: ['authorization_code', 'refresh_token'],
          response_types: ['code'],
        })),
        jwks: { keys: [jwk] },
        cookies: { keys: ['groundwork-test-cookie-key'] },
        ttl: {
          AccessToken: 600,
          AuthorizationCode: 60,
          Grant: 600,
          IdToken: 600,
          Interaction: 600,
          Session: 600,
        },
        claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
        features: { devInteractions: { enabled: true } },
        pkce: { required: () => true },
        async findAccount(_ctx, id) {
          const account = accounts.get(id)
          if (!account) return undefined
          return { accountId: id, claims: async () => ({ sub: id, ...account }) }
        },
        // Consent is not what these tests are about: every grant is pre-approved.
        async loadExistingGrant(ctx) {
          const { Grant } = ctx.oidc.provider
          const grant = new Grant({
            clientId: ctx.oidc.client?.clientId ?? '',
            accountId: ctx.oidc.session?.accountId ?? '',
          })
          grant.addOIDCScope('openid email profile offline_access')
          grant.addOIDCClaims(['email', 'email_verified', 'name'])
          await grant.save()
          return grant
        },
      })
      provider.on('server_error', (_ctx, error) => console.error('oidc-provider:', error))
      handle(provider.callback())
    },
    async idToken(claims, options = {}) {
      if (!client) throw new Error('register a client first')
      return new SignJWT({ email_verified: true, aud: client.clientId, ...claims })
        .setProtectedHeader({ alg: 'RS256', kid })
        .setIssuer(origin)
        .setIssuedAt()
        .setExpirationTime(options.expiresIn ?? '5m')
        .sign(options.key ?? privateKey)
    },
    async login(authorizationUrl, accountId) {
      const browser = new Browser()
      let response = await browser.get(authorizationUrl)
      for (let hop = 0; hop < 10; hop++) {
        const location = response.headers.get('location')
        if (!location) throw new Error(`IdP stopped at ${response.status}: ${await response.text()}`)
        const url = new URL(location, origin)
        if (url.origin !== origin) return url
        if (/^\/interaction\/[^/]+$/.test(url.pathname)) {
          const page = await browser.get(url.toString())
          await page.text()
          response = await browser.get(url.toString(), {
            method: 'POST',
            headers: { 'content-type': 'application/x-www-form-urlencoded' },
            body: new URLSearchParams({ prompt: 'login', login: accountId, password: 'any' }).toString(),
          })
        } else {
          response = await browser.get(url.toString())
        }
      }
      throw new Error('too many redirects at the IdP')
    },
    close: () => close(server),
  }
}

/** A GitHub user of the fake GitHub. */
export interface GitHubUser {
  id: number
  login: string
  name: string
  emails: { email: string; primary: boolean; verified: boolean }[]
}

/** A running GitHub-shaped OAuth 2 server (`/login/oauth/*`, `/api/v3/user`, `/api/v3/user/emails`). */
export interface GitHubServer {
  url: string
  register(client: { clientId: string; secret: string }): void
  /** "Signs in" as `login` at the authorization URL and returns the redirect to the callback. */
  login(authorizationUrl: string, login: string): Promise<URL>
  close(): Promise<void>
}

/** Starts the GitHub-shaped server with `users` (login → user). */
export async function startGitHub(users: Map<string, GitHubUser>): Promise<GitHubServer> {
  const { server, origin, handle } = await listen()
  let client: { clientId: string; secret: string } | undefined
  const codes = new Map<string, { login: string; redirectUri: string; challenge: string }>()
  const tokens = new Map<string, string>()
  const send = (res: ServerResponse, status: number, body: unknown) =>
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body))

  handle((req, res) => {
    const url = new URL(req.url ?? '/', origin)
    if (req.method === 'GET' && url.pathname === '/login/oauth/authorize') {
      const q = url.searchParams
      const login = q.get('test_login') ?? ''
      if (
        q.get('client_id') !== client?.clientId ||
        !users.has(login) ||
        q.get('code_challenge_method') !== 'S256'
      ) {
        return send(res, 400, { error: 'bad authorize request' })
      }
      const code = randomUUID()
      codes.set(code, {
        login,
        redirectUri: q.get('redirect_uri') ?? '',
        challenge: q.get('code_challenge') ?? '',
      })
      const back = new URL(q.get('redirect_uri') ?? '')
      back.searchParams.set('code', code)
      back.searchParams.set('state', q.get('state') ?? '')
      return res.writeHead(302, { location: back.toString() }).end()
    }
    if (req.method === 'POST' && url.pathname === '/login/oauth/access_token') {
      let text = ''
      req.on('data', (chunk) => (text += chunk))
      req.on('end', () => {
        const form = new URLSearchParams(text)
        const grant = codes.get(form.get('code') ?? '')
        codes.delete(form.get('code') ?? '')
        const verifier = form.get('code_verifier') ?? ''
        const challenge = createHash('sha256').update(verifier).digest('base64url')
        if (
          form.get('client_id') !== client?.clientId ||
          form.get('client_secret') !== client?.secret ||
          !grant ||
          grant.redirectUri !== form.get('redirect_uri') ||
          grant.challenge !== challenge
        ) {
          return send(res, 400, { error: 'bad_verification_code' })
        }
        const token = `gho_${randomUUID().replaceAll('-', '')}`
        tokens.set(token, grant.login)
        send(res, 200, { access_token: token, token_type: 'bearer', scope: 'user:email' })
      })
      return
    }
    const bearer = /^Bearer (.+)$/i.exec(req.headers.authorization ?? '')?.[1] ?? ''
    const user = users.get(tokens.get(bearer) ?? '')
    if (req.method === 'GET' && url.pathname.startsWith('/api/v3/user')) {
      if (!user) return send(res, 401, { message: 'Bad credentials' })
      if (url.pathname === '/api/v3/user') {
        return send(res, 200, {
          id: user.id,
          login: user.login,
          name: user.name,
          avatar_url: `${origin}/avatars/${user.id}`,
          email: null,
        })
      }
      if (url.pathname === '/api/v3/user/emails') return send(res, 200, user.emails)
    }
    send(res, 404, { message: 'Not Found' })
  })
  return {
    url: origin,
    register(registered) {
      client = registered
    },
    async login(authorizationUrl, login) {
      const url = new URL(authorizationUrl)
      url.searchParams.set('test_login', login)
      const response = await fetch(url, { redirect: 'manual' })
      const location = response.headers.get('location')
      if (!location) throw new Error(`GitHub refused: ${response.status} ${await response.text()}`)
      return new URL(location)
    },
    close: () => close(server),
  }
}
