import { describe, expect, it } from 'vitest'
import { classifyFcmResponse, parseRetryAfter } from './fcm-errors'

const FCM = 'type.googleapis.com/google.firebase.fcm.v1.FcmError'
const BAD_REQUEST = 'type.googleapis.com/google.rpc.BadRequest'

function error(status: number, code: string, message: string, details: unknown[] = []) {
  return JSON.stringify({ error: { code: status, message, status: code, details } })
}

describe('classifyFcmResponse', () => {
  it('reads the message name of a success', () => {
    expect(classifyFcmResponse(200, {}, '{"name":"projects/p/messages/1"}')).toEqual({
      outcome: 'sent',
      providerMessageId: 'projects/p/messages/1',
    })
  })

  it('prunes on the definitive codes only', () => {
    const unregistered = error(404, 'NOT_FOUND', 'Requested entity was not found.', [
      { '@type': FCM, errorCode: 'UNREGISTERED' },
    ])
    expect(classifyFcmResponse(404, {}, unregistered)).toMatchObject({
      outcome: 'prune',
      code: 'UNREGISTERED',
    })
    const mismatch = error(403, 'PERMISSION_DENIED', 'SenderId mismatch', [
      { '@type': FCM, errorCode: 'SENDER_ID_MISMATCH' },
    ])
    expect(classifyFcmResponse(403, {}, mismatch)).toMatchObject({
      outcome: 'prune',
      code: 'SENDER_ID_MISMATCH',
    })
    const invalidToken = error(
      400,
      'INVALID_ARGUMENT',
      'The registration token is not a valid FCM registration token',
      [{ '@type': FCM, errorCode: 'INVALID_ARGUMENT' }],
    )
    expect(classifyFcmResponse(400, {}, invalidToken)).toMatchObject({
      outcome: 'prune',
      code: 'INVALID_ARGUMENT',
    })
    const tokenViolation = error(400, 'INVALID_ARGUMENT', 'Invalid registration token', [
      {
        '@type': BAD_REQUEST,
        fieldViolations: [{ field: 'message.token', description: 'Invalid registration token' }],
      },
    ])
    expect(classifyFcmResponse(400, {}, tokenViolation)).toMatchObject({ outcome: 'prune' })
  })

  it('never prunes on a payload error, even one mentioning the token elsewhere', () => {
    const payload = error(
      400,
      'INVALID_ARGUMENT',
      "Invalid value at 'message.data[0].value' (TYPE_STRING), 12",
      [
        {
          '@type': BAD_REQUEST,
          fieldViolations: [{ field: 'message.data[0].value', description: 'Invalid value' }],
        },
        { '@type': FCM, errorCode: 'INVALID_ARGUMENT' },
      ],
    )
    expect(classifyFcmResponse(400, {}, payload)).toMatchObject({
      outcome: 'failed',
      code: 'INVALID_ARGUMENT',
    })
    const both = error(400, 'INVALID_ARGUMENT', 'registration token and payload', [
      {
        '@type': BAD_REQUEST,
        fieldViolations: [{ field: 'message.token' }, { field: 'message.android.ttl' }],
      },
    ])
    expect(classifyFcmResponse(400, {}, both)).toMatchObject({ outcome: 'failed' })
    const tooBig = error(400, 'INVALID_ARGUMENT', 'Message is too big', [
      { '@type': FCM, errorCode: 'INVALID_ARGUMENT' },
    ])
    expect(classifyFcmResponse(400, {}, tooBig)).toMatchObject({ outcome: 'failed' })
    // 404 without UNREGISTERED: a wrong project, not a dead token.
    expect(
      classifyFcmResponse(404, {}, error(404, 'NOT_FOUND', 'Requested entity was not found.')),
    ).toMatchObject({
      outcome: 'failed',
      code: 'NOT_FOUND',
    })
    expect(
      classifyFcmResponse(
        401,
        {},
        error(401, 'UNAUTHENTICATED', 'x', [{ '@type': FCM, errorCode: 'THIRD_PARTY_AUTH_ERROR' }]),
      ),
    ).toMatchObject({
      outcome: 'failed',
      code: 'THIRD_PARTY_AUTH_ERROR',
    })
  })

  it('retries 429, 500 and 503 with their Retry-After, and an unauthenticated 401', () => {
    const unavailable = error(503, 'UNAVAILABLE', 'The service is currently unavailable.', [
      { '@type': FCM, errorCode: 'UNAVAILABLE' },
    ])
    expect(classifyFcmResponse(503, { 'retry-after': '7' }, unavailable)).toMatchObject({
      outcome: 'retry',
      code: 'UNAVAILABLE',
      retryAfterMs: 7000,
    })
    expect(
      classifyFcmResponse(
        429,
        {},
        error(429, 'RESOURCE_EXHAUSTED', 'quota', [{ '@type': FCM, errorCode: 'QUOTA_EXCEEDED' }]),
      ),
    ).toMatchObject({
      outcome: 'retry',
      code: 'QUOTA_EXCEEDED',
    })
    expect(classifyFcmResponse(500, {}, 'not json')).toMatchObject({ outcome: 'retry', code: 'HTTP_500' })
    expect(classifyFcmResponse(401, {}, error(401, 'UNAUTHENTICATED', 'expired'))).toMatchObject({
      outcome: 'retry',
      code: 'UNAUTHENTICATED',
    })
  })

  it('reads Retry-After as seconds or an HTTP date', () => {
    const now = Date.parse('2025-01-01T00:00:00Z')
    expect(parseRetryAfter('120', now)).toBe(120_000)
    expect(parseRetryAfter('Wed, 01 Jan 2025 00:00:30 GMT', now)).toBe(30_000)
    expect(parseRetryAfter('soon', now)).toBeUndefined()
    expect(parseRetryAfter(undefined, now)).toBeUndefined()
  })
})
