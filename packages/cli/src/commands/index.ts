import type { CommandGroup } from '../command'
import { jobsGroup } from './jobs'
import { appsGroup, keysGroup } from './keys'
import { matviewsGroup } from './matviews'
import { migrateGroup } from './migrate'
import { pushGroup } from './push'
import { realtimeGroup } from './realtime'
import { schedulesGroup } from './schedules'
import { storageGroup } from './storage'

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
  pushGroup,
  storageGroup,
]
