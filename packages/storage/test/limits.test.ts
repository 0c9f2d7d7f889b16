/**
 * Request limits: JSON bodies past `maxBodyBytes` and uploads past the size limit are cut while
 * streaming (chunked, no Content-Length) with 413 in Storage's format, without the process
 * buffering them (the shared oversize-body check).
 */
import { postOversizeBody } from '@groundwork/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { countKeys, createStack, type Stack } from './helpers'

let stack: Stack
beforeAll(async () => {
  stack = await createStack('local', { maxBodyBytes: 16 * 1024, fileSizeLimit: 256 * 1024 })
})
afterAll(() => stack?.close())

describe('body limits', () => {
  it('cuts an oversize JSON body (list, sign, move) with 413 EntityTooLarge', async () => {
    for (const path of ['/object/list/docs', '/object/move', '/bucket']) {
      const result = await postOversizeBody({
        handler: stack.storage.handler,
        path,
        limit: 16 * 1024,
        headers: { authorization: `Bearer ${stack.tokens.service}` },
      })
      expect(result.status, path).toBe(413)
      expect(result.body).toMatchObject({ statusCode: '413', code: 'EntityTooLarge' })
      expect(result.rssGrowth).toBeLessThan(20 * 1024 * 1024)
    }
  })

  it('cuts a chunked upload past the size limit with 413 and stores nothing', async () => {
    const before = await countKeys(stack.backend)
    const result = await postOversizeBody({
      handler: stack.storage.handler,
      path: '/object/avatars/big.bin',
      limit: 256 * 1024,
      // 2 MiB in all: enough to pass the limit well, little left in flight when the server closes.
      multiple: 8,
      headers: {
        authorization: `Bearer ${stack.tokens.service}`,
        'content-type': 'application/octet-stream',
      },
    })
    expect(result.status).toBe(413)
    expect(result.body).toMatchObject({ statusCode: '413', code: 'EntityTooLarge' })
    expect(await countKeys(stack.backend)).toBe(before)
  })
})
