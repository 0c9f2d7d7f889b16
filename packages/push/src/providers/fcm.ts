import { createPrivateKey } from 'node:crypto'
import { optionsSchema, parseOptions } from '@groundwork/core/kit'
import { gaxios, JWT } from 'google-auth-library'
import { z } from 'zod'
import { Http2Client } from '../internal/http2-client'
import { classifyFcmResponse } from './fcm-errors'
import { fcmMessage } from './fcm-message'
import type { DeliveryResult, PushDevice, PushMessage, PushProvider } from './provider'

/** Google's OAuth 2.0 token endpoint, where google-auth-library sends service-account assertions. */
export const GOOGLE_TOKEN_URL = 'https://oauth2.googleapis.com/token'
/** The OAuth scope FCM HTTP v1 requires. */
export const FCM_SCOPE = 'https://www.googleapis.com/auth/firebase.messaging'
/** FCM's API origin. */
export const FCM_URL = 'https://fcm.googleapis.com'

/** A Google service-account key file (the fields FCM needs). */
export interface ServiceAccount {
  type: 'service_account'
  project_id: string
  private_key: string
  client_email: string
  private_key_id?: string
  /** @default 'https://oauth2.googleapis.com/token' */
  token_uri?: string
  [field: string]: unknown
}

/** Options of {@link fcmProvider}. */
export interface FcmProviderOptions {
  /** The service-account key: the JSON text (as in `PUSH_FCM_CREDENTIALS`) or the parsed object. Validated at creation. Required. */
  credentials: string | ServiceAccount
  /** The Firebase project messages are sent through. @default credentials.project_id */
  projectId?: string
  /** Base URL replacing `https://fcm.googleapis.com` (tests, proxies; `http://` speaks HTTP/2 without TLS). @default 'https://fcm.googleapis.com' */
  url?: string
  /** Streams in flight on the one HTTP/2 connection (the server's own limit also applies). @default 100 */
  maxConcurrentStreams?: number
  /** Milliseconds one send may take before it is retried later. @default 30000 */
  requestTimeout?: number
}

/** Key files pasted into environment variables often carry `\n` as two characters. */
function normalizePem(value: string): string {
  return value.includes('\\n') && !value.includes('\n') ? value.replaceAll('\\n', '\n') : value
}

function isRsaPrivateKey(pem: string): boolean {
  try {
    return createPrivateKey(pem).asymmetricKeyType === 'rsa'
  } catch {
    return false
  }
}

const serviceAccountSchema = z.looseObject({
  type: z.literal('service_account', { error: 'must be "service_account" (a service-account key file)' }),
  project_id: z.string().min(1),
  private_key: z
    .string()
    .transform(normalizePem)
    .refine(isRsaPrivateKey, 'must be the PEM RSA private key of the service account'),
  client_email: z.email(),
  private_key_id: z.string().min(1).optional(),
  token_uri: z.url({ protocol: /^https?$/ }).default(GOOGLE_TOKEN_URL),
})

const credentialsSchema = z.preprocess((value, ctx) => {
  if (typeof value !== 'string') return value
  try {
    return JSON.parse(value)
  } catch {
    ctx.addIssue({
      code: 'custom',
      message:
        'must be the service-account JSON (the content of the key file from the Firebase console), not a path or an encoded string',
    })
    return z.NEVER
  }
}, serviceAccountSchema)

const fcmOptionsSchema = optionsSchema<FcmProviderOptions>()(
  z.object({
    // Checked in depth by `credentialsSchema` (after the JSON text is parsed).
    credentials: z.union([
      z.string(),
      z.custom<ServiceAccount>(
        (value) => typeof value === 'object' && value !== null,
        'must be the service-account JSON',
      ),
    ]),
    projectId: z.string().min(1).optional(),
    url: z
      .url({ protocol: /^https?$/ })
      .transform((url) => url.replace(/\/+$/, ''))
      .default(FCM_URL),
    maxConcurrentStreams: z.number().int().positive().max(10_000).default(100),
    requestTimeout: z.number().int().positive().default(30_000),
  }),
)

/** The FCM provider: `handles: ['fcm']`, plus its OAuth token source for inspection in tests. */
export interface FcmProvider extends PushProvider {
  readonly name: 'fcm'
  /** The Firebase project messages are sent through. */
  readonly projectId: string
}

/**
 * Access tokens for the service account through google-auth-library (`JWT`: a signed assertion
 * exchanged at the token endpoint), cached until five minutes before they expire, one refresh
 * at a time. The assertion goes to the key file's `token_uri` (google-auth-library itself always
 * posts to Google's; a real key file names that same URL).
 */
class TokenSource {
  readonly #jwt: JWT
  #cached: { token: string; refreshAt: number } | null = null
  #pending: Promise<string> | null = null

