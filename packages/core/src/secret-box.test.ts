import { randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { createSecretBox, encryptionKeysOption } from './secret-box'

const keyA = randomBytes(32).toString('base64')
const keyB = randomBytes(32).toString('hex')

describe('createSecretBox', () => {
  it('seals with AES-256-GCM and opens under the same context only', () => {
    const box = createSecretBox([keyA])
    const sealed = box.seal('whsec_c2VjcmV0', 'webhooks.secrets:e1')
    expect(sealed).toMatch(/^gwenc:v1:[0-9a-f]{8}:[A-Za-z0-9_-]+$/)
    expect(sealed).not.toContain('c2VjcmV0')
    expect(box.seal('whsec_c2VjcmV0', 'webhooks.secrets:e1')).not.toBe(sealed)
    expect(box.open(sealed, 'webhooks.secrets:e1')).toBe('whsec_c2VjcmV0')
    expect(() => box.open(sealed, 'webhooks.secrets:e2')).toThrow(/failed authentication/)
    const at = sealed.length - 5
    const tampered = `${sealed.slice(0, at)}${sealed[at] === 'A' ? 'B' : 'A'}${sealed.slice(at + 1)}`
    expect(() => box.open(tampered, 'webhooks.secrets:e1')).toThrow(/failed authentication/)
  })

  it('rotates: the first key seals, every key opens; a missing key is named', () => {
    const old = createSecretBox([keyA])
    const sealedOld = old.seal('seed', 'ctx')
    const rotated = createSecretBox([keyB, keyA])
    expect(rotated.open(sealedOld, 'ctx')).toBe('seed')
    const sealedNew = rotated.seal('seed', 'ctx')
    expect(sealedNew.split(':')[2]).not.toBe(sealedOld.split(':')[2])
    expect(() => old.open(sealedNew, 'ctx')).toThrow(/not among encryptionKeys/)
    // Stale: plaintext or another key's; what `resealSecrets` re-seals.
    expect([rotated.stale(sealedOld), rotated.stale(sealedNew), rotated.stale('plain')]).toEqual([
      true,
      false,
      true,
    ])
    expect(createSecretBox().stale('plain')).toBe(false)
  })

  it('without keys seals nothing and reads unsealed values as they are', () => {
    const none = createSecretBox()
    expect(none.sealing).toBe(false)
    expect(none.seal('plain', 'ctx')).toBe('plain')
    expect(createSecretBox([keyA]).open('plain', 'ctx')).toBe('plain')
  })

  it('validates keys: 32 bytes, base64 or hex', () => {
    expect(encryptionKeysOption.safeParse([keyA, keyB]).success).toBe(true)
    expect(encryptionKeysOption.safeParse(['short']).success).toBe(false)
    expect(encryptionKeysOption.safeParse([randomBytes(16).toString('base64')]).success).toBe(false)
    expect(() => createSecretBox(['nope'])).toThrow(/encryptionKeys\[0\]/)
  })
})
