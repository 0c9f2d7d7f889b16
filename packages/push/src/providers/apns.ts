import { createPrivateKey } from 'node:crypto'
import { optionsSchema, parseOptions } from '@groundwork/core/kit'
import { ApnsClient, Host } from 'apns2'
import { z } from 'zod'
import { classifyApnsError } from './apns-errors'
import { apnsNotification } from './apns-notification'
import type { ApnsEnvironment, DeliveryResult, PushDevice, PushMessage, PushProvider } from './provider'

/** Options of {@link apnsProvider}. */
export interface ApnsProviderOptions {
  /** The token-signing key (`AuthKey_XXXXXXXXXX.p8`, PEM) from Apple Developer → Keys. Validated at creation. Required. */
  key: string
  /** The key's 10-character id. Required. */
  keyId: string
  /** Your 10-character Apple team id. Required. */
  teamId: string
  /** `apns-topic` (the app's bundle id) for devices registered without a topic. Required. */
  topic: string
  /**
   * Gateway host per environment (apns2 always connects to port 443); override for proxies and
   * tests. With one host for both, `BadDeviceToken` cannot be checked against the other
   * environment and fails the delivery instead of pruning the device.
   * @default { production: 'api.push.apple.com', sandbox: 'api.sandbox.push.apple.com' }
   */
  hosts?: { production?: string; sandbox?: string }
  /** Milliseconds one send may take before it is retried later. @default 30000 */
  requestTimeout?: number
}

function normalizePem(value: string): string {
  return value.includes('\\n') && !value.includes('\n') ? value.replaceAll('\\n', '\n') : value
}

function isP256PrivateKey(pem: string): boolean {
  try {
    const key = createPrivateKey(pem)
    return key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1'
  } catch {
    return false
  }
}

const APPLE_ID = /^[A-Z0-9]{10}$/
const host = z
  .string()
  .regex(/^[A-Za-z0-9.-]{1,253}$/, 'must be a host name or IPv4 address (apns2 connects to port 443)')

const apnsOptionsSchema = optionsSchema<ApnsProviderOptions>()(
  z.object({
    key: z
      .string()
      .transform(normalizePem)
      .refine(isP256PrivateKey, 'must be the .p8 APNs signing key (a PEM EC P-256 private key)'),
    keyId: z.string().regex(APPLE_ID, 'must be the 10-character key id (A-Z, 0-9)'),
    teamId: z.string().regex(APPLE_ID, 'must be the 10-character team id (A-Z, 0-9)'),
    topic: z.string().min(1).max(255),
    hosts: z
      .object({ production: host.default(Host.production), sandbox: host.default(Host.development) })
      .default({ production: Host.production, sandbox: Host.development }),
    requestTimeout: z.number().int().positive().default(30_000),
  }),
)

/** The APNs provider: `handles: ['apns']`. */
export interface ApnsProvider extends PushProvider {
  readonly name: 'apns'
}

type Attempt = { verdict: ReturnType<typeof classifyApnsError> | 'sent'; result: DeliveryResult }

/**
 * Delivers to APNs devices with token-based authentication (an ES256 provider token signed with
 * the .p8 key, refreshed by apns2 before Apple's one-hour limit) through `apns2`, over HTTP/2 to
 * the production or sandbox gateway each device was registered for. A `BadDeviceToken` is checked
 * against the other environment before the device is pruned: when the other gateway accepts it,
 * the delivery counts as sent and the device's environment is corrected.
 *
 * @example
 * ```ts
 * const apns = apnsProvider({ key: process.env.PUSH_APNS_KEY!, keyId: 'ABC123DEFG', teamId: 'DEF123GHIJ', topic: 'com.example.app' })
 * ```
 * @see https://developer.apple.com/documentation/usernotifications/establishing-a-token-based-connection-to-apns
 */
export function apnsProvider(options: ApnsProviderOptions): ApnsProvider {
  const resolved = parseOptions(apnsOptionsSchema, options, 'apnsProvider')
  const clients = new Map<string, ApnsClient>()

  function clientFor(environment: ApnsEnvironment): ApnsClient {
    const gateway = resolved.hosts[environment]
    let client = clients.get(gateway)
    if (!client) {
      client = new ApnsClient({
        team: resolved.teamId,
        keyId: resolved.keyId,
        signingKey: resolved.key,
        defaultTopic: resolved.topic,
        host: gateway,
      })
      clients.set(gateway, client)
    }
    return client
  }

  async function attempt(
    device: PushDevice,
    message: PushMessage,
    environment: ApnsEnvironment,
  ): Promise<Attempt> {
    const notification = apnsNotification(device.token, message, device.topic ?? resolved.topic)
    let timer: NodeJS.Timeout | undefined
    try {
      await Promise.race([
        clientFor(environment).send(notification),
        new Promise((_, reject) => {
          timer = setTimeout(
            () => reject(Object.assign(new Error('no answer'), { code: 'ETIMEDOUT' })),
            resolved.requestTimeout,
          )
        }),
      ])
      return { verdict: 'sent', result: { outcome: 'sent' } }
    } catch (error) {
      const status = (error as { statusCode?: unknown }).statusCode
      const reason = (error as { reason?: unknown }).reason
      if (typeof status === 'number' && typeof reason === 'string') {
        const verdict = classifyApnsError(status, reason)
        const text = `APNs (${environment}) answered ${status} ${reason}`
        const outcome = verdict === 'check-environment' ? 'prune' : verdict
        return { verdict, result: { outcome, code: reason, message: text, status } as DeliveryResult }
      }
      const code = (error as { code?: string }).code === 'ETIMEDOUT' ? 'TIMEOUT' : 'NETWORK_ERROR'
      return {
        verdict: 'retry',
        result: { outcome: 'retry', code, message: `APNs request failed: ${(error as Error).message}` },
      }
    } finally {
      clearTimeout(timer)
    }
  }

  return {
    name: 'apns',
    handles: ['apns'],
    async send(device, message): Promise<DeliveryResult> {
      const environment: ApnsEnvironment = device.environment ?? 'production'
      const first = await attempt(device, message, environment)
      if (first.verdict !== 'check-environment') return first.result
      const other: ApnsEnvironment = environment === 'production' ? 'sandbox' : 'production'
      if (resolved.hosts[other] === resolved.hosts[environment]) {
        return {
          outcome: 'failed',
          code: 'BadDeviceToken',
          message: `APNs answered BadDeviceToken; both environments use ${resolved.hosts[other]}, so the token's environment could not be checked (device kept)`,
          status: 400,
        }
      }
      const second = await attempt(device, message, other)
      if (second.verdict === 'sent') return { outcome: 'sent', environment: other }
      if (second.verdict === 'check-environment' || second.verdict === 'prune') {
        return {
          outcome: 'prune',
          code: 'BadDeviceToken',
          message: `APNs answered BadDeviceToken in ${environment} and ${second.result.outcome === 'prune' ? (second.result as { code: string }).code : 'BadDeviceToken'} in ${other}`,
          status: 400,
        }
      }
      return second.result
    },
    async close() {
      const all = [...clients.values()]
      clients.clear()
      await Promise.all(all.map((client) => client.close().catch(() => {})))
    },
  }
}
