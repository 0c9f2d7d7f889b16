import { describe, expect, it } from 'vitest'
import { AuthError } from '../errors'
import { assertSingleScript, isValidEmail, normalizeEmail, requireAccountEmail } from './validation'

describe('normalizeEmail: one canonical form per address', () => {
  it.each([
    ['ｆｕｌｌ＠ｅｘａｍｐｌｅ．ｃｏｍ', 'full@example.com'],
    ['  Full@Example.COM ', 'full@example.com'],
    ['\u3000full@example.com\u3000', 'full@example.com'],
    ['ﬁle@example.com', 'file@example.com'],
    ['JOSÉ@EXAMPLE.COM', 'josé@example.com'],
    // é as e + combining acute: the same address as the precomposed one
    ['Jose\u0301@example.com', 'josé@example.com'],
    ['ＪＯＳＥ́@example.com', 'josé@example.com'],
  ])('%s → %s', (input, canonical) => {
    expect(normalizeEmail(input)).toBe(canonical)
    expect(normalizeEmail(canonical)).toBe(canonical)
  })
})

describe('isValidEmail', () => {
  it.each([
    ['full@example.com', true],
    ['josé@example.com', true],
    ['иван@пример.рф', true],
    ['\uFFFD@example.com', false],
    ['a\u200b@example.com', false],
    ['a\u202e@example.com', false],
    ['a\u0000@example.com', false],
    ['a\ud800@example.com', false],
    ['a@b', false],
  ])('%s → %s', (email, valid) => {
    expect(isValidEmail(email)).toBe(valid)
  })
})

describe('assertSingleScript: no label mixes writing systems', () => {
  it.each([
    'josé@example.com',
    'иван@пример.рф',
    'ivan.иван@example.com',
    'αλέξης@example.gr',
    '山田たろう@example.jp',
    '김철수@example.kr',
    'user+tag_1-x@sub.example.com',
    '123@example.com',
  ])('allows %s', (email) => {
    expect(() => assertSingleScript(email)).not.toThrow()
  })

  it.each([
    // Cyrillic р and а among Latin letters
    'раypal@example.com',
    // Greek ο in a Latin word
    'gοogle@example.com',
    // a confusable domain label
    'me@exаmple.com',
    'me@sub.exаmple.com',
  ])('refuses %s with 400 email_address_invalid', (email) => {
    let error: unknown
    try {
      assertSingleScript(email)
    } catch (caught) {
      error = caught
    }
    expect(error).toBeInstanceOf(AuthError)
    expect(error).toMatchObject({ errorCode: 'email_address_invalid', status: 400 })
  })

  it('checks the canonical form, so full-width look-alikes are judged as what they stand for', () => {
    expect(requireAccountEmail('ｆｕｌｌ＠ｅｘａｍｐｌｅ．ｃｏｍ', 'missing')).toBe('full@example.com')
    expect(() => requireAccountEmail('ｐаypal@example.com', 'missing')).toThrow(/mixes writing systems/)
  })
})
