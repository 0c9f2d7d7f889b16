import type { Auth } from '@groundwork/auth'
import type { Database, OnError } from '@groundwork/core'

/** Options of {@link createOAuthProvider}. */
export interface OAuthProviderOptions {
  /** The database (the same one auth runs on). */
  db: Database
  /** The auth service (`createAuth()`): users, sessions, signing, `authenticate`. */
  auth: Pick<Auth, 'api' | 'authenticate'>
  /**
   * The issuer identifier (RFC 8414 §2): the public URL the handler is mounted at, e.g.
   * `https://app.example/auth/v1`. Every metadata URL is built from it.
   */
  issuer: string
  /**
   * Where the authorization endpoint sends the browser for consent, with `?authorization_id=`:
   * a path on the issuer's origin (`/oauth/consent`) or an absolute URL.
   * @default '/oauth/consent'
   */
  consentUrl?: string
  /** Seconds an authorization request waits for consent and its code is redeemable. @default 600 */
  authorizationLifetime?: number
  /** Seconds an issued authorization code is redeemable (RFC 6749 §4.1.2 recommends ≤ 600). @default 60 */
  codeLifetime?: number
  /** Seconds a client-credentials access token lives. @default 3600 */
  clientCredentialsLifetime?: number
  /** Seconds an id_token lives. @default 3600 */
  idTokenLifetime?: number
  /** Algorithm of new id_token signing keys. @default 'RS256' */
  idTokenAlgorithm?: 'RS256' | 'ES256'
  /**
   * Keys (32 bytes, base64 or hex: `openssl rand -base64 32`) that encrypt the id_token signing
   * keys' private JWKs at rest with AES-256-GCM (core's `createSecretBox`), each bound to its
   * `kid`: the first seals new keys, every one opens. Keys stored before stay readable. The demo
   * reads them from `GROUNDWORK_ENCRYPTION_KEYS`. @default [] (stored as generated)
   */
  encryptionKeys?: string[]
  /** Accept `code_challenge_method=plain` (OAuth 2.1 discourages it). @default false */
  allowPlainPkce?: boolean
  /** Serve RFC 7591 dynamic registration at `POST /oauth/clients/register`. @default false */
  dynamicRegistration?: boolean
  /** Scopes clients may be registered with (besides `read write admin` for client credentials). @default ['openid','profile','email','phone','offline_access'] */
  scopes?: string[]
  /**
   * Resource indicators (RFC 8707) clients may ask tokens for; absent: any absolute https (or
   * loopback http) URL without a fragment.
   */
  resources?: string[] | undefined
  /** Token-endpoint requests per client address per minute (0: unlimited). @default 120 */
  tokenRateLimit?: number
  /** Dynamic registrations per client address per hour. @default 10 */
  registrationRateLimit?: number
  /** The client address of a request (rate limits). @default the first `X-Forwarded-For` hop, else none */
  clientIp?: ((request: Request) => string | undefined) | undefined
  /** Where the handler is mounted, when the host does not strip it (as `toNodeHandler` does). @default '' */
  basePath?: string
  /** Largest request body read. @default 65536 */
  maxBodyBytes?: number
  /** Called with errors answered as a 500. */
  onError?: OnError | undefined
}
