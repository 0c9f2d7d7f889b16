import { createPublicKey, verify } from 'node:crypto'
import { Webhook } from 'standardwebhooks'
import { describe, expect, it } from 'vitest'
import { generateAsymmetricKeys, generateSymmetricSecret, publicKeyOf, signatureHeader } from './signing'

describe('Standard Webhooks signatures', () => {
  it('v1 signatures verify with the standardwebhooks package, one per active secret', () => {
    const [a, b] = [generateSymmetricSecret(), generateSymmetricSecret()]
    const timestamp = Math.floor(Date.now() / 1000)
    const body = JSON.stringify({ type: 'INSERT', data: { x: 1 } })
    const header = signatureHeader(
      [
        { kind: 'v1', secret: a },
        { kind: 'v1', secret: b },
      ],
      'msg_1',
      timestamp,
      body,
    )
    expect(header.split(' ')).toHaveLength(2)
    const headers = {
      'webhook-id': 'msg_1',
      'webhook-timestamp': String(timestamp),
      'webhook-signature': header,
    }
    for (const secret of [a, b]) expect(new Webhook(secret).verify(body, headers)).toEqual(JSON.parse(body))
    expect(() => new Webhook(generateSymmetricSecret()).verify(body, headers)).toThrow()
  })

  it('v1a signatures are ed25519 over the same content, verified with the whpk_ key', () => {
    const { secret, publicKey } = generateAsymmetricKeys()
    expect(publicKeyOf(secret)).toBe(publicKey)
    const header = signatureHeader([{ kind: 'v1a', secret }], 'msg_2', 1700000000, '{}')
    expect(header).toMatch(/^v1a,/)
    const key = createPublicKey({
      key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(publicKey.slice(5), 'base64').toString('base64url') },
      format: 'jwk',
    })
    expect(
      verify(null, Buffer.from('msg_2.1700000000.{}'), key, Buffer.from(header.slice(4), 'base64')),
    ).toBe(true)
    expect(
      verify(null, Buffer.from('msg_2.1700000001.{}'), key, Buffer.from(header.slice(4), 'base64')),
    ).toBe(false)
  })
})
