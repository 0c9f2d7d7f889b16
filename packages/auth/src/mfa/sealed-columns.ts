import type { SealedColumn } from '@groundwork/core'

const SEED_CONTEXT = 'auth.mfa_factors:'

/** The context a TOTP seed is sealed under (core's `SecretBox`): its user. */
export function seedContext(userId: string): string {
  return `${SEED_CONTEXT}${userId}`
}

/**
 * Where auth keeps secrets sealed with `encryptionKeys` (TOTP seeds, bound to their user), for
 * core's `resealSecrets` (`groundwork secrets reseal`).
 */
export const authSealedColumns: readonly SealedColumn[] = [
  {
    label: 'auth.mfa_factors.secret',
    table: 'auth.mfa_factors',
    select: `select id::text, secret as value, '${SEED_CONTEXT}' || user_id::text as context
      from auth.mfa_factors where secret is not null for update`,
    update: 'update auth.mfa_factors set secret = $2 where id = $1::uuid',
  },
]
