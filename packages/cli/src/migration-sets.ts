import type { MigrationSet } from '@groundwork/core'
import { migrations as core } from '@groundwork/core'
import { migrations as jobs } from '@groundwork/jobs'
import { migrations as realtime } from '@groundwork/realtime'

/**
 * The migrations `groundwork migrate` applies, in order. Add a package's set here (one import,
 * one entry) once it publishes `migrations`; core comes first, then packages in dependency order.
 */
export const MIGRATION_SETS: readonly MigrationSet[] = [core, jobs, realtime]
