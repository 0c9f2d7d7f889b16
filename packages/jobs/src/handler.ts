import { type Authenticate, canAdminister, isGroundworkError, type OnError } from '@groundwork/core'
import { type BodyLimits, readValidated, type ServedRoute, serveRoutes } from '@groundwork/core/kit'
import { z } from 'zod'
import type { JobState, JobsApi } from './api'
import { jobsError } from './errors'

/** Settings of {@link createJobsHandler}. */
export interface JobsHandlerSettings {
  api: JobsApi
  authenticate?: Authenticate | undefined
  /** The service role's name (`db.roles.service`): the only role let in. */
  serviceRole: string
  /** Stripped from the request path (at a segment boundary) before routing. */
  basePath: string
  /** Limits of every body read. */
  limits: BodyLimits
  onError?: OnError | undefined
}

const scheduleInput = z.object({
  name: z.string(),
  task: z.string(),
  cron: z.string(),
  timeZone: z.string().optional(),
  payload: z.unknown().optional(),
  enabled: z.boolean().optional(),
  backfillSeconds: z.number().int().nonnegative().optional(),
  queue: z.string().nullable().optional(),
  priority: z.number().int().nullable().optional(),
  maxAttempts: z.number().int().positive().nullable().optional(),
})
const schedulePatch = scheduleInput.omit({ name: true }).partial()
const rescheduleInput = z.object({
  runAt: z.iso.datetime({ offset: true }).optional(),
  priority: z.number().int().optional(),
  attempts: z.number().int().nonnegative().optional(),
  maxAttempts: z.number().int().positive().optional(),
})
const cancelInput = z.object({ reason: z.string().max(1000).optional() })
const refreshInput = z.object({ concurrently: z.boolean().optional() })
const registerInput = z.object({
  name: z.string(),
  schedule: z.string().nullable().optional(),
  timeZone: z.string().optional(),
  concurrently: z.boolean().optional(),
})

function intParam(url: URL, name: string): number | undefined {
  const value = url.searchParams.get(name)
  if (value === null) return undefined
  // At most 15 digits: always a safe integer, and within Postgres' bigint.
  if (!/^\d{1,15}$/.test(value))
    throw jobsError('JOBS_INVALID_REQUEST', `\`${name}\` must be an integer from 0 to 999999999999999`)
  return Number(value)
}

function param(url: URL, name: string): string | undefined {
  return url.searchParams.get(name) ?? undefined
}

/**
 * The admin HTTP handler (Web `Request` → `Response`), routes relative to where it is mounted,
 * a thin layer over `jobs.api`. Only the service role gets in: any other caller is answered 403
 * `{ code, message }`. Bodies are read through the HTTP kit with `limits` (413 past the size).
 */
export function createJobsHandler(settings: JobsHandlerSettings): (request: Request) => Promise<Response> {
  const { api, limits } = settings
  const body = <S extends z.ZodType>(request: Request, schema: S) => readValidated(request, schema, limits)
  const routes: ServedRoute<void>[] = [
    {
      method: 'GET',
      path: '/jobs',
      handler: async ({ url }) =>
        api.listJobs({
          state: param(url, 'state') as JobState | undefined,
          task: param(url, 'task'),
          queue: param(url, 'queue'),
          limit: intParam(url, 'limit'),
          offset: intParam(url, 'offset'),
        }),
    },
    { method: 'GET', path: '/jobs/stats', handler: () => api.stats() },
    {
      method: 'GET',
      path: '/jobs/:id',
      handler: async ({ params: { id } }) =>
        (await api.getJob(id as string)) ??
        Promise.reject(jobsError('JOBS_NOT_FOUND', `No job with id ${id}`)),
    },
    { method: 'POST', path: '/jobs/:id/retry', handler: ({ params }) => api.retry(params.id as string) },
    {
      method: 'POST',
      path: '/jobs/:id/cancel',
      handler: async ({ params, request }) =>
        api.cancel(params.id as string, (await body(request, cancelInput)).reason),
    },
    {
      method: 'POST',
      path: '/jobs/:id/reschedule',
      handler: async ({ params, request }) => {
        const input = await body(request, rescheduleInput)
        return api.reschedule(params.id as string, {
          ...input,
          runAt: input.runAt ? new Date(input.runAt) : undefined,
        })
      },
    },
    { method: 'GET', path: '/schedules', handler: async () => ({ items: await api.schedules.list() }) },
    {
      method: 'POST',
      path: '/schedules',
      status: 201,
      handler: async ({ request }) => api.schedules.create(await body(request, scheduleInput)),
    },
    {
      method: 'GET',
      path: '/schedules/:name',
      handler: async ({ params: { name } }) =>
        (await api.schedules.get(name as string)) ??
        Promise.reject(jobsError('JOBS_SCHEDULE_NOT_FOUND', `No schedule named "${name}"`)),
    },
    {
      method: 'PATCH',
      path: '/schedules/:name',
      handler: async ({ params, request }) =>
        api.schedules.update(params.name as string, await body(request, schedulePatch)),
    },
    {
      method: 'DELETE',
      path: '/schedules/:name',
      handler: async ({ params: { name } }) => {
        if (!(await api.schedules.delete(name as string)))
          throw jobsError('JOBS_SCHEDULE_NOT_FOUND', `No schedule named "${name}"`)
        return { deleted: name }
      },
    },
    {
      method: 'GET',
      path: '/runs',
      handler: async ({ url }) =>
        api.listRuns({
          task: param(url, 'task'),
          jobId: param(url, 'jobId'),
          outcome: param(url, 'outcome') as 'success' | 'failure' | undefined,
          limit: intParam(url, 'limit'),
          offset: intParam(url, 'offset'),
        }),
    },
    { method: 'GET', path: '/matviews', handler: async () => ({ items: await api.matviews.list() }) },
    {
      method: 'POST',
      path: '/matviews',
      status: 201,
      handler: async ({ request }) => {
        const { name, ...options } = await body(request, registerInput)
        return api.matviews.register(name, options)
      },
    },
    {
      method: 'POST',
      path: '/matviews/:name/refresh',
      handler: async ({ params, request }) =>
        api.matviews.refresh(params.name as string, await body(request, refreshInput)),
    },
  ]

  return serveRoutes<void>({
    routes: routes.map((route) => ({
      ...route,
      handler: (input) => route.handler(input).catch(rethrowDatabaseError),
    })),
    basePath: settings.basePath,
    onError: settings.onError,
    async prepare(request) {
      if (!settings.authenticate) {
        throw jobsError(
          'JOBS_FORBIDDEN',
          'The jobs admin API is disabled: pass `authenticate` to createJobs()',
        )
      }
      const principal = await settings.authenticate(request)
      if (!canAdminister(principal, settings.serviceRole)) {
        throw jobsError('JOBS_FORBIDDEN', 'The jobs admin API requires the service role')
      }
    },
  })
}

/**
 * Text Postgres cannot store — a NUL character in `text` (22021) or in `jsonb` (22P05) — is the
 * caller's mistake (a name, reason or payload), so it is a 400, not an opaque 500.
 */
function rethrowDatabaseError(error: unknown): never {
  const code = (error as { code?: unknown } | null)?.code
  if (!isGroundworkError(error) && (code === '22021' || code === '22P05')) {
    throw jobsError('JOBS_INVALID_REQUEST', 'Text must not contain NUL (\\u0000) characters', {
      cause: error,
    })
  }
  throw error
}
