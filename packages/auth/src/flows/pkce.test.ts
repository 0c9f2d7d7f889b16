import { createHash } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { AuthError } from '../errors'
import { authenticationMethodFor, parsePkceParams } from './pkce'

const verifier = 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk'
const challenge = createHash('sha256').update(verifier).digest('base64url')

describe('parsePkceParams (GoTrue validatePKCEParams)', () => {
  it('is the implicit flow without a challenge', () => {
    expect(parsePkceParams({})).toBeNull()
    expect(parsePkceParams({ code_challenge: '', code_challenge_method: '' })).toBeNull()
  })

  it('accepts s256 and plain, case-insensitively', () => {
    expect(parsePkceParams({ code_challenge: challenge, code_challenge_method: 'S256' })).toEqual({
      challenge,
      method: 's256',
    })
    expect(parsePkceParams({ code_challenge: verifier, code_challenge_method: 'plain' })?.method).toBe(
      'plain',
    )
  })

  it('refuses half a pair, bad lengths, bad characters and unknown methods with validation_failed', () => {
    const refused = (params: Record<string, unknown>, message: RegExp) => {
      let error: unknown
      try {
        parsePkceParams(params)
      } catch (caught) {
        error = caught
      }
      expect(error).toBeInstanceOf(AuthError)
      expect(error).toMatchObject({ errorCode: 'validation_failed', status: 400 })
      expect((error as Error).message).toMatch(message)
    }
    refused({ code_challenge: challenge }, /requires code_challenge_method and code_challenge/)
    refused({ code_challenge_method: 's256' }, /requires code_challenge_method and code_challenge/)
    refused({ code_challenge: 'a'.repeat(42), code_challenge_method: 's256' }, /between 43 and 128/)
    refused({ code_challenge: 'a'.repeat(129), code_challenge_method: 's256' }, /between 43 and 128/)
    refused({ code_challenge: `${'a'.repeat(43)}+`, code_challenge_method: 's256' }, /alphanumeric/)
    refused({ code_challenge: challenge, code_challenge_method: 'sha1' }, /unsupported/)
  })
})

describe('authenticationMethodFor', () => {
  it("maps /verify types to GoTrue's authentication methods", () => {
    expect(authenticationMethodFor('signup')).toBe('email/signup')
    expect(authenticationMethodFor('magiclink')).toBe('magiclink')
    expect(authenticationMethodFor('recovery')).toBe('recovery')
    expect(authenticationMethodFor('invite')).toBe('invite')
    expect(authenticationMethodFor('email_change')).toBe('email_change')
  })
})
