import { describe, expect, it } from 'vitest'
import { rebaseRequest, stripBasePath } from './mount-path'
import { normalizeBasePath } from './options'

describe('stripBasePath', () => {
  it.each([
    ['/auth/v1/user?x=1', '/auth/v1', '/user?x=1'],
    ['/auth/v1', '/auth/v1', '/'],
    ['/auth/v1?x=1', '/auth/v1', '/?x=1'],
    ['/auth/v1/', '/auth/v1', '/'],
    ['/auth/v10/user', '/auth/v1', '/auth/v10/user'],
    ['/other/user', '/auth/v1', '/other/user'],
    ['/user', '', '/user'],
  ])('%s without %s is %s', (path, basePath, expected) => {
    expect(stripBasePath(path, basePath)).toBe(expected)
  })
})

describe('normalizeBasePath', () => {
  it.each([
    ['/auth/v1/', '/auth/v1'],
    ['/', ''],
    ['', ''],
    ['/a//', '/a'],
  ])('%s → %s', (input, expected) => {
    expect(normalizeBasePath(input)).toBe(expected)
  })
})

describe('rebaseRequest', () => {
  it('keeps method, headers and the unread body, and names the prefix', async () => {
    const original = new Request('http://h/api/todos?x=1', {
      method: 'POST',
      headers: { 'content-type': 'text/plain', 'x-forwarded-prefix': '/spoofed' },
      body: 'hello',
    })
    const rebased = rebaseRequest(original, '/api')
    expect(rebased.url).toBe('http://h/todos?x=1')
    expect(rebased.method).toBe('POST')
    expect(rebased.headers.get('content-type')).toBe('text/plain')
    expect(rebased.headers.get('x-forwarded-prefix')).toBe('/api')
    expect(await rebased.text()).toBe('hello')
  })

  it('returns the same request when nothing is stripped', () => {
    const request = new Request('http://h/elsewhere')
    expect(rebaseRequest(request, '/api')).toBe(request)
    expect(rebaseRequest(request, '')).toBe(request)
  })

  it('follows the original signal', () => {
    const controller = new AbortController()
    const rebased = rebaseRequest(new Request('http://h/api/x', { signal: controller.signal }), '/api')
    controller.abort(new Error('gone'))
    expect(rebased.signal.aborted).toBe(true)
  })
})
