import { describe, expect, it } from 'vitest'
import { composeHandlers } from './compose'
import { errorResponse, groundworkErrorFormat, json } from './kit/error-format'
import { createRouter } from './kit/router'

function routed(path: string, answer: string) {
  const router = createRouter([{ method: 'GET', path, handler: () => json({ answer }) }])
  return async (request: Request) => {
    try {
      const { route } = router.match(request.method, new URL(request.url).pathname)
      return route.handler()
    } catch (error) {
      return errorResponse(error, groundworkErrorFormat)
    }
  }
}

describe('composeHandlers', () => {
  const first = routed('/oauth/token', 'first')
  const second = routed('/user', 'second')
  const composed = composeHandlers(first, second)

  it('answers from the first handler with a route for the path', async () => {
    expect(await (await composed(new Request('http://x/oauth/token'))).json()).toEqual({ answer: 'first' })
  })

  it('falls through an unmatched route to the next handler', async () => {
    expect(await (await composed(new Request('http://x/user'))).json()).toEqual({ answer: 'second' })
  })

  it('does not fall through a 405: the path is the first handler’s', async () => {
    const response = await composed(new Request('http://x/oauth/token', { method: 'POST' }))
    expect(response.status).toBe(405)
  })

  it('does not fall through a 404 that a route returned itself', async () => {
    const own = async () => json({ message: 'no such user' }, 404)
    const response = await composeHandlers(own, second)(new Request('http://x/user'))
    expect(await response.json()).toEqual({ message: 'no such user' })
  })

  it('answers the last handler’s ordinary 404 when no handler has the route', async () => {
    const response = await composed(new Request('http://x/nowhere'))
    expect(response.status).toBe(404)
    expect(await response.json()).toMatchObject({ code: 'HTTP_NOT_FOUND' })
  })

  it('refuses to compose nothing', () => {
    expect(() => composeHandlers()).toThrow(TypeError)
  })
})
