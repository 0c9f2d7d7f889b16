import type { CommandGroup } from '../command'
import { genGroup } from './gen'
import { jobsGroup } from './jobs'
import { appsGroup, keysGroup } from './keys'
import { matviewsGroup } from './matviews'
import { migrateGroup } from './migrate'
import { oauthGroup } from './oauth'
import { pushGroup } from './push'
import { realtimeGroup } from './realtime'
import { schedulesGroup } from './schedules'
import { secretsGroup } from './secrets'
import { storageGroup } from './storage'
import { webhooksGroup } from './webhooks'

/**
 * Every command group of `groundwork`, in help order. To add one, write
 * `src/commands/<group>.ts` exporting a `defineGroup({...})` and list it here.
 */
export const COMMAND_GROUPS: readonly CommandGroup[] = [
  migrateGroup,
  jobsGroup,
  schedulesGroup,
  matviewsGroup,
  realtimeGroup,
  appsGroup,
  keysGroup,
  oauthGroup,
  pushGroup,
  storageGroup,
  webhooksGroup,
  secretsGroup,
  genGroup,
]
