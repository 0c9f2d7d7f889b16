import { randomUUID } from 'node:crypto'
import { type Authenticate, createJwtAuthenticator, type Database } from '@groundwork/core'
import { signTestToken, TEST_JWT_SECRET } from '@groundwork/testing'

/** Polls `check` until it returns a truthy value or `timeout` ms pass. */
export async function waitFor<T>(
  check: () => Promise<T | null | undefined | false>,
  timeout = 20_000,
  every = 50,
): Promise<T> {
  const deadline = Date.now() + timeout
  for (;;) {
    const value = await check()
    if (value) return value
    if (Date.now() > deadline) throw new Error(`waitFor: condition not met within ${timeout} ms`)
    await new Promise((resolve) => setTimeout(resolve, every))
  }
}

/**
 * Core's JWT authenticator, plus what an API key of an app looks like to packages: a token with a
 * `test_scopes` claim becomes a principal narrowed to those scopes (kind `api-key`), as
 * `@groundwork/auth` reports keys.
 */
export function testAuthenticate(): Authenticate {
  const jwt = createJwtAuthenticator({ secret: TEST_JWT_SECRET })
  return async (request) => {
    const principal = await jwt(request)
    const scopes = principal.claims.test_scopes
    return Array.isArray(scopes) ? { ...principal, kind: 'api-key', scopes: scopes as string[] } : principal
  }
}

/** A signed-in user: id and access token. */
export async function testUser(): Promise<{ id: string; token: string; auth: Record<string, string> }> {
  const id = randomUUID()
  const token = await signTestToken({ role: 'authenticated', sub: id })
  return { id, token, auth: { authorization: `Bearer ${token}` } }
}

/** `count` hex APNs tokens. */
export function apnsToken(): string {
  return randomUUID().replaceAll('-', '') + randomUUID().replaceAll('-', '')
}

/** An FCM-looking registration token. */
export function fcmToken(): string {
  return `${randomUUID().replaceAll('-', '').slice(0, 22)}:APA91b${randomUUID().replaceAll('-', '')}${randomUUID().replaceAll('-', '')}`
}

/** Inserts devices directly (as the connecting user), for tests that need many. */
export async function insertDevices(
  db: Database,
  devices: {
    userId: string
    provider: 'fcm' | 'apns'
    token: string
    environment?: string
    topic?: string
  }[],
): Promise<string[]> {
  const { rows } = await db.query<{ id: string }>(
    `insert into push.devices (user_id, provider, token, environment, topic)
     select * from unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[]) returning id::text`,
    [
      devices.map((d) => d.userId),
      devices.map((d) => d.provider),
      devices.map((d) => d.token),
      devices.map((d) => d.environment ?? (d.provider === 'apns' ? 'production' : null)),
      devices.map((d) => d.topic ?? null),
    ],
  )
  return rows.map((row) => row.id)
}

/** Deliveries of a notification, by device id. */
export async function deliveries(
  db: Database,
  notificationId: string,
): Promise<Map<string, { status: string; attempts: number; error_code: string | null }>> {
  const { rows } = await db.query<{
    device_id: string
    status: string
    attempts: number
    error_code: string | null
  }>('select device_id::text, status, attempts, error_code from push.deliveries where notification_id = $1', [
    notificationId,
  ])
  return new Map(rows.map((row) => [row.device_id, row]))
}
