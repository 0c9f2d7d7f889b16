import { createHash } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { AuthError } from '../errors'
import { authenticationMethodFor, parsePkce } from './pkce'

const verifier = 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk'
const challenge = createHash('sha256').update(verifier).digest('base64url')

describe('parsePkce (GoTrue validatePKCEParams)', () => {
  it('is the implicit flow without a challenge', () => {
    expect(parsePkce({})).toBeNull()
    expect(parsePkce({ codeChallenge: '', codeChallengeMethod: '' })).toBeNull()
  })

  it('accepts s256 and plain, case-insensitively', () => {
    expect(parsePkce({ codeChallenge: challenge, codeChallengeMethod: 'S256' })).toEqual({
      challenge,
      method: 's256',
    })
    expect(parsePkce({ codeChallenge: verifier, codeChallengeMethod: 'plain' })?.method).toBe('plain')
  })

  it('refuses half a pair, bad lengths, bad characters and unknown methods with validation_failed', () => {
    const refused = (params: Record<string, unknown>, message: RegExp) => {
      let error: unknown
      try {
        parsePkce(params)
      } catch (caught) {
        error = caught
      }
      expect(error).toBeInstanceOf(AuthError)
      expect(error).toMatchObject({ errorCode: 'validation_failed', status: 400 })
      expect((error as Error).message).toMatch(message)
    }
    refused({ codeChallenge: challenge }, /requires code_challenge_method and code_challenge/)
    refused({ codeChallengeMethod: 's256' }, /requires code_challenge_method and code_challenge/)
    refused({ codeChallenge: 'a'.repeat(42), codeChallengeMethod: 's256' }, /between 43 and 128/)
    refused({ codeChallenge: 'a'.repeat(129), codeChallengeMethod: 's256' }, /between 43 and 128/)
    refused({ codeChallenge: `${'a'.repeat(43)}+`, codeChallengeMethod: 's256' }, /alphanumeric/)
    refused({ codeChallenge: challenge, codeChallengeMethod: 'sha1' }, /unsupported/)
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
