import { describe, expect, it } from 'vitest'
import { assertRegistrableRedirectUri, redirectUriMatches } from './redirect-uri'

describe('redirectUriMatches (RFC 8252 §7.3, supabase/auth#2703)', () => {
  const registered = [
    'https://app.example/cb',
    'http://127.0.0.1/callback',
    'http://[::1]:8080/cb?x=1',
    'com.example.app:/oauth',
  ]

  it('matches exactly', () => {
    expect(redirectUriMatches('https://app.example/cb', registered)).toBe(true)
    expect(redirectUriMatches('com.example.app:/oauth', registered)).toBe(true)
  })

  it('accepts any port on a registered loopback IP URI, with the same path and query', () => {
    expect(redirectUriMatches('http://127.0.0.1:51234/callback', registered)).toBe(true)
    expect(redirectUriMatches('http://[::1]:1/cb?x=1', registered)).toBe(true)
  })

  it('refuses everything else', () => {
    for (const uri of [
      'https://app.example/cb/',
      'https://app.example:444/cb',
      'https://APP.example/cb?x',
      'http://127.0.0.1:5000/other',
      'http://127.0.0.1:5000/callback?extra=1',
      'http://localhost:5000/callback',
      'http://127.0.0.2:5000/callback',
      'http://[::1]:1/cb?x=2',
      'http://127.0.0.1:5000/callback#frag',
      'http://user@127.0.0.1:5000/callback',
      'com.example.app:/oauth/x',
      'not a url',
    ]) {
      expect(redirectUriMatches(uri, registered), uri).toBe(false)
    }
  })
})

describe('assertRegistrableRedirectUri', () => {
  it('accepts https, loopback http and custom schemes', () => {
    for (const uri of [
      'https://a.example/cb',
      'http://127.0.0.1/cb',
      'http://[::1]/cb',
      'http://localhost:3000/cb',
      'com.example:/cb',
    ]) {
      expect(() => assertRegistrableRedirectUri(uri)).not.toThrow()
    }
  })

  it('refuses dangerous schemes, fragments, credentials, plain http and relative URIs', () => {
    for (const uri of [
      'javascript:alert(1)',
      'data:text/html,x',
      'file:///etc/passwd',
      'https://a.example/cb#x',
      'http://evil.example/cb',
      'https://u:p@a.example/',
      '/relative',
    ]) {
      expect(() => assertRegistrableRedirectUri(uri), uri).toThrow(
        expect.objectContaining({ code: 'OAUTH_INVALID_REDIRECT_URI' }),
      )
    }
  })
})
