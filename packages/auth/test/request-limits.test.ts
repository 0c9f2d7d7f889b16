import { HOSTILE, postOversizeBody } from '@groundwork/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type CoreStack, createCoreStack } from './core-support'

// The body reader's limits through a real node:http server: an oversized body is refused while
// it streams in (413, GoTrue-shaped, the process' memory flat), a JSON nesting bomb is 400
// `bad_json` before anything walks it.

// Above the default (64 KiB), so that the 200 KB nesting bomb below reaches the depth check.
const LIMIT = 256 * 1024
let stack: CoreStack
let token = ''

beforeAll(async () => {
  // Mounted relative (as `app.use('/auth/v1', …)` hands it over): no basePath.
  stack = await createCoreStack({ basePath: '', maxBodyBytes: LIMIT })
  token = (await stack.auth.api.signUp({})).session?.access_token as string
})
afterAll(async () => {
  await stack.close()
})

describe('request body limits', () => {
  it.each(['/signup', '/token?grant_type=password'])(
    'refuses a body past maxBodyBytes on %s with 413 validation_failed, without buffering it',
    async (path) => {
      const result = await postOversizeBody({
        handler: stack.auth.handler,
        path,
        limit: LIMIT,
        headers: { 'x-supabase-api-version': '2024-01-01' },
      })
      expect(result.status).toBe(413)
      expect(result.body).toEqual({
        code: 'validation_failed',
        message: `The request body is larger than ${LIMIT} bytes`,
      })
      expect(result.headers['x-sb-error-code']).toBe('validation_failed')
      expect(result.rssGrowth).toBeLessThan(20 * 1024 * 1024)
    },
  )

  it.each([
    ['POST', '/signup', false],
    ['PUT', '/user', true],
  ])(
    'answers a 100,000-deep JSON body to %s %s with 400 bad_json, never a 500',
    async (method, path, signedIn) => {
      const response = await stack.auth.handler(
        new Request(`http://auth.test${path}`, {
          method,
          headers: {
            'content-type': 'application/json',
            'x-supabase-api-version': '2024-01-01',
            ...(signedIn ? { authorization: `Bearer ${token}` } : {}),
          },
          body: HOSTILE.deepJson(100_000),
        }),
      )
      expect(response.status).toBe(400)
      expect(await response.json()).toEqual({
        code: 'bad_json',
        message: 'Could not parse request body as JSON: JSON nested deeper than 128 levels',
      })
    },
  )
})
