import type { IncomingHttpHeaders } from 'node:http2'
import type { DeliveryResult } from './provider'

/** Google's error body, as the FCM HTTP v1 API answers it. */
interface GoogleError {
  error?: {
    code?: number
    message?: string
    status?: string
    details?: {
      '@type'?: string
      errorCode?: string
      fieldViolations?: { field?: string; description?: string }[]
    }[]
  }
}

const FCM_ERROR_TYPE = 'type.googleapis.com/google.firebase.fcm.v1.FcmError'
const BAD_REQUEST_TYPE = 'type.googleapis.com/google.rpc.BadRequest'

/**
 * `Retry-After` in milliseconds: delay-seconds or an HTTP-date; undefined when absent or unreadable.
 * @see https://www.rfc-editor.org/rfc/rfc9110#section-10.2.3
 */
export function parseRetryAfter(value: string | string[] | undefined, now = Date.now()): number | undefined {
  const text = Array.isArray(value) ? value[0] : value
  if (text === undefined || text.trim() === '') return undefined
  if (/^\d{1,10}$/.test(text.trim())) return Number(text.trim()) * 1000
  const date = Date.parse(text)
  return Number.isNaN(date) ? undefined : Math.max(0, date - now)
}

/**
 * What an FCM HTTP v1 answer means for one device. Only the definitive answers about the token
 * prune it:
 *
 * - 404 with `errorCode: UNREGISTERED` (the app was uninstalled or the token expired);
 * - 403 with `errorCode: SENDER_ID_MISMATCH` (the token belongs to another sender);
 * - 400 `INVALID_ARGUMENT` only when it is about the token: a `BadRequest` field violation on
 *   `message.token`, or Google's "The registration token is not a valid FCM registration token"
 *   with no field violation. A violation on any other field is a payload error: the delivery
 *   fails and the device stays.
 *
 * 429 (`QUOTA_EXCEEDED`), 500 (`INTERNAL`) and 503 (`UNAVAILABLE`) are retried, honouring
 * `Retry-After`; 401 `UNAUTHENTICATED` is retried after a token refresh by the caller. Anything
 * else fails the delivery without touching the device (a 404 without `UNREGISTERED` is a wrong
 * project, not a dead token).
 *
 * @see https://firebase.google.com/docs/reference/fcm/rest/v1/ErrorCode
 * @see https://firebase.google.com/docs/cloud-messaging/error-codes
 */
export function classifyFcmResponse(
  status: number,
  headers: IncomingHttpHeaders,
  body: string,
  now = Date.now(),
): DeliveryResult {
  let parsed: unknown = null
  try {
    parsed = body === '' ? null : JSON.parse(body)
  } catch {}
  if (status === 200) {
    const name = (parsed as { name?: unknown } | null)?.name
    return { outcome: 'sent', providerMessageId: typeof name === 'string' ? name : undefined }
  }
  const error = (parsed as GoogleError | null)?.error
  const details = Array.isArray(error?.details) ? error.details : []
  const fcmCode = details.find((d) => d?.['@type'] === FCM_ERROR_TYPE)?.errorCode
  const violations = details
    .filter((d) => d?.['@type'] === BAD_REQUEST_TYPE)
    .flatMap((d) => (Array.isArray(d.fieldViolations) ? d.fieldViolations : []))
  const code = typeof fcmCode === 'string' ? fcmCode : (error?.status ?? `HTTP_${status}`)
  const message = String(error?.message ?? `FCM answered ${status}`).slice(0, 500)
  const base = { code, message, status }

  if (status === 404 && fcmCode === 'UNREGISTERED') return { outcome: 'prune', ...base }
  if (status === 403 && fcmCode === 'SENDER_ID_MISMATCH') return { outcome: 'prune', ...base }
  if (status === 400 && (fcmCode === 'INVALID_ARGUMENT' || error?.status === 'INVALID_ARGUMENT')) {
    const aboutToken = violations.some((v) => v.field === 'message.token')
    const aboutPayload = violations.some((v) => v.field !== 'message.token')
    const saysTokenInvalid =
      violations.length === 0 && fcmCode === 'INVALID_ARGUMENT' && /registration token/i.test(message)
    if ((aboutToken || saysTokenInvalid) && !aboutPayload) return { outcome: 'prune', ...base }
    return { outcome: 'failed', ...base }
  }
  if (status === 429 || status === 500 || status === 503 || status === 502 || status === 504) {
    return { outcome: 'retry', ...base, retryAfterMs: parseRetryAfter(headers['retry-after'], now) }
  }
  if (status === 401 && fcmCode !== 'THIRD_PARTY_AUTH_ERROR') {
    return { outcome: 'retry', ...base, code: fcmCode ?? 'UNAUTHENTICATED' }
  }
  return { outcome: 'failed', ...base }
}
