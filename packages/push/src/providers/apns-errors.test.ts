import { describe, expect, it } from 'vitest'
import { classifyApnsError } from './apns-errors'

describe('classifyApnsError', () => {
  it('prunes on Unregistered and checks the environment on BadDeviceToken', () => {
    expect(classifyApnsError(410, 'Unregistered')).toBe('prune')
    expect(classifyApnsError(400, 'BadDeviceToken')).toBe('check-environment')
  })

  it('retries what may pass later', () => {
    for (const [status, reason] of [
      [429, 'TooManyRequests'],
      [500, 'InternalServerError'],
      [503, 'ServiceUnavailable'],
      [503, 'Shutdown'],
      [403, 'ExpiredProviderToken'],
      [429, 'TooManyProviderTokenUpdates'],
    ] as const) {
      expect(classifyApnsError(status, reason)).toBe('retry')
    }
  })

  it('fails, keeping the device, on payload and configuration errors', () => {
    for (const [status, reason] of [
      [413, 'PayloadTooLarge'],
      [400, 'BadTopic'],
      [400, 'DeviceTokenNotForTopic'],
      [400, 'TopicDisallowed'],
      [400, 'BadCollapseId'],
      [403, 'InvalidProviderToken'],
      [400, 'InvalidPushType'],
    ] as const) {
      expect(classifyApnsError(status, reason)).toBe('failed')
    }
  })
})
