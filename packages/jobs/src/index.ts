export type { AnyTaskDefinition, TaskContext, TaskDefinition, TaskName, TaskPayload } from '@groundwork/core'
export { defineTask } from '@groundwork/core'
export type { AddJobOptions, JobRecord, Queryable } from './add-job'
export { addJob } from './add-job'
export type {
  JobState,
  JobStats,
  JobSummary,
  JobsApi,
  ListJobsOptions,
  ListRunsOptions,
  Page,
  RunSummary,
} from './api'
export type { CloseOptions, Jobs, WorkerEvents } from './create-jobs'
export { createJobs } from './create-jobs'
export type { JobsErrorCode } from './errors'
export { JOBS_ERROR_STATUS, JobsError } from './errors'
export type { Matview, Matviews, RefreshResult, RegisterMatviewOptions } from './matviews'
export { REFRESH_MATVIEW_TASK } from './matviews'
export { migrations } from './migrations'
export type { JobsOptions, ResolvedJobsOptions } from './options'
export type { EnqueuedTick, Schedule, ScheduleInput, SchedulePatch, Schedules } from './schedules'
