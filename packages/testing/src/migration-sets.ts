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
 * Every package's migrations, applied once to the template database each test file clones.
 * A package adds its set here when it gains migrations.
 */
export const ALL_MIGRATION_SETS: MigrationSet[] = [
  core,
  jobs,
  mail,
  rest,
  realtime,
  auth,
  storage,
  push,
  oauth,
  webhooks,
]
