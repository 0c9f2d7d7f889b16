import type { SealedColumn } from '@groundwork/core'

const KEY_CONTEXT = 'oauth.signing_keys:'

/** The context a private JWK is sealed under (core's `SecretBox`): its own key id. */
export function keyContext(kid: string): string {
  return `${KEY_CONTEXT}${kid}`
}

/**
 * Where the provider keeps secrets sealed with `encryptionKeys` (id_token private JWKs, bound to
 * their `kid`; a sealed one is a JSON string, an unsealed one the JWK object), for core's
 * `resealSecrets` (`groundwork secrets reseal`).
 */
export const oauthSealedColumns: readonly SealedColumn[] = [
  {
    label: 'oauth.signing_keys.private_jwk',
    table: 'oauth.signing_keys',
    select: `select kid as id, private_jwk #>> '{}' as value, '${KEY_CONTEXT}' || kid as context
      from oauth.signing_keys for update`,
    update: 'update oauth.signing_keys set private_jwk = to_jsonb($2::text) where kid = $1',
  },
]
