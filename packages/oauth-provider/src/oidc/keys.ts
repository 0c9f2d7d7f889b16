import { randomUUID } from 'node:crypto'
import type { Database, SecretBox } from '@groundwork/core'
import { type CryptoKey, exportJWK, generateKeyPair, importJWK, type JWK } from 'jose'
import { keyContext } from './sealed-columns'

/** One id_token signing key. */
export interface SigningKey {
  kid: string
  alg: 'RS256' | 'ES256'
  privateKey: CryptoKey
  publicJwk: JWK
}

/** The id_token signing keys, kept in `oauth.signing_keys` and cached briefly. */
export interface SigningKeys {
  /** The key that signs now: the newest unretired one, created on first use. */
  current(): Promise<SigningKey>
  /** Every unretired public key (the JWKS part of the provider). */
  published(): Promise<JWK[]>
  /**
   * Adds a new signing key, which signs from now on; the previous keys stay published (tokens they
   * signed keep verifying) until {@link retire}d — rotation without downtime.
   */
  rotate(alg?: 'RS256' | 'ES256'): Promise<{ kid: string; alg: string }>
  /** Stops publishing `kid` (after the tokens it signed have expired). */
  retire(kid: string): Promise<boolean>
  /** Keys, newest first. */
  list(): Promise<{ kid: string; alg: string; created_at: string; retired_at: string | null }[]>
}

const CACHE_MS = 30_000

/**
 * Builds {@link SigningKeys}. The private JWK is stored in a table with RLS on and no policies (the
 * request roles never read it), as auth keeps its API-key material; with `encryptionKeys` it is
 * stored sealed (a JSON string `gwenc:v1:…` bound to its `kid`), else as the JWK object.
 *
 * @see https://openid.net/specs/openid-connect-core-1_0.html#Signing
 */
export function createSigningKeys(db: Database, defaultAlg: 'RS256' | 'ES256', box: SecretBox): SigningKeys {
  let cache: { at: number; keys: Promise<SigningKey[]> } | null = null

  /** The `private_jwk` column's value: the JWK, or the sealed JWK as a JSON string. */
  function storedJwk(jwk: JWK, kid: string): string {
    return JSON.stringify(box.sealing ? box.seal(JSON.stringify(jwk), keyContext(kid)) : jwk)
  }

  function privateJwk(stored: JWK | string, kid: string): JWK {
    return typeof stored === 'string' ? (JSON.parse(box.open(stored, keyContext(kid))) as JWK) : stored
  }

  async function load(): Promise<SigningKey[]> {
    const { rows } = await db.query<{
      kid: string
      alg: 'RS256' | 'ES256'
      private_jwk: JWK | string
      public_jwk: JWK
    }>(
      'select kid, alg, private_jwk, public_jwk from oauth.signing_keys where retired_at is null order by created_at desc, kid',
    )
    return Promise.all(
      rows.map(async (row) => ({
        kid: row.kid,
        alg: row.alg,
        privateKey: (await importJWK(privateJwk(row.private_jwk, row.kid), row.alg)) as CryptoKey,
        publicJwk: row.public_jwk,
      })),
    )
  }

  function keys(): Promise<SigningKey[]> {
    if (!cache || Date.now() - cache.at > CACHE_MS) {
      const loading = load()
      cache = { at: Date.now(), keys: loading }
      loading.catch(() => {
        cache = null
      })
    }
    return cache.keys
  }

  async function rotate(alg: 'RS256' | 'ES256' = defaultAlg) {
    const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true })
    const kid = randomUUID()
    const publicJwk = { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' }
    await db.query(
      'insert into oauth.signing_keys (kid, alg, private_jwk, public_jwk) values ($1, $2, $3, $4)',
      [kid, alg, storedJwk({ ...(await exportJWK(privateKey)), kid, alg }, kid), JSON.stringify(publicJwk)],
    )
    cache = null
    return { kid, alg }
  }

  return {
    async current() {
      const [first] = await keys()
      if (first) return first
      // First use: create one under an advisory lock, so concurrent instances agree on a single key.
      await db.transaction(async (tx) => {
        await tx.query("select pg_advisory_xact_lock(hashtext('oauth.signing_keys'))")
        const { rows } = await tx.query('select 1 from oauth.signing_keys where retired_at is null limit 1')
        if (rows.length === 0) {
          const { privateKey, publicKey } = await generateKeyPair(defaultAlg, { extractable: true })
          const kid = randomUUID()
          await tx.query(
            'insert into oauth.signing_keys (kid, alg, private_jwk, public_jwk) values ($1, $2, $3, $4)',
            [
              kid,
              defaultAlg,
              storedJwk({ ...(await exportJWK(privateKey)), kid, alg: defaultAlg }, kid),
              JSON.stringify({ ...(await exportJWK(publicKey)), kid, alg: defaultAlg, use: 'sig' }),
            ],
          )
        }
      })
      cache = null
      const [created] = await keys()
      if (!created) throw new Error('no id_token signing key could be created')
      return created
    },
    async published() {
      return (await keys()).map((key) => key.publicJwk)
    },
    rotate,
    async retire(kid) {
      const { rowCount } = await db.query(
        'update oauth.signing_keys set retired_at = now() where kid = $1 and retired_at is null',
        [kid],
      )
      cache = null
      return (rowCount ?? 0) > 0
    },
    async list() {
      const { rows } = await db.query<{
        kid: string
        alg: string
        created_at: Date
        retired_at: Date | null
      }>('select kid, alg, created_at, retired_at from oauth.signing_keys order by created_at desc')
      return rows.map((row) => ({
        kid: row.kid,
        alg: row.alg,
        created_at: row.created_at.toISOString(),
        retired_at: row.retired_at?.toISOString() ?? null,
      }))
    },
  }
}
