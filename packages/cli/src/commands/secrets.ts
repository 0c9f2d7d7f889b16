import { authSealedColumns } from '@groundwork/auth'
import { createSecretBox, resealSecrets } from '@groundwork/core'
import { oauthSealedColumns } from '@groundwork/oauth-provider'
import { webhooksSealedColumns } from '@groundwork/webhooks'
import { defineGroup } from '../command'
import { UsageError } from '../context'
import { listEnv } from '../env-list'

/** `groundwork secrets reseal` (docs/cli.md). */
export const secretsGroup = defineGroup({
  name: 'secrets',
  summary: 'Secrets encrypted at rest (GROUNDWORK_ENCRYPTION_KEYS)',
  commands: [
    {
      name: 'reseal',
      summary:
        'Re-seal TOTP seeds, webhook signing secrets and id_token keys with the first of GROUNDWORK_ENCRYPTION_KEYS (after adding or rotating a key)',
      async run(context) {
        const keys = listEnv(context.io.env.GROUNDWORK_ENCRYPTION_KEYS)
        if (keys.length === 0) {
          throw new UsageError(
            'GROUNDWORK_ENCRYPTION_KEYS is not set: list the new key first, then every key still in use',
          )
        }
        let box: ReturnType<typeof createSecretBox>
        try {
          box = createSecretBox(keys)
        } catch (error) {
          throw new UsageError(`GROUNDWORK_ENCRYPTION_KEYS: ${(error as Error).message}`)
        }
        const counts = await resealSecrets(
          context.database(),
          box,
          [...authSealedColumns, ...webhooksSealedColumns, ...oauthSealedColumns],
          (line) => context.info(line),
        )
        const total = Object.values(counts).reduce((sum, n) => sum + n, 0)
        context.result(
          counts,
          `Re-sealed ${total} value${total === 1 ? '' : 's'} with the first key; keys no longer needed may now be dropped.`,
        )
      },
    },
  ],
})
