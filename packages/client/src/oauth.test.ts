import { describe, expect, it } from 'vitest'
import { createConnection } from './connection'
import { GroundworkClientError } from './errors'
import { createOAuthClient } from './oauth'

/** A fetch that records each request and answers with `respond`'s response. */
function fakeServer(respond: (request: Request) => Response) {
  const requests: Request[] = []
  const doFetch: typeof fetch = async (input, init) => {
    const request = new Request(input, init)
    requests.push(request.clone())
    return respond(request)
  }
  return { requests, doFetch }
}

describe('createOAuthClient', () => {
  it('reads authorization_id from the consent page URL, and null without one', () => {
    const oauth = createOAuthClient(createConnection('https://api.example.com', 'pk'))
    expect(oauth.readAuthorizationId('https://app.example/oauth/consent?authorization_id=abc-123')).toBe(
      'abc-123',
    )
    expect(oauth.readAuthorizationId(new URL('https://app.example/oauth/consent?authorization_id='))).toBe(
      null,
    )
    expect(oauth.readAuthorizationId('https://app.example/oauth/consent')).toBe(null)
    expect(oauth.readAuthorizationId('not a url')).toBe(null)
    // Node has no `location`: the default reads nothing.
    expect(oauth.readAuthorizationId()).toBe(null)
  })

  it('posts the decision as JSON to the consent endpoint of an encoded id, with the session token', async () => {
    const { requests, doFetch } = fakeServer(() =>
      Response.json({ redirect_url: 'https://client.example/cb?error=access_denied' }),
    )
    const connection = createConnection('https://api.example.com', 'pk', {
      fetch: doFetch,
      accessToken: () => 'user-token',
    })
    const result = await createOAuthClient(connection).deny('a/b')
    expect(result).toEqual({
      data: { redirect_url: 'https://client.example/cb?error=access_denied' },
      error: null,
    })
    const [request] = requests
    expect(request?.method).toBe('POST')
    expect(request?.url).toBe('https://api.example.com/auth/v1/oauth/authorizations/a%2Fb/consent')
    expect(request?.headers.get('authorization')).toBe('Bearer user-token')
    expect(request?.headers.get('content-type')).toBe('application/json')
    expect(await request?.json()).toEqual({ action: 'deny' })
  })

  it('revokes a grant by client_id in the query on the auth mount point, and answers null for 204', async () => {
    const { requests, doFetch } = fakeServer(() => new Response(null, { status: 204 }))
    const connection = createConnection('https://api.example.com/base', 'pk', {
      fetch: doFetch,
      paths: { auth: '/identity' },
    })
    expect(await createOAuthClient(connection).revokeGrant('c&d')).toEqual({ data: null, error: null })
    expect(requests[0]?.method).toBe('DELETE')
    expect(requests[0]?.url).toBe('https://api.example.com/base/identity/user/oauth/grants?client_id=c%26d')
  })

  it('turns an RFC 6749 error body into a GroundworkClientError with the error name as code', async () => {
    const { doFetch } = fakeServer(() =>
      Response.json(
        { error: 'invalid_token', error_description: 'This endpoint requires a Bearer token' },
        { status: 401 },
      ),
    )
    const oauth = createOAuthClient(createConnection('https://api.example.com', 'pk', { fetch: doFetch }))
    const { data, error } = await oauth.listGrants()
    expect(data).toBeNull()
    expect(error).toBeInstanceOf(GroundworkClientError)
    expect(error).toMatchObject({
      status: 401,
      code: 'invalid_token',
      message: 'This endpoint requires a Bearer token',
    })
  })
})
