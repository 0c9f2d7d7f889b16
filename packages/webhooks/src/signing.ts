import {
  createHmac,
  createPrivateKey,
  createPublicKey,
  createSecretKey,
  generateKeyPairSync,
  type KeyObject,
  randomBytes,
  sign,
} from 'node:crypto'

/**
 * Standard Webhooks signing. The signed content is `${webhook-id}.${webhook-timestamp}.${body}`;
 * `webhook-signature` is a space-separated list of `v1,<base64 HMAC-SHA256>` (symmetric, secret
 * `whsec_<base64 key>`) and `v1a,<base64 ed25519 signature>` (asymmetric, secret key
 * `whsk_<base64>`, public key `whpk_<base64>`), one per active secret, so a receiver holding
 * either the old or the new secret verifies during a rotation.
 *
 * @see https://github.com/standard-webhooks/standard-webhooks/blob/main/spec/standard-webhooks.md#signature-scheme
 */

/** A signing secret of an endpoint. */
export interface SigningSecret {
  kind: 'v1' | 'v1a'
  /** `whsec_…` (v1) or `whsk_…` (v1a). */
  secret: string
}

/** A new `whsec_` secret: 32 random bytes, base64 (the spec asks for 24 to 64 bytes). */
export function generateSymmetricSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`
}

/**
 * A new ed25519 key pair: `whsk_` + base64 of the 64-byte secret key (seed then public key, the
 * libsodium layout) and `whpk_` + base64 of the 32-byte public key.
 */
export function generateAsymmetricKeys(): { secret: string; publicKey: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519')
  const seed = Buffer.from(privateKey.export({ format: 'jwk' }).d as string, 'base64url')
  const pub = Buffer.from(publicKey.export({ format: 'jwk' }).x as string, 'base64url')
  return {
    secret: `whsk_${Buffer.concat([seed, pub]).toString('base64')}`,
    publicKey: `whpk_${pub.toString('base64')}`,
  }
}

// Keys are cached as KeyObjects: `createHmac` with a Buffer key converts it to one on every call,
// which costs ~9 µs — 5× the HMAC of a typical payload (Node 24, measured).
const hmacKeys = new Map<string, KeyObject>()
const edKeys = new Map<string, KeyObject>()

function hmacKey(secret: string): KeyObject {
  let key = hmacKeys.get(secret)
  if (!key) {
    key = createSecretKey(Buffer.from(secret.slice('whsec_'.length), 'base64'))
    if (hmacKeys.size > 10_000) hmacKeys.clear()
    hmacKeys.set(secret, key)
  }
  return key
}

function edKey(secret: string) {
  let key = edKeys.get(secret)
  if (!key) {
    const raw = Buffer.from(secret.slice('whsk_'.length), 'base64')
    const seed = raw.subarray(0, 32)
    const pub = raw.subarray(32, 64)
    key = createPrivateKey({
      key: { kty: 'OKP', crv: 'Ed25519', d: seed.toString('base64url'), x: pub.toString('base64url') },
      format: 'jwk',
    })
    if (edKeys.size > 10_000) edKeys.clear()
    edKeys.set(secret, key)
  }
  return key
}

/** The `webhook-signature` header value for one message, signed with every secret given. */
export function signatureHeader(
  secrets: readonly SigningSecret[],
  messageId: string,
  timestamp: number,
  body: string,
): string {
  const content = `${messageId}.${timestamp}.${body}`
  return secrets
    .map((s) =>
      s.kind === 'v1'
        ? `v1,${createHmac('sha256', hmacKey(s.secret)).update(content).digest('base64')}`
        : `v1a,${sign(null, Buffer.from(content), edKey(s.secret)).toString('base64')}`,
    )
    .join(' ')
}

/** The `whpk_` public key of a `whsk_` secret key. */
export function publicKeyOf(secret: string): string {
  const jwk = createPublicKey(edKey(secret)).export({ format: 'jwk' })
  return `whpk_${Buffer.from(jwk.x as string, 'base64url').toString('base64')}`
}
