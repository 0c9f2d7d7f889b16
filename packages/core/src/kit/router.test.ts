import { describe, expect, it } from 'vitest'
import { HttpError } from './errors'
import { decodeSegment, relativePath } from './paths'
import { createRouter } from './router'

const router = createRouter([
  { method: 'GET', path: '/jobs', handler: 'list' },
  { method: 'GET', path: '/jobs/stats', handler: 'stats' },
  { method: 'GET', path: '/jobs/:id', handler: 'get' },
  { method: 'POST', path: '/jobs/:id/retry', handler: 'retry' },
  { method: 'DELETE', path: '/jobs/:id', handler: 'delete' },
])

function failure(fn: () => unknown): HttpError {
  try {
    fn()
  } catch (error) {
    if (error instanceof HttpError) return error
    throw error
  }
  throw new Error('expected an HttpError')
}

describe('createRouter', () => {
  it('matches static routes before patterns listed after them, and decodes parameters', () => {
    expect(router.match('GET', '/jobs/stats').route.handler).toBe('stats')
    expect(router.match('GET', '/jobs/a%20b')).toMatchObject({
      route: { handler: 'get' },
      params: { id: 'a b' },
    })
    expect(router.match('post', '/jobs/7/retry').params).toEqual({ id: '7' })
    expect(router.match('GET', '/jobs/').route.handler).toBe('list')
  })

  it('answers 405 with Allow when only other methods match, 404 when nothing does', () => {
    const notAllowed = failure(() => router.match('PUT', '/jobs/1'))
    expect(notAllowed.code).toBe('HTTP_METHOD_NOT_ALLOWED')
    expect(notAllowed.status).toBe(405)
    expect(notAllowed.headers?.Allow).toBe('GET, DELETE, HEAD')
    expect(failure(() => router.match('GET', '/nope')).status).toBe(404)
    expect(failure(() => router.match('GET', '/jobs//retry')).status).toBe(404)
  })

  it('lets HEAD use the GET route', () => {
    expect(router.match('HEAD', '/jobs').route.handler).toBe('list')
  })

  it('refuses an encoded slash or malformed encoding in a parameter', () => {
    expect(failure(() => router.match('GET', '/jobs/a%2Fb')).code).toBe('HTTP_BAD_PATH')
    expect(failure(() => router.match('GET', '/jobs/%E0%A4%A')).code).toBe('HTTP_BAD_PATH')
    expect(() => decodeSegment('%2f')).toThrow(HttpError)
  })
})

describe('relativePath', () => {
  it('strips the base path only at a segment boundary', () => {
    expect(relativePath('/admin/jobs', '/admin')).toBe('/jobs')
    expect(relativePath('/admin', '/admin')).toBe('/')
    expect(relativePath('/administrator/jobs', '/admin')).toBe('/administrator/jobs')
    expect(relativePath('/jobs/', '')).toBe('/jobs')
  })
})
