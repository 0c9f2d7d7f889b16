import { migrations as auth } from '@groundwork/auth'
import type { MigrationSet } from '@groundwork/core'
import { migrations as core } from '@groundwork/core'
import { migrations as jobs } from '@groundwork/jobs'
import { migrations as mail } from '@groundwork/mail'
import { migrations as oauth } from '@groundwork/oauth-provider'
import { migrations as push } from '@groundwork/push'
import { migrations as realtime } from '@groundwork/realtime'
import { migrations as rest } from '@groundwork/rest'
import { migrations as storage } from '@groundwork/storage'
import { migrations as webhooks } from '@groundwork/webhooks'

/**
 * The migrations `groundwork migrate` applies, in order: core first, then packages in dependency
 * order (auth mails through mail, which queues through jobs) — the same order the demo uses.
 * Add a package's set here (one import, one entry) once it publishes `migrations`.
 */
export const MIGRATION_SETS: readonly MigrationSet[] = [
  core,
  jobs,
  mail,
  auth,
  rest,
  realtime,
  storage,
  push,
  oauth,
  webhooks,
]
