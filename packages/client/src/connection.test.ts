import { describe, expect, it } from 'vitest'
import { createConnection } from './connection'
import { GroundworkClientError } from './errors'

/** A fetch that records the headers each request carried and answers 204. */
function recordingFetch() {
  const seen: Headers[] = []
  const doFetch: typeof fetch = async (_input, init) => {
    seen.push(new Headers(init?.headers))
    return new Response(null, { status: 204 })
  }
  return { seen, doFetch }
}

describe('createConnection', () => {
  it('sends the key as apikey and as the bearer token while nobody is signed in', async () => {
    const { seen, doFetch } = recordingFetch()
    const connection = createConnection('https://api.example.com/', 'pk', {
      fetch: doFetch,
      headers: { 'x-app': 'a' },
    })
    await connection.fetch('https://api.example.com/rest/v1/todos')
    expect(seen[0]?.get('apikey')).toBe('pk')
    expect(seen[0]?.get('authorization')).toBe('Bearer pk')
    expect(seen[0]?.get('x-app')).toBe('a')
  })

  it('sends the token source’s current token, and the key again when it has none', async () => {
    const { seen, doFetch } = recordingFetch()
    const connection = createConnection('https://api.example.com', 'pk', { fetch: doFetch })
    let token: string | null = 'user-token-1'
    connection.setAccessTokenSource(async () => token)
    await connection.fetch('https://api.example.com/rest/v1/a')
    token = 'user-token-2'
    await connection.fetch('https://api.example.com/rest/v1/a')
    token = null
    await connection.fetch('https://api.example.com/rest/v1/a')
    expect(seen.map((h) => h.get('authorization'))).toEqual([
      'Bearer user-token-1',
      'Bearer user-token-2',
      'Bearer pk',
    ])
  })

  it('never overrides an apikey or Authorization the caller set', async () => {
    const { seen, doFetch } = recordingFetch()
    const connection = createConnection('https://api.example.com', 'pk', {
      fetch: doFetch,
      accessToken: () => 'from-source',
    })
    await connection.fetch('https://api.example.com/x', {
      headers: { authorization: 'Bearer mine', apikey: 'k2' },
    })
    expect(seen[0]?.get('authorization')).toBe('Bearer mine')
    expect(seen[0]?.get('apikey')).toBe('k2')
  })

  it('builds service URLs under a base path, with overridable mount points', () => {
    const connection = createConnection('https://example.com/api/', 'pk', {
      paths: { rest: '/db', realtime: 'https://live.example.com/sse/' },
    })
    expect(connection.serviceUrl('rest')).toBe('https://example.com/api/db')
    expect(connection.serviceUrl('auth')).toBe('https://example.com/api/auth/v1')
    expect(connection.serviceUrl('realtime')).toBe('https://live.example.com/sse')
  })

  it('tells token holders about changes until they unsubscribe', () => {
    const connection = createConnection('https://example.com', 'pk')
    const changes: string[] = []
    const off = connection.onTokenChange((change) => changes.push(change))
    connection.notifyTokenChange('SIGNED_IN')
    off()
    connection.notifyTokenChange('SIGNED_OUT')
    expect(changes).toEqual(['SIGNED_IN'])
  })

  it('refuses a relative or non-http URL and an empty key, naming the option', () => {
    const attempt = (url: string, key: string) => {
      try {
        createConnection(url, key)
      } catch (error) {
        return error
      }
      return undefined
    }
    for (const [url, key, field] of [
      ['/relative', 'pk', 'url'],
      ['ftp://example.com', 'pk', 'url'],
      ['https://example.com', '', 'key'],
    ] as const) {
      const error = attempt(url, key)
      expect(error).toBeInstanceOf(GroundworkClientError)
      expect(error).toMatchObject({ code: 'CLIENT_INVALID_OPTIONS' })
      expect((error as Error).message.startsWith(`${field}:`)).toBe(true)
    }
  })
})
