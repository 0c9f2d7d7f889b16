import type { SealedColumn } from '@groundwork/core'

const SECRET_CONTEXT = 'webhooks.secrets:'

/** The context a signing secret is sealed under (core's `SecretBox`): its endpoint. */
export function secretContext(endpointId: string): string {
  return `${SECRET_CONTEXT}${endpointId}`
}

/**
 * Where webhooks keeps secrets sealed with `encryptionKeys` (signing secrets, bound to their
 * endpoint), for core's `resealSecrets` (`groundwork secrets reseal`).
 */
export const webhooksSealedColumns: readonly SealedColumn[] = [
  {
    label: 'webhooks.secrets.secret',
    table: 'webhooks.secrets',
    select: `select id::text, secret as value, '${SECRET_CONTEXT}' || endpoint_id::text as context
      from webhooks.secrets for update`,
    update: 'update webhooks.secrets set secret = $2 where id = $1::uuid',
  },
]
