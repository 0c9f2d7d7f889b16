import type { CommandGroup } from '../command'
import { jobsGroup } from './jobs'
import { matviewsGroup } from './matviews'
import { migrateGroup } from './migrate'
import { realtimeGroup } from './realtime'
import { schedulesGroup } from './schedules'

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
]