  constructor(account: z.output<typeof serviceAccountSchema>) {
    const transporter = new gaxios.Gaxios()
    const tokenUri = account.token_uri
    if (tokenUri !== GOOGLE_TOKEN_URL) {
      transporter.interceptors.request.add({
        resolved: async (config) => {
          if (config.url.href === GOOGLE_TOKEN_URL) config.url = new URL(tokenUri)
          return config
        },
      })
    }
    this.#jwt = new JWT({
      email: account.client_email,
      key: account.private_key,
      ...(account.private_key_id ? { keyId: account.private_key_id } : {}),
      scopes: [FCM_SCOPE],
      transporter,
    })
  }

  get(): Promise<string> | string {
    const cached = this.#cached
    if (cached && Date.now() < cached.refreshAt) return cached.token
    this.#pending ??= this.#fetch().finally(() => {
      this.#pending = null
    })
    return this.#pending
  }

  async #fetch(): Promise<string> {
    const { token } = await this.#jwt.getAccessToken()
    if (!token) throw new Error('google-auth-library returned no access token')
    const expiry = this.#jwt.credentials.expiry_date ?? Date.now() + 3600_000
    this.#cached = { token, refreshAt: Math.max(Date.now(), expiry - 5 * 60_000) }
    return token
  }

  /** Forgets `token` (FCM refused it): the next `get()` mints a new one. */
  invalidate(token: string): void {
    if (this.#cached?.token !== token) return
    this.#cached = null
    // google-auth-library's own "expired" state: the next getAccessToken() forces a new assertion.
    this.#jwt.credentials = { refresh_token: 'jwt-placeholder', expiry_date: 1 }
  }
}

/**
 * Delivers to FCM devices through the FCM HTTP v1 API (`POST /v1/projects/{project}/messages:send`),
 * authenticated as a service account through google-auth-library (OAuth 2.0 access tokens cached
 * and refreshed), over one multiplexed HTTP/2 connection (node:http2). Answers are classified by
 * Google's `details[].errorCode`: see `docs/push.md#pruning`.
 *
 * @example
 * ```ts
 * const fcm = fcmProvider({ credentials: process.env.PUSH_FCM_CREDENTIALS! })
 * const push = createPush({ db, providers: [fcm], authenticate })
 * ```
 * @see https://firebase.google.com/docs/reference/fcm/rest/v1/projects.messages/send
 */
export function fcmProvider(options: FcmProviderOptions): FcmProvider {
  const resolved = parseOptions(fcmOptionsSchema, options, 'fcmProvider')
  const account = parseOptions(credentialsSchema, resolved.credentials, 'fcmProvider.credentials')
  const projectId = resolved.projectId ?? account.project_id
  const path = `/v1/projects/${encodeURIComponent(projectId)}/messages:send`
  const tokens = new TokenSource(account)
  const client = new Http2Client(resolved.url, {
    maxConcurrentStreams: resolved.maxConcurrentStreams,
    requestTimeout: resolved.requestTimeout,
  })
  // The message JSON is the same for every device of a notification: built once, token spliced in.
  const bodies = new WeakMap<PushMessage, string>()

  function bodyFor(token: string, message: PushMessage): string {
    let rest = bodies.get(message)
    if (rest === undefined) {
      const json = JSON.stringify(fcmMessage(message))
      rest = json === '{}' ? '' : `,${json.slice(1, -1)}`
      bodies.set(message, rest)
    }
    return `{"message":{"token":${JSON.stringify(token)}${rest}}}`
  }

  // The request headers change only with the access token: one object per token, reused.
  let headers: { token: string; value: Record<string, string> } | null = null
  function headersFor(token: string): Record<string, string> {
    if (headers?.token !== token) {
      headers = {
        token,
        value: {
          ':method': 'POST',
          ':path': path,
          authorization: `Bearer ${token}`,
          'content-type': 'application/json; charset=utf-8',
        },
      }
    }
    return headers.value
  }

  async function post(body: string, signal?: AbortSignal) {
    const cached = tokens.get()
    const token = typeof cached === 'string' ? cached : await cached
    const response = await client.request(headersFor(token), body, signal)
    return { token, response }
  }

  return {
    name: 'fcm',
    handles: ['fcm'],
    projectId,
    async send(device: PushDevice, message: PushMessage, context): Promise<DeliveryResult> {
      const body = bodyFor(device.token, message)
      try {
        let { token, response } = await post(body, context.signal)
        let result = classifyFcmResponse(response.status, response.headers, response.body)
        if (response.status === 401 && result.outcome === 'retry') {
          // The access token was refused (revoked, or expired early): mint another, try once more.
          tokens.invalidate(token)
          ;({ token, response } = await post(body, context.signal))
          result = classifyFcmResponse(response.status, response.headers, response.body)
        }
        return result
      } catch (error) {
        const code = (error as { code?: string }).code === 'ETIMEDOUT' ? 'TIMEOUT' : 'NETWORK_ERROR'
        return { outcome: 'retry', code, message: `FCM request failed: ${(error as Error).message}` }
      }
    },
    close: () => client.close(),
  }
}
